// LEB128, as the wasm binary format writes its integers: shared by the build's two
// rewriters of the .wasm (minify-names.mjs, order-functions.mjs).

/** The unsigned LEB128 integer at `bytes[at]`: `[value, where the next item starts]`. */
export function readU32(bytes, at) {
  let n = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    n |= (b & 0x7f) << shift;
    if (!(b & 0x80)) return [n >>> 0, at];
    shift += 7;
  }
}

/** `n` as unsigned LEB128 bytes. */
export function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
