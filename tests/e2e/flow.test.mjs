// End to end: the built package in Debian's Chromium against a real oidc-provider.
// Requests are counted at the provider, never in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchTokens, openApp, login, replayRefreshToken, sleep, newPage as openPage } from '../support/harness.mjs';

const TTL = 5; // access-token lifetime at the provider, seconds
let world;

before(async () => { world = await startWorld({ accessTokenTTL: TTL }); });
after(async () => { await world?.close(); });

const newPage = () => openPage(world.browser);

const tokenGrants = (grant, since) => world.provider.count('/token', grant, since);

test('full login through the provider form, then tokens from memory', async () => {
  const page = await newPage();
  const seen = watchTokens(page, world.provider);
  const start = world.provider.log.length;
  await login(page, world.app.origin, { user: 'alice' });
  await seen.flush();
  // One discovery for the whole login: the callback page takes the document the login
  // page fetched, and asks only for the keys.
  const discoveries = world.provider.log.slice(start).filter((e) => e.path === '/.well-known/openid-configuration');
  assert.equal(discoveries.length, 1, 'the callback page makes no discovery request');

  const result = await page.evaluate(() => window.callbackResult ?? window.callbackError);
  assert.deepEqual(result, { appState: { returnTo: '/after' } });
  assert.equal(tokenGrants('authorization_code'), 1);
  const exchange = seen.requests[0];
  assert.equal(exchange.get('grant_type'), 'authorization_code');
  assert.match(exchange.get('code_verifier'), /^[A-Za-z0-9_-]{43}$/);

  const state = await page.evaluate(async () => ({
    authenticated: await auth.isAuthenticated(),
    user: await auth.getUser(),
    claims: await auth.getIdTokenClaims(),
    canRead: auth.hasScope('read:timesheets'),
    canFly: auth.hasScope('fly:planes'),
  }));
  assert.equal(state.authenticated, true);
  assert.equal(state.user.sub, 'alice');
  assert.equal(state.user.email, 'alice@example.test');
  assert.equal(state.user.nonce, undefined, 'getUser leaves protocol claims out');
  assert.equal(state.claims.aud, 'spa-test');
  assert.equal(state.claims.__raw, seen.id[0]);
  assert.equal(state.canRead, true);
  assert.equal(state.canFly, false);

  // 10. The URL is clean after the callback, and the app's own parameter stays.
  const url = new URL(page.url());
  assert.equal(url.pathname, '/callback.html');
  assert.equal(url.search, '?app=1');
  assert.equal(url.hash, '');

  // 2. A second getTokenSilently makes no network request.
  const before = world.provider.log.length;
  const [t1, t2] = await page.evaluate(async () => [await auth.getTokenSilently(), await auth.getTokenSilently()]);
  assert.equal(t1, seen.access[0]);
  assert.equal(t2, t1);
  assert.equal(world.provider.log.length, before, 'no request reached the provider');

  // fetchWithAuth attaches the token and the real API accepts it.
  const api = await page.evaluate(async () => (await auth.fetchWithAuth('/api/whoami')).json());
  assert.deepEqual(api, { sub: 'alice', scope: 'read:timesheets create:timesheets' });

  // 8. No token string in any storage.
  const dump = await page.evaluate(async () => {
    const all = [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie];
    for (const { name } of await indexedDB.databases()) all.push(`idb:${name}`);
    return all.join('\n');
  });
  for (const t of [...seen.access, ...seen.refresh, ...seen.id]) {
    assert.ok(!dump.includes(t), 'a token was found in storage');
  }
  assert.ok(seen.refresh.length === 1 && seen.id.length === 1);
  await page.context().close();
});

test('after expiry: one refresh for 50 callers, rotation, replay rejected by the provider', async () => {
  const page = await newPage();
  const seen = watchTokens(page, world.provider);
  await login(page, world.app.origin, { user: 'bob' });
  const first = await page.evaluate(() => auth.getTokenSilently());
  await sleep(TTL * 1000 + 200);

  // 3. After expiry, exactly one refresh_token grant.
  let since = world.provider.log.length;
  const second = await page.evaluate(() => auth.getTokenSilently());
  assert.notEqual(second, first);
  assert.equal(tokenGrants('refresh_token', since), 1);
  await seen.flush();
  assert.equal(seen.refresh.length, 2, 'the refresh rotated the refresh token');
  const [original, rotated] = seen.refresh;
  assert.notEqual(rotated, original);
  assert.equal(seen.requests.at(-1).get('refresh_token'), original);

  // 4. 50 concurrent calls after expiry make one refresh, and all get the same token.
  await sleep(TTL * 1000 + 200);
  since = world.provider.log.length;
  const tokens = await page.evaluate(() => Promise.all(Array.from({ length: 50 }, () => auth.getTokenSilently())));
  assert.equal(tokenGrants('refresh_token', since), 1);
  assert.equal(new Set(tokens).size, 1);
  assert.equal(seen.requests.at(-1).get('refresh_token'), rotated, 'the rotated token was used, never the old one');

  // detailedResponse and cacheMode: 'off' forces a refresh.
  since = world.provider.log.length;
  const detailed = await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off', detailedResponse: true }));
  assert.equal(tokenGrants('refresh_token', since), 1);
  assert.equal(detailed.token_type, 'Bearer');
  assert.ok(detailed.expires_in > 0 && detailed.expires_in <= TTL);
  await seen.flush();
  assert.equal(detailed.id_token, seen.id.at(-1));

  // The provider rejects the original refresh token when it is replayed.
  const replay = await replayRefreshToken(world.provider.issuer, original);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');

  // Replaying a rotated token revoked the whole grant: the SDK surfaces login_required and forgets the session.
  const err = await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }).then(() => null, errorOf));
  assert.equal(err.error, 'login_required');
  assert.equal(err.name, 'GenericError');
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  const missing = await page.evaluate(() => auth.getTokenSilently().then(() => null, errorOf));
  assert.deepEqual([missing.name, missing.error, missing.isError], ['MissingRefreshTokenError', 'missing_refresh_token', true]);
  assert.deepEqual(missing.instanceOf, ['GenericError', 'MissingRefreshTokenError'], 'instanceof works, with auth0-spa-js\'s hierarchy');
  assert.equal(missing.audience, 'https://api.timesheets.test');
  assert.match(missing.scope, /^openid profile email /);
  assert.deepEqual(err.instanceOf, ['GenericError']);
  await page.context().close();
});

test('fetchWithAuth refreshes once on a 401 invalid_token challenge and retries', async () => {
  const page = await newPage();
  const seen = watchTokens(page, world.provider);
  await login(page, world.app.origin, { user: 'carol' });
  await seen.flush();
  assert.equal(seen.access.length, 1);
  // The API starts refusing the token the client still holds as valid.
  await fetch(`${world.app.origin}/api/deny`, { method: 'POST', body: seen.access[0] });
  const since = world.provider.log.length;
  const res = await page.evaluate(async () => {
    const r = await auth.fetchWithAuth('/api/whoami', { headers: { 'X-Test': '1' } });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.sub, 'carol');
  assert.equal(tokenGrants('refresh_token', since), 1);
  // The SDK's Authorization header replaces one the app set.
  const plain = await page.evaluate(async () => (await auth.fetchWithAuth('/api/whoami', { headers: { Authorization: 'x' } })).status);
  assert.equal(plain, 200);
  await page.context().close();
});

test('fetchWithAuth sends the token only to allowed origins, and follows no redirect with it', async () => {
  const page = await newPage();
  await login(page, world.app.origin, { user: 'dave' });
  const since = world.provider.log.length;
  const outcome = await page.evaluate(async (other) => ({
    elsewhere: await auth.fetchWithAuth(`${other}/me`).then(() => null, errorOf),
    plain: await auth.fetchWithAuth(location.href.replace('http://127.0.0.1', 'http://localhost.example')).then(() => null, errorOf),
    bounced: await auth.fetchWithAuth('/api/bounce').then(() => null, errorOf),
  }), world.provider.issuer);
  assert.equal(outcome.elsewhere.error, 'origin_not_allowed');
  assert.equal(outcome.plain.error, 'origin_not_allowed');
  assert.equal(outcome.bounced.error, 'redirect_not_followed');
  assert.equal(world.provider.log.slice(since).filter((e) => e.path === '/me').length, 0, 'nothing reached the other origin');
  await page.context().close();
});

test('a wrong state throws and makes no token request', async () => {
  const page = await newPage();
  const since = world.provider.log.length;
  // No login pending at all.
  await openApp(page, world.app.origin, '/callback.html?app=1&code=abc&state=forged');
  let err = await page.evaluate(() => window.callbackError);
  assert.equal(err.error, 'missing_transaction');
  // A login pending, and a callback with another state.
  await page.evaluate(() => auth.loginWithRedirect({ openUrl: () => {} }));
  await openApp(page, world.app.origin, '/callback.html?app=1&code=abc&state=forged');
  err = await page.evaluate(() => window.callbackError);
  assert.deepEqual([err.name, err.error, err.isError], ['GenericError', 'state_mismatch', true]);
  assert.ok(!err.message.includes('abc'), 'the code is not echoed');
  assert.equal(tokenGrants(undefined, since), 0);
  assert.equal(new URL(page.url()).search, '?app=1', 'cleaned on failure too');
  await page.context().close();
});

test('two loginWithRedirect calls in one tick (StrictMode) leave one transaction: the one the page navigates to', async () => {
  const page = await newPage();
  await openApp(page, world.app.origin);
  const { opened, keys } = await page.evaluate(async () => {
    const opened = [];
    const openUrl = (u) => { opened.push(new URL(u).searchParams.get('state')); };
    await Promise.all([auth.loginWithRedirect({ openUrl }), auth.loginWithRedirect({ openUrl })]);
    return { opened, keys: Object.keys(sessionStorage).filter((k) => k.startsWith('spa-auth.tx.')) };
  });
  assert.equal(opened.length, 2);
  assert.equal(keys.length, 1, 'no orphaned verifier');
  assert.ok(keys[0].endsWith(`.${opened[1]}`), 'the transaction kept is the last navigation\'s');
  await page.context().close();
});

test('a replayed callback URL throws and makes no token request; a repeated call shares the promise', async () => {
  const page = await newPage();
  let callbackUrl;
  page.on('request', (r) => { if (r.url().includes('/callback.html?') && r.url().includes('code=')) callbackUrl = r.url(); });
  await login(page, world.app.origin, { user: 'dave' });
  assert.ok(callbackUrl);
  // React StrictMode calls twice: same URL, same promise, one exchange.
  const same = await page.evaluate((u) => auth.handleRedirectCallback(u) === auth.handleRedirectCallback(u), callbackUrl);
  assert.equal(same, true);
  const since = world.provider.log.length;
  await openApp(page, world.app.origin, new URL(callbackUrl).pathname + new URL(callbackUrl).search);
  const err = await page.evaluate(() => window.callbackError);
  assert.equal(err.error, 'missing_transaction');
  assert.equal(tokenGrants(undefined, since), 0);
  await page.context().close();
});

test('error=access_denied from the provider surfaces with its description', async () => {
  const page = await newPage();
  await openApp(page, world.app.origin);
  await Promise.all([page.waitForURL(/\/interaction\//), page.evaluate(() => { auth.loginWithRedirect({ appState: { returnTo: '/x' } }); })]);
  const state = new URL(page.url()).searchParams.get('state') ?? undefined;
  const since = world.provider.log.length;
  await page.click('text=[ Cancel ]');
  await page.waitForURL((u) => u.pathname === '/callback.html');
  await page.waitForFunction(() => window.callbackError);
  const err = await page.evaluate(() => window.callbackError);
  assert.deepEqual([err.name, err.error, err.error_description], ['AuthenticationError', 'access_denied', 'End-User aborted interaction']);
  assert.deepEqual(err.instanceOf, ['GenericError', 'AuthenticationError']);
  assert.deepEqual(err.appState, { returnTo: '/x' }, 'AuthenticationError.appState, as in auth0-spa-js');
  assert.match(err.state, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(tokenGrants(undefined, since), 0);
  const url = new URL(page.url());
  assert.equal(url.search, '?app=1', 'error, error_description, state and iss are cleaned');
  await page.context().close();
});

test('logout clears memory and reaches the end-session endpoint', async () => {
  const page = await newPage();
  await login(page, world.app.origin, { user: 'erin' });
  // openUrl: false clears locally only.
  const local = await page.evaluate(async () => {
    await auth.logout({ openUrl: false });
    return { authed: await auth.isAuthenticated(), user: await auth.getUser(), err: await auth.getTokenSilently().then(() => null, errorOf) };
  });
  assert.deepEqual([local.authed, local.user, local.err.error], [false, undefined, 'missing_refresh_token']);

  await login(page, world.app.origin, { user: 'erin' });
  const since = world.provider.log.length;
  const origin = world.app.origin;
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/session/end')),
    page.evaluate((o) => { auth.logout({ logoutParams: { returnTo: `${o}/` } }); }, origin),
  ]);
  const endUrl = new URL(page.url());
  assert.equal(endUrl.searchParams.get('client_id'), 'spa-test');
  assert.equal(endUrl.searchParams.get('post_logout_redirect_uri'), `${origin}/`);
  assert.ok(endUrl.searchParams.get('id_token_hint'));
  await page.click('button[name=logout]');
  await page.waitForURL(`${origin}/`);
  assert.equal(world.provider.count('/session/end', undefined, since), 1);
  assert.equal(world.provider.count('/session/end/confirm', undefined, since), 1);
  await page.evaluate(() => window.ready);
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  // The provider session is gone too: a new login shows the login form again.
  await Promise.all([page.waitForURL(/\/interaction\//), page.evaluate(() => { auth.loginWithRedirect(); })]);
  assert.equal(await page.locator('input[name=login]').count(), 1);
  await page.context().close();
});

test('errors cross to JS as named Error objects with stable fields', async () => {
  const page = await newPage();
  await openApp(page, world.app.origin);
  const errs = await page.evaluate(async () => {
    const { createAuthClient } = await import('/pkg/index.js');
    const out = {};
    out.badDomain = await createAuthClient({ domain: 'http://example.com', clientId: 'x' }).then(() => null, errorOf);
    out.noClient = await createAuthClient({ domain: 'example.com' }).then(() => null, errorOf);
    out.badCacheMode = await auth.getTokenSilently({ cacheMode: 'sometimes' }).then(() => null, errorOf);
    out.reserved = await auth.loginWithRedirect({ authorizationParams: { state: 'mine' }, openUrl: () => {} }).then(() => null, errorOf);
    out.notCallback = await auth.handleRedirectCallback(location.origin + '/?x=1').then(() => null, errorOf);
    out.cacheOnly = await auth.getTokenSilently({ cacheMode: 'cache-only' });
    return out;
  });
  assert.equal(errs.badDomain.error, 'invalid_options');
  assert.equal(errs.badDomain.name, 'GenericError');
  assert.deepEqual([errs.badDomain.check, errs.noClient.check, errs.badCacheMode.check, errs.reserved.check], ['domain', 'clientId', 'cacheMode', 'authorizationParams']);
  assert.equal(errs.noClient.error, 'invalid_options');
  assert.equal(errs.badCacheMode.error, 'invalid_options');
  assert.equal(errs.reserved.error, 'invalid_options');
  assert.equal(errs.notCallback.error, 'not_a_callback');
  assert.equal(errs.cacheOnly, undefined);
  await page.context().close();
});

test('a narrower scope is refreshed for, with the scope parameter, and the API sees only it', async () => {
  const page = await newPage();
  const seen = watchTokens(page, world.provider);
  await login(page, world.app.origin, { user: 'fay' });
  // A cached token whose scope covers the request serves it.
  let since = world.provider.log.length;
  const narrow = { authorizationParams: { scope: 'read:timesheets' } };
  await page.evaluate((o) => auth.getTokenSilently(o), narrow);
  assert.equal(world.provider.log.length, since);
  // Forced, the refresh asks for the narrower scope, and the API sees only it.
  since = world.provider.log.length;
  const body = await page.evaluate(async (o) => (await auth.fetchWithAuth(new URL('/api/whoami', location.href), {}, { ...o, cacheMode: 'off' })).json(), narrow);
  assert.equal(tokenGrants('refresh_token', since), 1);
  assert.equal(seen.requests.at(-1).get('scope'), 'openid read:timesheets');
  assert.equal(body.scope, 'read:timesheets');
  // Both keys are now cached: neither makes a request.
  const after = world.provider.log.length;
  await page.evaluate((o) => Promise.all([auth.getTokenSilently(o), auth.getTokenSilently()]), narrow);
  assert.equal(world.provider.log.length, after);
  await page.context().close();
});

test('response_mode=fragment and max_age logins', async () => {
  const page = await newPage();
  let callbackUrl;
  page.on('framenavigated', (f) => { if (!callbackUrl && f.url().includes('#code=')) callbackUrl = f.url(); });
  await login(page, world.app.origin, { user: 'gus', authorizationParams: { response_mode: 'fragment', max_age: 600 } });
  assert.deepEqual(await page.evaluate(() => window.callbackResult ?? window.callbackError), { appState: { returnTo: '/after' } });
  assert.match(callbackUrl, /#code=/);
  const url = new URL(page.url());
  assert.equal(url.search + url.hash, '?app=1', 'the fragment response was cleaned');
  const claims = await page.evaluate(() => auth.getIdTokenClaims());
  assert.equal(typeof claims.auth_time, 'number');
  await page.context().close();
});

test('revokeRefreshToken revokes at the provider and forgets the token', async () => {
  const page = await newPage();
  const seen = watchTokens(page, world.provider);
  await login(page, world.app.origin, { user: 'hal' });
  await seen.flush();
  const since = world.provider.log.length;
  await page.evaluate(() => auth.revokeRefreshToken());
  assert.equal(world.provider.count('/token/revocation', undefined, since), 1);
  const err = await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }).then(() => null, errorOf));
  assert.equal(err.error, 'missing_refresh_token');
  assert.equal((await replayRefreshToken(world.provider.issuer, seen.refresh[0])).body.error, 'invalid_grant');
  await page.context().close();
});

test('the hybrid flow: the front-channel ID token is verified and bound to the code by c_hash', async () => {
  const page = await newPage();
  await page.context().addInitScript(() => sessionStorage.setItem('test.clientId', 'spa-test-hybrid'));
  let callbackUrl;
  page.on('framenavigated', (f) => { if (!callbackUrl && f.url().includes('id_token=')) callbackUrl = f.url(); });
  const since = world.provider.log.length;
  await login(page, world.app.origin, { user: 'ida', authorizationParams: { response_type: 'code id_token' } });
  assert.deepEqual(await page.evaluate(() => window.callbackResult ?? window.callbackError), { appState: { returnTo: '/after' } });
  const front = new URLSearchParams(new URL(callbackUrl).hash.slice(1));
  assert.ok(front.get('id_token') && front.get('code'));
  assert.equal(front.get('iss'), null, 'oidc-provider leaves iss out of hybrid responses; the ID token serves');
  const claims = JSON.parse(Buffer.from(front.get('id_token').split('.')[1], 'base64url'));
  assert.ok(claims.c_hash);
  assert.equal(tokenGrants('authorization_code', since), 1);
  assert.equal((await page.evaluate(() => auth.getUser())).sub, 'ida');
  const url = new URL(page.url());
  assert.equal(url.search + url.hash, '?app=1');
  await page.context().close();
});
