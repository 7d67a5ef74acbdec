//! The `#[wasm_bindgen]` surface: four functions, strings across the boundary.
//!
//! `create(optionsJson)` validates the options and returns the new engine's id (or the
//! error, as JSON); `handle(id, eventJson, now)` feeds one event and returns the effects
//! as JSON; `cached(id, audience, scope, now)` is the hot path of `getTokenSilently`, a
//! cache hit in one crossing; `release(id)` frees an engine. The only browser APIs the
//! wasm calls itself are `sessionStorage`, synchronously, so that a callback takes its
//! transaction before anything is awaited, and `crypto.getRandomValues`, for getrandom.
//!
//! Engines live in a table here rather than in a wasm-bindgen class, and no `JsValue`
//! crosses: that leaves out the class's reference cell and finalizer, the externref
//! table and wasm-bindgen's exception glue (-1.1 KB gzipped, in the README). A browser
//! API that can throw is wrapped in a `try` on the JS side of its import, so no JS
//! exception ever unwinds through the wasm.

use crate::core::error::{code, Error, Result};
use crate::core::text;
use crate::engine::{self, wire, Store};
use std::cell::RefCell;
use std::mem::MaybeUninit;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "
export function ss_get(k) { try { return sessionStorage.getItem(k); } catch { return null; } }
export function ss_set(k, v) { try { sessionStorage.setItem(k, v); return true; } catch { return false; } }
export function ss_remove(k) { try { sessionStorage.removeItem(k); } catch {} }
export function ss_keys() { try { return Object.keys(sessionStorage).join('\\0'); } catch { return ''; } }
export function random_fill(b) { crypto.getRandomValues(b); }
")]
extern "C" {
    fn ss_get(key: &str) -> Option<String>;
    fn ss_set(key: &str, value: &str) -> bool;
    fn ss_remove(key: &str);
    fn ss_keys() -> String;
    // `crypto.getRandomValues`, which throws only past 65,536 bytes, more than any call asks for.
    fn random_fill(buf: &mut [MaybeUninit<u8>]);
}

/// getrandom's `custom` backend (built with `--cfg getrandom_backend="custom"`):
/// `crypto.getRandomValues`, in chunks of at most 65,536 bytes.
#[allow(unsafe_code)]
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(dest: *mut u8, len: usize) -> std::result::Result<(), getrandom::Error> {
    // SAFETY: getrandom passes a buffer of `len` bytes it owns for the call; it may be
    // uninitialised, which `MaybeUninit` allows.
    let buf = unsafe { std::slice::from_raw_parts_mut(dest.cast::<MaybeUninit<u8>>(), len) };
    for chunk in buf.chunks_mut(65_536) {
        random_fill(chunk);
    }
    Ok(())
}

/// `sessionStorage`: login transactions only.
struct SessionStorage;

impl Store for SessionStorage {
    fn get(&self, key: &str) -> Option<String> {
        ss_get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if ss_set(key, value) {
            Ok(())
        } else {
            Err(Error::new(code::BROWSER_ERROR, "sessionStorage.setItem failed"))
        }
    }
    fn remove(&mut self, key: &str) {
        ss_remove(key);
    }
    fn keys(&self) -> Vec<String> {
        // One crossing for all the names, NUL-separated (no name this SDK writes holds one).
        let mut keys = Vec::new();
        for k in text::split(&ss_keys(), b"\0").filter(|k| !k.is_empty()) {
            keys.push(k.to_owned());
        }
        keys
    }
}

// The table below is a plain static, not a `thread_local!`: std's lazy thread-local
// accessors cost 0.2 KB gzipped, and this wasm has no threads to keep apart.
#[cfg(target_feature = "atomics")]
compile_error!("the engine table assumes a wasm without threads");

/// Every engine of this page, by id; a released one leaves `None`.
struct Engines(RefCell<Vec<Option<engine::Engine>>>);

// SAFETY: this wasm has no threads (it is built without the `atomics` feature), so the
// table is only ever reached from the page's one thread; the RefCell still refuses a
// re-entrant borrow.
#[allow(unsafe_code)]
unsafe impl Sync for Engines {}

static ENGINES: Engines = Engines(RefCell::new(Vec::new()));

/// A new engine for the app's options (JSON): its id, as digits, or the error as a JSON
/// object (which starts with `{`).
#[wasm_bindgen]
pub fn create(options: &str) -> String {
    match wire::options(options).and_then(|o| engine::Engine::new(o, Box::new(SessionStorage))) {
        Ok(e) => {
            let mut all = ENGINES.0.borrow_mut();
            all.push(Some(e));
            text::int(all.len() as i64 - 1)
        }
        Err(e) => wire::error_json(&e),
    }
}

/// Feeds one event to engine `id`; returns the effects to perform (none once released).
#[wasm_bindgen]
pub fn handle(id: u32, event: &str, now: f64) -> String {
    match ENGINES.0.borrow_mut().get_mut(id as usize) {
        Some(Some(e)) => e.handle(event, now),
        _ => "[]".to_owned(),
    }
}

/// A fresh cached access token of engine `id` for (audience, scope), or `undefined`. An
/// empty audience or scope is none, as everywhere in the options (and two strings cross
/// more cheaply than two optional ones).
#[wasm_bindgen]
pub fn cached(id: u32, audience: &str, scope: &str, now: f64) -> Option<String> {
    fn given(s: &str) -> Option<&str> {
        (!s.is_empty()).then_some(s)
    }
    match ENGINES.0.borrow_mut().get_mut(id as usize) {
        Some(Some(e)) => e.cached(given(audience), given(scope), now),
        _ => None,
    }
}

/// Frees engine `id`: its session, keys and transactions in memory.
#[wasm_bindgen]
pub fn release(id: u32) {
    if let Some(slot) = ENGINES.0.borrow_mut().get_mut(id as usize) {
        *slot = None;
    }
}
