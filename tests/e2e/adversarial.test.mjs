// The adversarial suite: the built package in Chromium against a forging provider.
// Every case must end in its specific typed error with nothing half-stored: no session,
// no token in the cache, no transaction left, the URL cleaned, and no token request
// when the callback itself was refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startForger } from '../support/forger.mjs';
import { startApp, launchChromium, newPage } from '../support/harness.mjs';

let forger;
let app;
let browser;
const TIMEOUT_S = 1;

before(async () => {
  forger = await startForger();
  app = await startApp(() => ({ issuer: forger.issuer, clientId: 'spa-forged', scopes: '', options: { httpTimeoutInSeconds: TIMEOUT_S } }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
  await forger?.close();
});

/** Logs in against the forger under `name`; returns the callback's outcome and the page. */
async function loginUnder(name, authorizationParams = {}) {
  forger.setCase(name);
  const page = await newPage(browser);
  const context = page.context();
  await page.goto(`${app.origin}/`);
  await page.evaluate(() => window.ready);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/callback.html'),
    page.evaluate((p) => { auth.loginWithRedirect({ authorizationParams: p }); }, authorizationParams),
  ]);
  await page.waitForFunction(() => window.callbackResult || window.callbackError, null, { timeout: 15000 });
  return { page, outcome: await page.evaluate(() => window.callbackResult ?? window.callbackError) };
}

/** Nothing of a refused login may remain. */
async function assertNothingStored(page) {
  const state = await page.evaluate(async () => ({
    authenticated: await auth.isAuthenticated(),
    user: await auth.getUser(),
    cached: await auth.getTokenSilently({ cacheMode: 'cache-only' }),
    transactions: Object.keys(sessionStorage).filter((k) => k.startsWith('spa-auth.tx.')),
    search: location.search,
    hash: location.hash,
  }));
  assert.equal(state.authenticated, false);
  assert.equal(state.user, undefined);
  assert.equal(state.cached, undefined, 'zero tokens in the cache');
  assert.deepEqual(state.transactions, [], 'no transaction left behind');
  // The URL is cleaned of every response parameter; the app's own stay.
  const left = new URLSearchParams(state.search);
  assert.equal(left.get('app'), '1');
  for (const p of ['code', 'state', 'iss', 'error', 'error_description', 'id_token']) assert.ok(!left.has(p), `${p} left in the URL`);
  assert.equal(state.hash, '');
}

// [case, expected error, the check that failed (stable, never the English text), token
// requests the case may make, authorize parameters]
const CASES = [
  ['bad-signature', 'invalid_id_token', 'signature', 1],
  ['unknown-key', 'invalid_id_token', 'kid', 1],
  ['alg-none', 'invalid_id_token', 'alg', 1],
  ['hs256-confusion', 'invalid_id_token', 'alg', 1],
  ['kid-wrong-type', 'invalid_id_token', 'key', 1],
  ['jku-header', 'invalid_id_token', 'jku', 1],
  ['embedded-jwk', 'invalid_id_token', 'jwk', 1],
  ['wrong-iss', 'invalid_id_token', 'iss', 1],
  ['wrong-aud', 'invalid_id_token', 'aud', 1],
  ['multi-aud-no-azp', 'invalid_id_token', 'azp_missing', 1],
  ['multi-aud-wrong-azp', 'invalid_id_token', 'azp', 1],
  ['expired', 'invalid_id_token', 'exp', 1],
  ['iat-future', 'invalid_id_token', 'iat', 1],
  ['nbf-future', 'invalid_id_token', 'nbf', 1],
  ['nonce-missing', 'invalid_id_token', 'nonce_missing', 1],
  ['nonce-wrong', 'invalid_id_token', 'nonce', 1],
  ['auth-time-old', 'invalid_id_token', 'auth_time', 1, { max_age: 60 }],
  ['wrong-org', 'invalid_id_token', 'org_id', 1, { organization: 'org_good' }],
  ['at-hash-wrong', 'invalid_id_token', 'at_hash', 1],
  ['c-hash-wrong', 'invalid_id_token', 'c_hash', 0, { response_type: 'code id_token' }],
  ['iss-missing', 'invalid_issuer', 'iss_missing', 0],
  ['iss-wrong', 'invalid_issuer', 'iss', 0],
  ['error-iss-wrong', 'invalid_issuer', 'iss', 0],
  ['error-without-iss', 'access_denied', undefined, 0],
  ['token-type-mac', 'unsupported_token_type', undefined, 1],
  ['expires-in-negative', 'invalid_response', 'expires_in', 1],
  ['expires-in-huge', 'invalid_response', 'expires_in', 1],
  ['response-over-1mb', 'invalid_response', 'size', 1],
  ['response-over-1mb-chunked', 'invalid_response', 'size', 1],
  ['not-json', 'invalid_json', undefined, 1],
  ['wrong-types', 'invalid_response', 'access_token', 1],
  ['html-500', 'unexpected_status', undefined, 1],
  ['hung', 'timeout', undefined, 1],
  ['jwks-not-json', 'invalid_jwks', 'json', 1],
  ['jwks-1000-keys', 'invalid_jwks', 'size', 1],
  ['dup-state', 'invalid_callback', 'state', 0],
  ['dup-code', 'invalid_callback', 'code', 0],
  ['huge-url', 'invalid_callback', 'length', 0],
];

for (const [name, error, check, tokenRequests, params] of CASES) {
  test(`forged: ${name} → ${error}${check ? ` (${check})` : ''}`, async () => {
    const since = forger.log.length;
    const { page, outcome } = await loginUnder(name, params);
    assert.equal(outcome.error, error, JSON.stringify(outcome));
    assert.ok(outcome.isError);
    assert.equal(outcome.check, check, JSON.stringify(outcome));
    if (error === 'timeout') assert.equal(outcome.name, 'TimeoutError');
    assert.equal(forger.count('/token', since), tokenRequests, 'token requests');
    await assertNothingStored(page);
    await page.context().close();
  });
}

test('forged: a token error with a BOM and a character split across chunks reads as the browser decodes it', async () => {
  const { page, outcome } = await loginUnder('error-utf8-split');
  assert.equal(outcome.error, 'access_denied', JSON.stringify(outcome));
  assert.equal(outcome.error_description, 'na\u00efve');
  await assertNothingStored(page);
  await page.context().close();
});

test('control: an honest login signed with ES256 succeeds against the same forger', async () => {
  const { page, outcome } = await loginUnder('es256-good');
  assert.equal(outcome.error, undefined, JSON.stringify(outcome));
  assert.equal((await page.evaluate(() => auth.getUser())).sub, 'victim');
  await page.context().close();
});

for (const alg of ['PS256', 'ES384', 'EdDSA']) {
  test(`control: an honest login signed with ${alg} is verified by WebCrypto and succeeds`, async () => {
    const { page, outcome } = await loginUnder(`${alg.toLowerCase()}-good`);
    assert.equal(outcome.error, undefined, JSON.stringify(outcome));
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'victim');
    await page.context().close();
  });
}

test('forged: a refresh whose ID token names another user ends the session', async () => {
  const { page, outcome } = await loginUnder('good');
  assert.equal(outcome.error, undefined);
  forger.setCase('refresh-other-sub');
  const err = await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }).then(() => null, errorOf));
  assert.equal(err.error, 'invalid_id_token');
  assert.equal(err.check, 'sub');
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  assert.equal(await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'cache-only' })), undefined);
  await page.context().close();
});

test('a storm of unknown keys does not become a storm of JWKS requests', async () => {
  const { page } = await loginUnder('good');
  const since = forger.log.length;
  // Three more logins in the same client, each answered with a token signed by an unknown key.
  forger.setCase('unknown-key');
  const errors = await page.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 3; i++) {
      let url;
      await auth.loginWithRedirect({ openUrl: (u) => { url = u; } });
      const { location } = await (await fetch(`${url}&__json=1`)).json();
      out.push(await auth.handleRedirectCallback(location).then(() => null, (e) => e.error));
    }
    return out;
  });
  assert.deepEqual(errors, ['invalid_id_token', 'invalid_id_token', 'invalid_id_token']);
  assert.equal(forger.count('/token', since), 3);
  assert.equal(forger.count('/jwks', since), 0, 'the set fetched at login is not fetched again within the minute');
  await page.context().close();
});

test('key rotation: a token signed by a new key is accepted after one JWKS refetch, once the minute has passed', async () => {
  const { page } = await loginUnder('good');
  const since = forger.log.length;
  forger.setCase('rotated');
  const once = () => page.evaluate(async () => {
    let url;
    await auth.loginWithRedirect({ openUrl: (u) => { url = u; } });
    const { location } = await (await fetch(`${url}&__json=1`)).json();
    return auth.handleRedirectCallback(location).then(() => 'ok', (e) => e.error);
  });
  // Within the minute of the first fetch, an unknown kid is refused without a refetch.
  assert.equal(await once(), 'invalid_id_token');
  assert.equal(forger.count('/jwks', since), 0);
  await new Promise((r) => setTimeout(r, 61_000));
  assert.equal(await once(), 'ok', 'the rotated key was fetched and verifies');
  assert.equal(forger.count('/jwks', since), 1, 'exactly one refetch');
  await page.context().close();
});
