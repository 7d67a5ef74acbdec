// DPoP (RFC 9449) end to end: the built package in Chromium against oidc-provider (its
// DPoP feature, once with nonces required) and the demo's Rust API, which checks proofs.
// Requests are counted at the provider and at the API, never in the page.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedJWK, jwtVerify, decodeJwt, calculateJwkThumbprint, generateKeyPair, exportJWK, SignJWT } from 'jose';
import { startWorld, login, newPage, freePort, startTimesheetsApi, replayRefreshToken } from '../support/harness.mjs';

/** A proof's claims and header, its signature checked against its own `jwk`. */
async function checkProof(proof) {
  assert.ok(proof, 'the request carries a DPoP header');
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  assert.equal(protectedHeader.jwk.d, undefined, 'no private part in the header');
  return { claims: payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk) };
}

/** A proof by a key that is not the session's, as a thief with the token alone would make. */
async function foreignProof(htm, htu, accessToken) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const claims = { htm, htu, jti: crypto.randomUUID() };
  if (accessToken) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
    claims.ath = Buffer.from(digest).toString('base64url');
  }
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(publicKey) }).setIssuedAt().sign(privateKey);
}

// POSTs only: the DPoP header makes the browser send a CORS preflight (OPTIONS) first,
// which the provider lets it cache for an hour.
const tokenRequests = (world, since) => world.provider.log.slice(since).filter((e) => e.path === '/token' && e.method === 'POST');

async function dpopWorld({ dpopNonce = false, apiNonce } = {}) {
  const port = await freePort();
  const world = await startWorld({ accessTokenTTL: 60, dpopNonce, appOptions: { useDpop: true, allowedOrigins: [`http://127.0.0.1:${port}`] } });
  world.api = await startTimesheetsApi({ issuer: world.provider.issuer, origin: world.app.origin, port, nonce: apiNonce });
  return world;
}

describe('DPoP against a provider that does not require nonces', () => {
  let world;
  before(async () => { world = await dpopWorld(); });
  after(async () => { world?.api.close(); await world?.close(); });

  test('the code exchange and the refresh carry valid proofs of one key; the tokens are DPoP and bound to it', async () => {
    const { provider } = world;
    const page = await newPage(world.browser);
    const since = provider.log.length;
    await login(page, world.app.origin, { user: 'dora' });
    assert.deepEqual(await page.evaluate(() => window.callbackResult ?? window.callbackError), { appState: { returnTo: '/after' } });
    const [exchange] = tokenRequests(world, since);
    assert.equal(tokenRequests(world, since).length, 1);
    const first = await checkProof(exchange.dpop);
    assert.equal(first.claims.htm, 'POST');
    assert.equal(first.claims.htu, `${provider.issuer}/token`);
    assert.equal(exchange.issued.type, 'DPoP');
    assert.equal(decodeJwt(exchange.issued.access).cnf.jkt, first.jkt, 'the access token is bound to the key');
    const detailed = await page.evaluate(() => auth.getTokenSilently({ detailedResponse: true }));
    assert.equal(detailed.token_type, 'DPoP');

    // The refresh: a proof of the same key; the new access token bound to it as well.
    const before = provider.log.length;
    await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }));
    const [refresh] = tokenRequests(world, before);
    assert.equal(tokenRequests(world, before).length, 1);
    assert.equal(refresh.grant_type, 'refresh_token');
    const second = await checkProof(refresh.dpop);
    assert.equal(second.jkt, first.jkt, 'one key for the session');
    assert.notEqual(second.claims.jti, first.claims.jti);
    assert.equal(decodeJwt(refresh.issued.access).cnf.jkt, first.jkt);

    // The rotated refresh token is bound too: replayed from node without the key, or with
    // a proof of another key, the provider refuses it.
    const stolen = refresh.issued.refresh;
    const bare = await replayRefreshToken(provider.issuer, stolen);
    assert.equal(bare.status, 400, JSON.stringify(bare.body));
    const res = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', DPoP: await foreignProof('POST', `${provider.issuer}/token`) },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: provider.clientId, refresh_token: stolen }),
    });
    assert.equal(res.status, 400, 'a proof of another key does not unlock the refresh token');
    assert.equal((await res.json()).error, 'invalid_grant');
    await page.context().close();
  });

  test('fetchWithAuth sends the token as DPoP with a proof bound to it; the same token alone gets a 401', async () => {
    const page = await newPage(world.browser);
    await login(page, world.app.origin, { user: 'emil' });
    const url = `${world.api.url}/timesheets`;
    const n0 = await world.api.requests();
    const res = await page.evaluate(async (u) => { const r = await auth.fetchWithAuth(u); return { status: r.status, body: await r.json() }; }, url);
    assert.deepEqual(res, { status: 200, body: [] });
    assert.equal(await world.api.requests() - n0, 1);
    const token = await page.evaluate(() => auth.getTokenSilently());
    const asBearer = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(asBearer.status, 401, 'a copied DPoP token is no bearer token');
    const withForeignProof = await fetch(url, { headers: { Authorization: `DPoP ${token}`, DPoP: await foreignProof('GET', url, token) } });
    assert.equal(withForeignProof.status, 401, 'nor does a proof of another key help');
    assert.match(withForeignProof.headers.get('www-authenticate'), /^DPoP /);
    // generateDpopProof makes a proof the API accepts, for an app that calls APIs itself.
    const own = await page.evaluate(async (u) => {
      const accessToken = await auth.getTokenSilently();
      const proof = await auth.generateDpopProof({ url: u, method: 'GET', accessToken });
      return (await fetch(u, { headers: { Authorization: `DPoP ${accessToken}`, DPoP: proof } })).status;
    }, url);
    assert.equal(own, 200);
    await page.context().close();
  });

  test('the private key never reaches storage: a non-extractable CryptoKey in IndexedDB, gone after logout', async () => {
    const page = await newPage(world.browser);
    await login(page, world.app.origin, { user: 'fay' });
    await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }));
    const read = () => page.evaluate(async () => {
      const db = await new Promise((ok, no) => { const r = indexedDB.open('spa-auth'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
      const pairs = await new Promise((ok) => { const r = db.transaction('keys').objectStore('keys').getAll(); r.onsuccess = () => ok(r.result); });
      db.close();
      const out = [];
      for (const p of pairs) {
        let exported = 'refused';
        try { await crypto.subtle.exportKey('jwk', p.privateKey); exported = 'exported'; } catch { /* non-extractable */ }
        out.push({ extractable: p.privateKey.extractable, type: p.privateKey.type, exported });
      }
      const text = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
      return { pairs: out, privateJwk: /"d"\s*:/.test(text) || /PRIVATE KEY/.test(text) };
    });
    const stored = await read();
    assert.deepEqual(stored.pairs, [{ extractable: false, type: 'private', exported: 'refused' }]);
    assert.equal(stored.privateJwk, false);
    await page.evaluate(() => auth.logout({ openUrl: false }));
    await page.waitForTimeout(200);
    assert.deepEqual((await read()).pairs, [], 'logout leaves no key behind');
    await page.context().close();
  });
});

describe('DPoP against a provider and an API that require nonces', () => {
  let world;
  before(async () => { world = await dpopWorld({ dpopNonce: true, apiNonce: 'api-nonce-1' }); });
  after(async () => { world?.api.close(); await world?.close(); });

  test('one use_dpop_nonce retry per server: 2 token requests for the exchange, 2 API requests, then the nonces are kept', async () => {
    const page = await newPage(world.browser);
    const since = world.provider.log.length;
    await login(page, world.app.origin, { user: 'gus' });
    assert.deepEqual(await page.evaluate(() => window.callbackResult ?? window.callbackError), { appState: { returnTo: '/after' } });
    const exchange = tokenRequests(world, since);
    assert.deepEqual(exchange.map((e) => e.status), [400, 200], 'a challenge, then the exchange with the nonce');
    assert.equal((await checkProof(exchange[0].dpop)).claims.nonce, undefined);
    const nonce = (await checkProof(exchange[1].dpop)).claims.nonce;
    assert.ok(nonce);

    // A refresh with the remembered nonce: one request.
    let before = world.provider.log.length;
    await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }));
    assert.deepEqual(tokenRequests(world, before).map((e) => e.status), [200]);
    // With a stale nonce: the challenge and one retry, 2 requests, and success.
    before = world.provider.log.length;
    const token = await page.evaluate(async () => { await auth.setDpopNonce('stale'); return auth.getTokenSilently({ cacheMode: 'off' }); });
    assert.deepEqual(tokenRequests(world, before).map((e) => e.status), [400, 200]);
    assert.ok(token);
    assert.ok(await page.evaluate(() => auth.getDpopNonce()), 'the provider nonce is readable');

    // The API demands its own nonce: exactly 2 API requests, and success; then 1.
    const url = `${world.api.url}/timesheets`;
    let n0 = await world.api.requests();
    const status = await page.evaluate(async (u) => (await auth.fetchWithAuth(u)).status, url);
    assert.equal(status, 200);
    assert.equal(await world.api.requests() - n0, 2);
    assert.equal(await page.evaluate((o) => auth.getDpopNonce(o), world.api.origin), 'api-nonce-1');
    n0 = await world.api.requests();
    assert.equal(await page.evaluate(async (u) => (await auth.fetchWithAuth(u)).status, url), 200);
    assert.equal(await world.api.requests() - n0, 1, 'the API nonce is remembered');
    await page.context().close();
  });
});
