//! The wasm's allocator: power-of-two size classes with one free list each, carved from
//! a bump pointer that grows the memory. A freed block goes back to its class's list and
//! is reused by the next allocation of that class; nothing is split or merged.
//!
//! Why not talc or dlmalloc: this is a few hundred bytes of wasm against talc's 2.8 KB
//! (measured in the README's size history). The SDK allocates little and briefly: a token
//! response, a JWK Set, effect texts; at most one 1 MB body at a time. Rounding up to a
//! power of two wastes at most half of each block, which for these sizes is a few
//! hundred KB at worst; freed blocks are reused, so a long-lived tab does not grow.
//!
//! wasm32-unknown-unknown without the atomics feature runs on one thread: the allocator's
//! state is plain cells, never touched concurrently.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;

const PAGE: usize = 65536;
/// Blocks are aligned to their size, up to this; larger alignments are refused (the SDK
/// has none above 16).
const MAX_ALIGN: usize = 64;

/// The allocator's state: one free-list head per class (2^3 .. 2^31 bytes), and the bump
/// region `[next, end)`.
pub struct Pow2 {
    state: UnsafeCell<([usize; 32], usize, usize)>,
}

// SAFETY: one thread only (see the module docs).
unsafe impl Sync for Pow2 {}

impl Pow2 {
    /// An allocator whose first block comes from the end of the initial memory.
    pub const fn new() -> Pow2 {
        Pow2 { state: UnsafeCell::new(([0; 32], 0, 0)) }
    }
}

impl Default for Pow2 {
    fn default() -> Self {
        Pow2::new()
    }
}

/// The class of a layout: log2 of the block size, at least 8 bytes, at least the alignment.
fn class(l: &Layout) -> usize {
    let size = l.size().max(l.align()).max(8);
    (usize::BITS - (size - 1).leading_zeros()) as usize
}

unsafe impl GlobalAlloc for Pow2 {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let c = class(&l);
        if l.align() > MAX_ALIGN || c >= 32 {
            return core::ptr::null_mut();
        }
        // SAFETY: one thread, and no reentrancy: nothing below allocates.
        let (free, next, end) = unsafe { &mut *self.state.get() };
        if free[c] != 0 {
            let block = free[c];
            // SAFETY: a block on a free list holds the address of the next one.
            free[c] = unsafe { *(block as *const usize) };
            return block as *mut u8;
        }
        if *end == 0 {
            // Everything past the initial memory is ours: the stack and data sit below it.
            *end = wasm32::memory_size(0) * PAGE;
            *next = *end;
        }
        let size = 1usize << c;
        let align = size.min(MAX_ALIGN);
        let start = (*next + align - 1) & !(align - 1);
        let Some(stop) = start.checked_add(size) else {
            return core::ptr::null_mut();
        };
        if stop > *end {
            let pages = (stop - *end).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
            *end += pages * PAGE;
        }
        *next = stop;
        start as *mut u8
    }

    unsafe fn dealloc(&self, block: *mut u8, l: Layout) {
        let c = class(&l);
        // SAFETY: one thread; `block` came from `alloc` with this layout, so its class is `c`
        // and it is at least 8 bytes and aligned for a usize.
        let (free, _, _) = unsafe { &mut *self.state.get() };
        unsafe { *(block as *mut usize) = free[c] };
        free[c] = block as usize;
    }

    unsafe fn realloc(&self, block: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // Still the same class: the block already has the room.
        // SAFETY: `realloc`'s contract gives a valid layout of `new_size` with this alignment.
        let grown = unsafe { Layout::from_size_align_unchecked(new_size, l.align()) };
        if class(&grown) == class(&l) {
            return block;
        }
        // SAFETY: as `alloc` and `dealloc`; the copy covers what both blocks hold.
        unsafe {
            let moved = self.alloc(grown);
            if !moved.is_null() {
                core::ptr::copy_nonoverlapping(block, moved, l.size().min(new_size));
                self.dealloc(block, l);
            }
            moved
        }
    }
}
