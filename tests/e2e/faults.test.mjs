// Faults that must never cost the user their session. The real provider answers every
// request but the one a test arms a fault for (a 503, a reset connection, a 429, a
// provider that does not rotate, a slow token endpoint, …). After each fault the session
// is still there, the next call works, and no token request is made beyond the one retry
// the test expects. Requests are counted at the provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, openApp, login, sleep, newPage, signedInPage } from '../support/harness.mjs';

let world;
before(async () => { world = await startWorld({ accessTokenTTL: 60 }); });
after(async () => { await world?.close(); });

const requests = (path, since) => world.provider.log.slice(since).filter((e) => e.path === path);

async function signedIn(user) {
  const page = await signedInPage(world, user);
  assert.equal(await page.evaluate(() => window.callbackError?.error), undefined);
  return page;
}

const refresh = (page) => page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }).then((t) => ({ token: t }), errorOf));
const user = (page) => page.evaluate(() => auth.getUser().then((u) => u?.sub));

async function assertSessionSurvives(page, sub, since, tokenRequests) {
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), true, 'still signed in');
  assert.equal(await user(page), sub);
  const next = await refresh(page);
  assert.ok(next.token, `the next call works: ${JSON.stringify(next)}`);
  assert.equal(requests('/token', since).length, tokenRequests, 'token requests');
}

for (const [name, fault, code] of [
  ['answered 503', { kind: 'status', status: 503, body: 'Service Unavailable' }, 'unexpected_status'],
  ['whose connection is reset mid-answer', { kind: 'reset' }, 'network_error'],
]) {
  test(`a refresh ${name} fails with ${code}, and the session stays`, async () => {
    const page = await signedIn(`fault-${fault.kind}`);
    const since = world.provider.log.length;
    world.provider.injectFault('/token', fault);
    assert.equal((await refresh(page)).error, code);
    await assertSessionSurvives(page, `fault-${fault.kind}`, since, 2);
    await page.context().close();
  });
}

test('a refresh answered 429 with Retry-After: the SDK waits that long before it asks again', async () => {
  const page = await signedIn('fault-429');
  const since = world.provider.log.length;
  world.provider.injectFault('/token', { kind: 'status', status: 429, headers: { 'Retry-After': '2' }, body: '' });
  assert.equal((await refresh(page)).error, 'too_many_requests');
  const within = await Promise.all([1, 2, 3].map(() => refresh(page)));
  assert.deepEqual(within.map((r) => r.error), ['too_many_requests', 'too_many_requests', 'too_many_requests']);
  assert.equal(requests('/token', since).length, 1, 'not hammered while the provider asked to wait');
  await sleep(2100);
  await assertSessionSurvives(page, 'fault-429', since, 2);
  await page.context().close();
});

test('a provider that does not rotate: the refresh token in hand is kept and keeps working', async () => {
  const page = await signedIn('fault-no-rotation');
  world.provider.setRotation(false);
  try {
    const since = world.provider.log.length;
    world.provider.injectFault('/token', { kind: 'strip', members: ['refresh_token'] });
    assert.ok((await refresh(page)).token);
    assert.equal(requests('/token', since)[0].issued.refresh, undefined, 'no refresh_token in the answer');
    await assertSessionSurvives(page, 'fault-no-rotation', since, 2);
    assert.equal(requests('/token', since)[1].status, 200, 'the old refresh token still works');
  } finally {
    world.provider.setRotation(true);
  }
  await page.context().close();
});

test('a refresh response without an ID token leaves the user unchanged', async () => {
  const page = await signedIn('fault-no-id-token');
  const claims = await page.evaluate(() => auth.getIdTokenClaims());
  const since = world.provider.log.length;
  world.provider.injectFault('/token', { kind: 'strip', members: ['id_token'] });
  assert.ok((await refresh(page)).token);
  assert.deepEqual(await page.evaluate(() => auth.getIdTokenClaims()), claims, 'the same ID token and claims');
  await assertSessionSurvives(page, 'fault-no-id-token', since, 2);
  await page.context().close();
});

test('discovery answering 500 once: that call fails, the failure is not cached, and the next call succeeds', async () => {
  const page = await newPage(world.browser);
  await openApp(page, world.app.origin);
  const since = world.provider.log.length;
  world.provider.injectFault('/.well-known/openid-configuration', { kind: 'status', status: 500, body: 'oops' });
  const first = await page.evaluate(() => auth.loginWithRedirect({ openUrl: () => {} }).then(() => null, errorOf));
  assert.equal(first.error, 'discovery_failed');
  const second = await page.evaluate(() => auth.loginWithRedirect({ openUrl: () => {} }).then(() => 'ok', errorOf));
  assert.equal(second, 'ok');
  assert.equal(requests('/.well-known/openid-configuration', since).length, 2);
  await page.context().close();
});

test('the JWK Set answering 500 once during a login: the callback fetches it once more and signs in', async () => {
  // The callback page asks for the keys right after the code; that request fails, and the
  // exchange gets one request of its own for them.
  const since = world.provider.log.length;
  world.provider.injectFault('/jwks', { kind: 'status', status: 500, body: 'oops' });
  const page = await signedIn('fault-jwks-once');
  assert.equal(requests('/jwks', since).length, 2);
  assert.equal(requests('/token', since).length, 1);
  await assertSessionSurvives(page, 'fault-jwks-once', since, 2);
  await page.context().close();
});

test('the JWK Set failing twice during a login: that login fails cleanly, and the next one succeeds', async () => {
  world.provider.injectFault('/jwks', { kind: 'status', status: 500, body: 'oops' });
  world.provider.injectFault('/jwks', { kind: 'status', status: 500, body: 'oops' });
  const page = await signedInPage(world, 'fault-jwks-twice');
  assert.equal(await page.evaluate(() => window.callbackError?.error), 'invalid_jwks');
  const left = await page.evaluate(async () => ({
    authenticated: await auth.isAuthenticated(),
    cached: await auth.getTokenSilently({ cacheMode: 'cache-only' }),
    transactions: Object.keys(sessionStorage).filter((k) => k.startsWith('spa-auth.tx.')).length,
  }));
  assert.deepEqual(left, { authenticated: false, cached: undefined, transactions: 0 });
  await login(page, world.app.origin, { user: 'fault-jwks-twice' });
  assert.equal(await page.evaluate(() => window.callbackError?.error), undefined);
  assert.equal(await user(page), 'fault-jwks-twice');
  await page.context().close();
});

test('a token endpoint that takes 3 s: the login succeeds', async () => {
  const since = world.provider.log.length;
  world.provider.injectFault('/token', { kind: 'delay', ms: 3000 });
  const page = await signedIn('fault-slow');
  assert.equal(requests('/token', since).length, 1);
  assert.equal(await user(page), 'fault-slow');
  await page.context().close();
});

test('invalid_grant on a refresh ends the session in every tab, within a message delivery', async () => {
  const first = await newPage(world.browser);
  const context = first.context();
  await login(first, world.app.origin, { user: 'fault-invalid-grant' });
  const second = await context.newPage();
  await openApp(second, world.app.origin);
  assert.equal(await second.evaluate(() => auth.isAuthenticated()), true);
  world.provider.injectFault('/token', { kind: 'status', status: 400, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: 'invalid_grant' }) });
  const outcome = await refresh(first);
  const ended = Date.now();
  assert.equal(outcome.error, 'login_required');
  await second.waitForFunction(() => window.sessionEvents.some((e) => e.reason === 'logout' && e.otherTab));
  const ms = Date.now() - ended;
  assert.equal(await second.evaluate(() => auth.isAuthenticated()), false);
  assert.ok(ms < 1000, `${ms} ms`);
  console.log(`# invalid_grant in one tab: the other tab was signed out ${ms} ms later`);
  await context.close();
});
