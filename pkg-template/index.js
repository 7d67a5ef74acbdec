// spa-auth: the JS API (auth0-spa-js's names) and the effect loop.
//
// The Rust engine (spa_auth_bg.wasm) holds all state and makes every protocol decision.
// This file only performs what the engine asks for (fetch, WebCrypto, navigation,
// Web Locks, BroadcastChannel, frames, timers) and feeds each result back. If a line
// here needs an `if` about the protocol, that `if` belongs in the engine.
import { create, handle, cached, release, load } from './abi.js';

// No waterfall: the wasm is fetched and compiled, and the first Web Locks query runs,
// while the module is evaluated.
const browser = typeof window === 'object';
let wasm = browser ? load(new URL('./spa_auth_bg.wasm', import.meta.url)) : Promise.reject();
wasm.catch(() => {});
let loaded = false;
wasm.then(() => { loaded = true; }, () => {});
const locks = browser ? navigator.locks : undefined;
const query = () => (locks ? locks.query().then((s) => [...s.held, ...s.pending].map((l) => l.name), () => []) : Promise.resolve([]));
let early = query();

const HANDOFF = 'spa-auth:handoff';
const TOO_BIG = {};

/** auth0-spa-js's error classes and hierarchy: every one extends GenericError, which extends Error. */
export class GenericError extends Error {
  constructor(error, error_description, fields) {
    super(error_description);
    Object.assign(this, { error, error_description }, fields);
  }
}
const CLASSES = { GenericError };
// The engine names a class by its index here (its `Kind`, in this order).
const NAMES = ['GenericError', 'AuthenticationError', 'TimeoutError', 'PopupTimeoutError', 'PopupCancelledError', 'PopupOpenError', 'MfaRequiredError', 'MissingRefreshTokenError'];
// Each class, by name, on its base (PopupTimeoutError on TimeoutError, the others on GenericError).
for (const name of NAMES) {
  CLASSES[name] ??= class extends CLASSES[name === 'PopupTimeoutError' ? 'TimeoutError' : 'GenericError'] {};
  Object.defineProperty(CLASSES[name].prototype, 'name', { value: name, writable: true });
}
export const {
  AuthenticationError, TimeoutError, PopupTimeoutError, PopupCancelledError, PopupOpenError, MfaRequiredError, MissingRefreshTokenError,
} = CLASSES;

/** The engine's `{ kind, error, error_description, check, …fields }` as an instance of its class. */
function toError({ kind, error, error_description, ...fields }, popup) {
  const name = NAMES[kind];
  return new (CLASSES[name] ?? GenericError)(error, error_description, popup && /^Popup/.test(name) ? { ...fields, popup } : fields);
}

/**
 * A response body as text, read as a stream that stops at `max` bytes. UTF-8, as
 * TextDecoder reads it (a BOM dropped, bad bytes as U+FFFD), decoded chunk by chunk on
 * this thread: `Blob.text()` would ask the browser process for it, a round trip of several
 * milliseconds between the last byte and the engine.
 */
async function readText(res, max) {
  if (+res.headers.get('content-length') > max) throw TOO_BIG;
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let n = 0;
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true };
    if (done) return text + decoder.decode();
    n += value.length;
    if (n > max) { reader.cancel(); throw TOO_BIG; }
    text += decoder.decode(value, { stream: true });
  }
}

const b64 = (u8) => btoa(String.fromCharCode(...u8)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const utf8 = (text) => new TextEncoder().encode(text);

// DPoP's key pair and proofs: a module of its own, loaded only by a client with `useDpop`.
const dpop = () => import('./dpop.js');

const bytes = (b64url) => Uint8Array.from(atob(b64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** On a callback page inside an iframe or popup: hands the URL to the page that started the login. */
function handOff(url) {
  const message = { type: HANDOFF, url };
  const opener = window.opener;
  for (const w of [parent !== window && parent, opener]) {
    try { w?.postMessage(message, location.origin); } catch { /* a closed or foreign window */ }
  }
  const channel = new BroadcastChannel(HANDOFF);
  channel.postMessage(message);
  // The page that opened the popup closes it (unless it asked for `closePopup: false`); a
  // popup that COOP cut off from its opener closes itself, once the messages have left.
  setTimeout(() => { channel.close(); if (!opener && window.name === 'spa-auth:login') close(); }, 100);
}

const ready = new WeakMap();

export class AuthClient {
  #e;
  #calls = new Map();
  #reqs = new Map();
  #events = new EventTarget();
  #next = 1;
  #channel;
  #held;
  #holdToken;
  #shared;
  #callbacks = new Map();
  #dpopName;
  #key;
  #writes = Promise.resolve();

  /** Prefer `createAuthClient`, which waits for the wasm and for the other tabs' session. */
  constructor(options) {
    if (!loaded) throw new GenericError('browser_error', 'still loading: use createAuthClient');
    let text;
    // `wasm` is for the loader (createAuthClient), not the engine.
    try { text = JSON.stringify(options && { ...options, wasm: undefined }); } catch { text = 'null'; }
    const id = create(text);
    // An engine's id, or (starting with `{`) the error.
    if (id[0] === '{') throw toError(JSON.parse(id));
    this.#e = +id;
    /** `false` when `crossTab: false` was passed or the browser lacks Web Locks or BroadcastChannel. */
    this.sharesAcrossTabs = false;
    const held = early ?? query();
    early = null;
    ready.set(this, held.then((names) => this.#call('init', {
      href: location.href, origin: location.origin, locks: !!locks, channel: typeof BroadcastChannel === 'function', held: names,
    })));
  }

  // ----- the effect loop -----

  #feed(ev) {
    let text, err;
    // After free(), the engine is gone: a call fails at once, none waits forever (a late
    // effect result, which has no call, is dropped).
    if (this.#e < 0) err = new GenericError('browser_error', 'this client was freed');
    else try { text = JSON.stringify(ev); } catch { err = new GenericError('invalid_options', 'an argument is not JSON-serializable'); }
    if (err) return this.#settle(ev.call, (c) => c.reject(err));
    for (const f of JSON.parse(handle(this.#e, text, Date.now()))) this.#do(f);
  }

  #settle(call, then) {
    const c = this.#calls.get(call);
    this.#calls.delete(call);
    if (c) then(c);
  }

  #do(f) {
    const req = f.req;
    const back = (ev) => this.#feed({ req, ...ev });
    switch (f.do) {
      case 'resolve': return this.#settle(f.call, (c) => c.resolve(f.value ?? undefined));
      case 'reject':
        return this.#settle(f.call, (c) => {
          if (c.closePopup !== false) c.own?.close();
          c.reject(toError(f.error, c.popup));
        });
      case 'share':
        this.#calls.delete(f.call);
        this.#shared = f.with;
        return;
      case 'respond': {
        const res = this.#reqs.get(req);
        this.#reqs.delete(req);
        return this.#settle(f.call, (c) => c.resolve(res));
      }
      case 'fetch': return this.#fetch(f, back);
      case 'verify': return this.#verify(f, back);
      case 'timer': return void setTimeout(back, f.ms);
      case 'open': return this.#open(f, back);
      case 'replace': return history.replaceState(history.state, '', f.url);
      case 'handoff': return handOff(f.url);
      case 'channel':
        this.#channel = new BroadcastChannel(f.name);
        this.#channel.onmessage = (e) => typeof e.data === 'string' && this.#feed({ tab: e.data });
        this.sharesAcrossTabs = true;
        return;
      case 'post': return this.#channel?.postMessage(f.data);
      case 'lock':
        return void locks.request(f.name, () => new Promise((release) => { this.#reqs.set(req, release); back(); })).catch(() => {});
      case 'unlock':
      case 'unframe':
        this.#reqs.get(req)?.();
        return void this.#reqs.delete(req);
      case 'hold': {
        // One shared generation lock at a time: the new one replaces the old.
        this.#held?.();
        this.#held = null;
        const token = (this.#holdToken = {});
        if (f.name) {
          locks.request(f.name, { mode: 'shared' }, () => new Promise((release) => {
            if (this.#holdToken !== token) return release();
            this.#held = release;
            back();
          })).catch(() => {});
        }
        return;
      }
      case 'query': return void query().then((held) => back({ held }));
      case 'event':
        return void this.#events.dispatchEvent(new CustomEvent('sessionchange', {
          detail: { reason: f.reason, otherTab: f.otherTab, isAuthenticated: f.isAuthenticated },
        }));
      case 'frame': return this.#frame(f, back);
      case 'authfetch': return this.#authFetch(f, back);
      case 'dpop':
        this.#dpopName = f.name;
        return void this.#proofKey().catch(() => {});
      case 'dpopReset':
        this.#key = null;
        if (f.wipe) this.#store((d) => d.wipe(this.#dpopName));
        return;
      case 'persist': return this.#store((d) => d.save(this.#dpopName, f.rt));
      case 'restore': return void dpop().then((d) => d.load(this.#dpopName)).then((rt) => back({ rt }), () => back());
      case 'proof':
        return void this.#proof(f.dpop).then((proof) => this.#settle(f.call, (c) => c.resolve(proof)),
          () => this.#settle(f.call, (c) => c.reject(new GenericError('browser_error', 'WebCrypto could not sign the DPoP proof'))));
    }
  }

  /** IndexedDB writes, one after the other in the engine's order; a key is read after them. */
  #store(write) { this.#writes = this.#writes.then(dpop).then(write).catch(() => {}); }

  #proofKey() { return (this.#key ??= this.#writes.then(dpop).then((d) => d.key(this.#dpopName))); }

  async #proof(claims) { return (await dpop()).sign(await this.#proofKey(), claims); }

  async #fetch(f, back) {
    let ev;
    try {
      const headers = {};
      if (f.body) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (f.dpop) headers.DPoP = await this.#proof(f.dpop);
      const res = await fetch(f.url, { method: f.method, body: f.body, headers, signal: AbortSignal.timeout(f.timeout) });
      const h = (name) => res.headers.get(name) ?? undefined;
      ev = { status: res.status, body: await readText(res, f.max), www: h('www-authenticate'), retry: h('retry-after'), nonce: h('dpop-nonce') };
    } catch (x) {
      ev = { error: x === TOO_BIG ? 'too_big' : x?.name === 'TimeoutError' ? 'timeout' : navigator.onLine === false ? 'offline' : 'network' };
    }
    back(ev);
  }

  async #verify(f, back) {
    let ev;
    try {
      const key = await crypto.subtle.importKey('jwk', f.jwk, f.import, false, ['verify']);
      // With the signature, the digest `c_hash` or `at_hash` is checked against, if asked.
      const [ok, hash] = await Promise.all([
        crypto.subtle.verify(f.params, key, bytes(f.sig), utf8(f.data)),
        f.digest && crypto.subtle.digest(f.hash, utf8(f.digest)),
      ]);
      ev = { ok, hash: hash && b64(new Uint8Array(hash)) };
    } catch {
      ev = { error: 'key' };
    }
    back(ev);
  }

  async #open(f, back) {
    const openUrl = this.#calls.get(f.call)?.openUrl;
    try {
      if (typeof openUrl === 'function') await openUrl(f.url);
      else location.assign(f.url);
      back();
    } catch {
      back({ error: 'open' });
    }
  }

  async #authFetch(f, back) {
    try {
      const copy = this.#calls.get(f.call).request.clone();
      copy.headers.set('Authorization', `${f.scheme ?? 'Bearer'} ${f.token}`);
      if (f.dpop) copy.headers.set('DPoP', await this.#proof(f.dpop));
      // A redirect is not followed with the token: it comes back as an opaque redirect.
      const res = await fetch(copy, { redirect: 'manual' });
      if (res.type === 'opaqueredirect') return back({ error: 'redirect' });
      this.#reqs.set(f.req, res);
      const h = (name) => res.headers.get(name) ?? undefined;
      back({ status: res.status, www: h('www-authenticate'), nonce: h('dpop-nonce') });
    } catch {
      back({ error: 'network' });
    }
  }

  /** An iframe or popup login: opens it, forwards every message and the popup's closing, until `unframe`. */
  #frame(f, back) {
    let frame, popup, poll;
    // Facts for the engine: whether the message comes from the window opened here
    // (`source`), and from the origin of the URL it was opened at (`provider`), compared
    // as the browser serialises origins.
    const provider = new URL(f.url).origin;
    const onMessage = (e) => back({
      origin: e.origin, data: e.data, source: !!e.source && e.source === (frame?.contentWindow ?? popup), provider: e.origin === provider,
    });
    const channel = new BroadcastChannel(HANDOFF);
    channel.onmessage = (e) => back({ via: 'channel', data: e.data });
    addEventListener('message', onMessage);
    if (!f.popup) {
      frame = document.createElement('iframe');
      frame.title = 'spa-auth silent login';
      frame.setAttribute('aria-hidden', 'true');
      frame.style.display = 'none';
      frame.src = f.url;
      document.body.append(frame);
    } else {
      const c = this.#calls.get(f.call);
      popup = c?.popup;
      try {
        if (popup) popup.location.href = f.url;
        else popup = open(f.url, 'spa-auth:login', 'popup,width=480,height=680');
      } catch { popup = null; }
      if (c && popup) c.popup = popup;
      if (!popup) setTimeout(() => back({ error: 'popup_open' }));
      else poll = setInterval(() => { if (popup.closed) { clearInterval(poll); back({ closed: 1 }); } }, f.poll);
    }
    this.#reqs.set(f.req, () => {
      removeEventListener('message', onMessage);
      channel.close();
      clearInterval(poll);
      frame?.remove();
      // auth0-spa-js's `closePopup: false` leaves the popup to the app.
      try { if (this.#calls.get(f.call)?.closePopup !== false) popup?.close(); } catch { /* already gone */ }
    });
  }

  #call(op, args, extra) {
    return new Promise((resolve, reject) => {
      const call = this.#next++;
      this.#calls.set(call, { resolve, reject, ...extra });
      this.#feed({ call, op, ...args });
    });
  }

  /** A call the engine answers synchronously. */
  #now(op, args) {
    let out, err;
    const call = this.#next++;
    this.#calls.set(call, { resolve: (v) => { out = v; }, reject: (e) => { err = e; } });
    this.#feed({ call, op, ...args });
    if (err) throw err;
    return out;
  }

  // ----- the API -----

  /** Redirects to the provider's login page. */
  loginWithRedirect(o = {}) {
    return this.#call('login', { authorizationParams: o.authorizationParams, appState: o.appState, fragment: o.fragment }, { openUrl: o.openUrl });
  }

  /** Finishes a login on the page the provider redirected to. Resolves `{ appState }`. */
  handleRedirectCallback(url) {
    // A repeat of a handled URL (React StrictMode runs effects twice) gets the same promise.
    this.#shared = 0;
    const call = this.#next;
    const p = this.#call('callback', { url, href: location.href });
    if (this.#shared) return this.#callbacks.get(this.#shared);
    this.#callbacks.set(call, p);
    return p;
  }

  /** Restores the provider's session silently in a hidden iframe (`prompt=none`). */
  checkSession(o = {}) {
    return this.#call('checkSession', { authorizationParams: o.authorizationParams });
  }

  /** Signs in in a popup; `popup` (in `options` or `config`) is a window the app opened itself. */
  loginWithPopup(o = {}, config = {}) {
    return this.#popupCall('popup', { authorizationParams: o.authorizationParams }, o, config);
  }

  /** Signs in in a popup for `authorizationParams` and resolves the access token for them. */
  getTokenWithPopup(o = {}, config = {}) {
    return this.#popupCall('popupToken', { authorizationParams: o.authorizationParams, cacheMode: o.cacheMode }, o, config);
  }

  #popupCall(op, args, o, config) {
    const popup = o.popup ?? config.popup;
    // Opened now, in the task of the click that called, so that a popup blocker allows it
    // even when the login's URL comes later (a pushed request); the URL follows.
    const own = popup ? null : open('', 'spa-auth:login', 'popup,width=480,height=680');
    return this.#call(op, { ...args, timeoutInSeconds: config.timeoutInSeconds }, { popup: popup ?? own, own, closePopup: config.closePopup });
  }

  isAuthenticated() { return this.#call('isAuthenticated'); }

  getUser() { return this.#call('getUser'); }

  getIdTokenClaims() { return this.#call('getIdTokenClaims'); }

  /** An access token: a cache hit in one crossing into the engine, else one shared refresh. */
  getTokenSilently(o = {}) {
    const p = o.authorizationParams;
    const plain = (v) => v == null || typeof v === 'string';
    if (!o.detailedResponse && o.cacheMode !== 'off' && plain(p?.audience) && plain(p?.scope)) {
      const token = cached(this.#e, p?.audience ?? '', p?.scope ?? '', Date.now());
      if (token !== undefined) return Promise.resolve(token);
    }
    return this.#call('getToken', { authorizationParams: p, cacheMode: o.cacheMode, detailedResponse: o.detailedResponse, timeoutInSeconds: o.timeoutInSeconds });
  }

  /** Whether `scope` was granted (not only requested) for `{ audience }`. */
  hasScope(scope, o = {}) {
    return this.#now('hasScope', { scope, audience: o.audience });
  }

  /** `fetch` with the access token; on a 401 `invalid_token` challenge, refreshes once and retries. */
  fetchWithAuth(input, init, o = {}) {
    let request;
    try { request = new Request(input, init); } catch {
      return Promise.reject(new GenericError('invalid_options', 'fetchWithAuth: not a valid Request'));
    }
    return this.#call('fetch', { url: request.url, method: request.method, authorizationParams: o.authorizationParams, cacheMode: o.cacheMode }, { request });
  }

  /** Forgets the session here and in every tab, then opens the provider's logout unless `openUrl` is `false`. */
  logout(o = {}) {
    const local = o.openUrl === false;
    return this.#call('logout', { logoutParams: o.logoutParams, clientId: o.clientId, openUrl: local ? false : undefined }, { openUrl: local ? undefined : o.openUrl });
  }

  /** A DPoP proof (RFC 9449) signed with this session's key, for an API request the app makes itself (`useDpop`). */
  generateDpopProof(o = {}) {
    return this.#call('generateDpopProof', { url: o.url, method: o.method, nonce: o.nonce, accessToken: o.accessToken });
  }

  /** The DPoP nonce last given by the provider, or with `id` (an origin) by that API. */
  getDpopNonce(id) { return this.#call('getDpopNonce', { id }); }

  /** Sets the DPoP nonce of the provider, or with `id` (an origin) of that API. */
  setDpopNonce(nonce, id) { return this.#call('setDpopNonce', { nonce, id }); }

  /** Revokes the refresh token at the provider (RFC 7009) and forgets it. */
  revokeRefreshToken() { return this.#call('revoke'); }

  /** `sessionchange`: `event.detail` is `{ reason, otherTab, isAuthenticated }`. */
  addEventListener(type, listener) { this.#events.addEventListener(type, listener); }

  removeEventListener(type, listener) { this.#events.removeEventListener(type, listener); }

  /** Releases the wasm memory of this client; its later calls reject (`browser_error`). */
  free() {
    this.#channel?.close();
    this.#held?.();
    release(this.#e);
    this.#e = -1;
  }
}

/**
 * Creates a client once the wasm is loaded. When another tab of this origin holds a
 * session, the client takes it first (waiting at most 200 ms). Rejects with a
 * GenericError (`invalid_options`) when the options are wrong.
 */
export async function createAuthClient(options) {
  // `wasm` (a URL, a Response or a WebAssembly.Module) for apps that serve the .wasm from
  // a CDN or another path: used when the copy next to this module did not load.
  if (options?.wasm && !loaded) wasm = wasm.catch(() => load(options.wasm)).then(() => { loaded = true; });
  await wasm;
  const client = new AuthClient(options);
  await ready.get(client);
  return client;
}
