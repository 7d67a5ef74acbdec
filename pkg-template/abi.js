// The wasm's boundary, written for the ABI wasm-bindgen gives src/wasm.rs's four exports
// and five imports: a string crosses as the pointer and length of its UTF-8 bytes in the
// wasm's memory, allocated with the wasm's own `__wbindgen_malloc`; a string the wasm
// returns is written to an 8-byte slot whose address is the first argument, and freed here
// once read. It does what wasm-bindgen's generated module does for these nine functions,
// in fewer bytes (the README's size history); scripts/build-pkg.sh fails the build when the
// generated module no longer matches what this file assumes. The import names are
// wasm-bindgen's without their prefix and hash: the build renames them in the wasm.

let w;
let u8;
let dv;
const encoder = new TextEncoder();
// `ignoreBOM`: a string that starts with U+FEFF crosses intact.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The memory as bytes (and `dv`, as a DataView): new views once the memory has grown, which
 * detaches the old buffer (its views' lengths then read 0).
 */
const mem = () => (u8?.byteLength ? u8 : ((dv = new DataView(w.memory.buffer)), (u8 = new Uint8Array(w.memory.buffer))));

const str = (p, n) => decoder.decode(mem().subarray(p, p + n));

/** The length of the string `put` copied last. */
let len;

/** Copies `s` into the wasm's memory, as UTF-8; returns its pointer (its length in `len`). */
function put(s) {
  let n = s.length;
  let p = w.__wbindgen_malloc(n, 1);
  let m = mem();
  let i = 0;
  // ASCII byte by byte; from the first other character on, room for 3 bytes per UTF-16
  // unit, shrunk to what TextEncoder wrote.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) break;
    m[p + i] = c;
  }
  if (i < n) {
    p = w.__wbindgen_realloc(p, n, (n = i + 3 * (s.length - i)), 1);
    i += encoder.encodeInto(s.slice(i), mem().subarray(p + i, p + n)).written;
    p = w.__wbindgen_realloc(p, n, i, 1);
  }
  len = i;
  return p;
}

/** Writes a (pointer, length) pair to the slot at `r`. */
const slot = (r, p, n) => {
  mem();
  dv.setInt32(r, p, true);
  dv.setInt32(r + 4, n, true);
};

/**
 * Calls export `f` with a return slot on the wasm's stack and `args`; the string it
 * returns (`undefined` for none), copied out and freed. A call that traps leaves its 16
 * bytes of the 1 MB stack taken, and no more: a trap is a bug, not a path (the fuzzers
 * keep panics out of the core), and one inside an engine call leaves the engine table
 * borrowed, so the instance answers nothing after it anyway.
 */
function ret(f, ...args) {
  const r = w.__wbindgen_add_to_stack_pointer(-16);
  f(r, ...args);
  mem();
  const p = dv.getInt32(r, true);
  const n = dv.getInt32(r + 4, true);
  w.__wbindgen_add_to_stack_pointer(16);
  if (!p) return;
  const s = str(p, n);
  w.__wbindgen_free(p, n, 1);
  return s;
}

// What the wasm calls. sessionStorage may throw (a sandboxed frame, a full quota): every
// call is wrapped, so no JS exception unwinds through the wasm.
const imports = {
  './spa_auth_bg.js': {
    random_fill: (p, n) => crypto.getRandomValues(mem().subarray(p, p + n)),
    ss_get(r, kp, kn) {
      let v = null;
      try { v = sessionStorage.getItem(str(kp, kn)); } catch { /* none */ }
      // For `null` the pointer is 0 and the wasm reads no length (`len` is whatever it was).
      slot(r, v == null ? 0 : put(v), len);
    },
    ss_set(kp, kn, vp, vn) {
      try { sessionStorage.setItem(str(kp, kn), str(vp, vn)); return 1; } catch { return 0; }
    },
    ss_remove(kp, kn) {
      try { sessionStorage.removeItem(str(kp, kn)); } catch { /* gone already */ }
    },
    ss_keys(r) {
      let k = '';
      try { k = Object.keys(sessionStorage).join('\0'); } catch { /* none */ }
      slot(r, put(k), len);
    },
  },
};

/**
 * Fetches and instantiates the wasm (a URL, a path, a Response, a WebAssembly.Module or
 * its bytes), streaming where it can; a server that does not say `application/wasm` still
 * gets it compiled, from the bytes.
 */
export async function load(source) {
  source = await (typeof source === 'string' || source instanceof URL ? fetch(source) : source);
  let r;
  if (source instanceof Response) {
    if (!source.ok) throw new Error(`the wasm answered HTTP ${source.status}`);
    r = await WebAssembly.instantiateStreaming(source.clone(), imports).catch(async () => WebAssembly.instantiate(await source.arrayBuffer(), imports));
  } else {
    r = await WebAssembly.instantiate(source, imports);
  }
  w = (r.instance ?? r).exports;
}

/** A new engine for `options` (JSON): its id as digits, or the error as a JSON object. */
export const create = (options) => ret(w.create, put(options), len);

/** Feeds one event (JSON) to engine `id` at `now`; the effects, as a JSON array. */
export const handle = (id, event, now) => ret(w.handle, id, put(event), len, now);

/** Engine `id`'s fresh cached access token for (audience, scope), or `undefined`. */
export const cached = (id, audience, scope, now) => ret(w.cached, id, put(audience), len, put(scope), len, now);

/** Frees engine `id`. */
export const release = (id) => w.release(id);
