// spa-auth's DPoP (RFC 9449) key pair and proofs, and with `persistSession` the bound
// refresh token, for the effect loop (index.js), which loads this module only for a
// client with `useDpop`. The claims, and what is stored when, are the engine's; this
// module holds the key, signs, and reads and writes IndexedDB.
const b64 = (u8) => btoa(String.fromCharCode(...u8)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const utf8 = (text) => new TextEncoder().encode(text);

/** One transaction on IndexedDB's `spa-auth` database, `keys` store; resolves the result of the request `fn` returns. */
function idb(mode, fn) {
  return new Promise((ok, no) => {
    const open = indexedDB.open('spa-auth');
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onerror = () => no(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('keys', mode);
      const r = fn(tx.objectStore('keys'));
      tx.oncomplete = () => { db.close(); ok(r.result); };
      tx.onabort = () => { db.close(); no(tx.error); };
    };
  });
}

/**
 * The DPoP key pair stored under `name` (every tab of this origin signs with the same one),
 * else a new one: ES256, `extractable: false`, so the private key never leaves the browser.
 * Made and stored in one transaction, so two tabs starting together agree on one key.
 */
export async function key(name) {
  const fresh = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  let pair;
  try {
    pair = await idb('readwrite', (store) => {
      const r = store.get(name);
      r.onsuccess = () => r.result || store.put(fresh, name);
      return r;
    });
  } catch { /* no IndexedDB (a private window, say): a key for this tab alone */ }
  pair ??= fresh;
  const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { pair, jwk: { crv, kty, x, y } };
}

/** A DPoP proof (RFC 9449 §4.2): the engine's claims, signed with the key; the header names the key. */
export async function sign(key, claims) {
  const part = (o) => b64(utf8(JSON.stringify(o)));
  const input = `${part({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })}.${part(claims)}`;
  return `${input}.${b64(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.pair.privateKey, utf8(input))))}`;
}

// `persistSession`: the DPoP-bound refresh token, beside the key it is bound to.
const RT = (name) => `${name} rt`;

/** The refresh token stored for `name`, if any. */
export const load = (name) => idb('readonly', (store) => store.get(RT(name)));

/** Stores `rt` for `name`, or removes the stored one when `rt` is absent. */
export const save = (name, rt) => idb('readwrite', (store) => (rt ? store.put(rt, RT(name)) : store.delete(RT(name))));

/** Removes the key pair and the refresh token stored under `name`. */
export const wipe = (name) => idb('readwrite', (store) => { store.delete(RT(name)); return store.delete(name); });
