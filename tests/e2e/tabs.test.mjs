// One session across tabs, with no token in storage: several pages of one browser
// context against oidc-provider with rotating refresh tokens and 5-second access tokens.
// Requests are counted at the provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, openApp, login, sleep, newPage } from '../support/harness.mjs';

const TTL = 5;
let world;
before(async () => { world = await startWorld({ accessTokenTTL: TTL }); });
after(async () => { await world?.close(); });

const refreshes = (since) => world.provider.log.slice(since).filter((e) => e.grant_type === 'refresh_token');

/** A signed-in first tab plus `extra` tabs that joined it, all in one context. */
async function tabs(extra, { crossTab = true } = {}) {
  const context = await world.browser.newContext();
  if (!crossTab) await context.addInitScript(() => sessionStorage.setItem('test.crossTab', '0'));
  const first = await context.newPage();
  await login(first, world.app.origin, { user: `tabs-${extra}-${crossTab}` });
  const pages = [first];
  for (let i = 0; i < extra; i++) {
    const page = await context.newPage();
    await openApp(page, world.app.origin);
    pages.push(page);
  }
  return { context, pages };
}

test('a newly opened tab is signed in with zero token requests', async () => {
  const since = world.provider.log.length;
  const { context, pages } = await tabs(0);
  const afterLogin = world.provider.log.length;
  const second = await context.newPage();
  const started = Date.now();
  await openApp(second, world.app.origin);
  const joinMs = Date.now() - started;
  assert.equal(await second.evaluate(() => auth.isAuthenticated()), true);
  assert.equal((await second.evaluate(() => auth.getUser())).sub, 'tabs-0-true');
  const [a, b] = await Promise.all(pages.concat(second).map((p) => p.evaluate(() => auth.getTokenSilently())));
  assert.equal(a, b, 'the joined tab has the same access token');
  assert.equal(world.provider.log.slice(afterLogin).filter((e) => e.path === '/token').length, 0, 'no token request to join');
  assert.ok(world.provider.log.slice(since).length > 0);
  assert.equal(await second.evaluate(() => auth.sharesAcrossTabs), true);
  console.log(`# joined a live session in ${joinMs} ms (page load included)`);
  await context.close();
});

for (const n of [2, 5]) {
  test(`${n} tabs at expiry make exactly one refresh, and all end with the same token`, async () => {
    const { context, pages } = await tabs(n - 1);
    await sleep(TTL * 1000 + 300);
    const since = world.provider.log.length;
    // Every tab asks at the same moment, each with several concurrent callers.
    const tokens = await Promise.all(pages.map((p) => p.evaluate(() => Promise.all([1, 2, 3].map(() => auth.getTokenSilently())))));
    const grants = refreshes(since);
    console.log(`# ${n} tabs: ${grants.length} refresh request(s) at the provider, statuses ${grants.map((g) => g.status)}`);
    assert.equal(grants.length, 1, 'exactly one refresh');
    assert.equal(grants[0].status, 200, 'no invalid_grant');
    assert.equal(new Set(tokens.flat()).size, 1, 'every tab has the same access token');
    for (const p of pages) assert.equal(await p.evaluate(() => auth.isAuthenticated()), true);
    // One tab refreshed; every other tab was told, as an other-tab refresh.
    const refreshEvents = await Promise.all(pages.map((p) => p.evaluate(() => window.sessionEvents.filter((e) => e.reason === 'refresh'))));
    assert.equal(refreshEvents.filter((evs) => evs.some((e) => !e.otherTab)).length, 1, 'one tab refreshed itself');
    assert.equal(refreshEvents.filter((evs) => evs.some((e) => e.otherTab)).length, n - 1, 'the others heard of it');
    // The rotated refresh token is the one every tab now holds: a second round refreshes once more, fine.
    await sleep(TTL * 1000 + 300);
    const again = world.provider.log.length;
    await Promise.all(pages.map((p) => p.evaluate(() => auth.getTokenSilently())));
    assert.deepEqual(refreshes(again).map((g) => g.status), [200]);
    await context.close();
  });
}

test('logout in one tab signs out every tab within a second, with an event', async () => {
  const { context, pages } = await tabs(2);
  const [a, b, c] = pages;
  const started = await a.evaluate(async () => { const t = Date.now(); await auth.logout({ openUrl: false }); return t; });
  for (const p of [b, c]) {
    await p.waitForFunction(() => window.sessionEvents.some((e) => e.reason === 'logout'), null, { timeout: 1000 });
    const event = await p.evaluate(() => window.sessionEvents.find((e) => e.reason === 'logout'));
    assert.equal(event.otherTab, true);
    assert.equal(event.isAuthenticated, false);
    assert.ok(event.at - started < 1000, `${event.at - started} ms`);
    assert.equal(await p.evaluate(() => auth.isAuthenticated()), false);
    assert.equal(await p.evaluate(() => auth.getTokenSilently({ cacheMode: 'cache-only' })), undefined);
  }
  const own = await a.evaluate(() => window.sessionEvents.find((e) => e.reason === 'logout'));
  assert.equal(own.otherTab, false);
  await context.close();
});

test('a login in one tab reaches the open tabs as an event', async () => {
  const watcher = await newPage(world.browser);
  const context = watcher.context();
  await openApp(watcher, world.app.origin);
  assert.equal(await watcher.evaluate(() => auth.isAuthenticated()), false);
  const first = await context.newPage();
  await login(first, world.app.origin, { user: 'late' });
  await watcher.waitForFunction(() => window.sessionEvents.some((e) => e.reason === 'login' && e.otherTab), null, { timeout: 1000 });
  assert.equal((await watcher.evaluate(() => auth.getUser())).sub, 'late');
  await context.close();
});

test('closing the tab that holds the lock mid-refresh: another tab refreshes, nobody is signed out', async () => {
  const { context, pages } = await tabs(2);
  const [a, b, c] = pages;
  await sleep(TTL * 1000 + 300);
  const since = world.provider.log.length;
  world.provider.delayTokenRequests(1500);
  const heldAt = world.provider.received.length;
  a.evaluate(() => auth.getTokenSilently()).catch(() => {}); // never finishes: the tab closes
  while (world.provider.received.length === heldAt) await sleep(20); // a's request reached the provider
  await a.close(); // releases a's Web Lock; the provider drops a's request unprocessed
  world.provider.delayTokenRequests(0);
  const token = await b.evaluate(() => auth.getTokenSilently());
  await c.waitForFunction((t) => auth.getTokenSilently({ cacheMode: 'cache-only' }).then((x) => x === t), token, { timeout: 2000 });
  // The closed tab's held request wakes up after its delay, finds its client gone, and is dropped.
  const dropped = () => world.provider.log.slice(since).some((e) => e.path === '/token' && e.dropped);
  for (let i = 0; i < 100 && !dropped(); i++) await sleep(50);
  assert.ok(dropped(), 'the closed tab\'s request never reached the grant');
  assert.deepEqual(refreshes(since).map((g) => g.status), [200], 'one refresh, and no invalid_grant');
  for (const p of [b, c]) assert.equal(await p.evaluate(() => auth.isAuthenticated()), true);
  await context.close();
});

test('a logout while a refresh is held at the provider sticks: the late answer signs nobody in again', async () => {
  const { context, pages } = await tabs(1);
  const [a, b] = pages;
  await sleep(TTL * 1000 + 300);
  const since = world.provider.log.length;
  const heldAt = world.provider.received.length;
  const release = world.provider.holdTokenRequests();
  const refreshing = a.evaluate(() => auth.getTokenSilently().then(() => 'resolved', (e) => e.error));
  while (world.provider.received.length === heldAt) await sleep(20); // a's refresh is at the provider
  await b.evaluate(() => auth.logout({ openUrl: false }));
  await a.waitForFunction(() => window.sessionEvents.some((e) => e.reason === 'logout' && e.otherTab), null, { timeout: 1000 });
  release(); // the provider now rotates and answers 200, after the logout
  assert.equal(await refreshing, 'login_required');
  assert.deepEqual(refreshes(since).map((g) => g.status), [200], 'the late answer did arrive');
  await sleep(300); // time for any broadcast of the late session to land
  for (const p of [a, b]) {
    assert.equal(await p.evaluate(() => auth.isAuthenticated()), false);
    assert.equal(await p.evaluate(() => auth.getTokenSilently({ cacheMode: 'cache-only' })), undefined);
    assert.equal(await p.evaluate(() => window.sessionEvents.filter((e) => e.reason !== 'logout' && e.at > Date.now() - 2000).length), 0);
  }
  await context.close();
});

test('opting out gives isolated tabs', async () => {
  const { context, pages } = await tabs(1, { crossTab: false });
  const [a, b] = pages;
  assert.equal(await a.evaluate(() => auth.sharesAcrossTabs), false);
  assert.equal(await a.evaluate(() => auth.isAuthenticated()), true);
  assert.equal(await b.evaluate(() => auth.isAuthenticated()), false, 'the second tab did not join');
  await a.evaluate(() => auth.logout({ openUrl: false }));
  await sleep(300);
  assert.deepEqual(await b.evaluate(() => window.sessionEvents), []);
  await context.close();
});

test('no token is written to any storage by the sharing tabs', async () => {
  const { context, pages } = await tabs(2);
  const tokens = await pages[0].evaluate(async () => [await auth.getTokenSilently(), (await auth.getIdTokenClaims()).__raw]);
  for (const p of pages) {
    const dump = await p.evaluate(async () => [
      JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie,
      ...(await indexedDB.databases()).map((d) => d.name),
    ].join('\n'));
    for (const t of tokens) assert.ok(!dump.includes(t));
  }
  await context.close();
});

test('a session posted by a same-origin script with an unsigned, expired ID token is never shown', async () => {
  const page = await newPage(world.browser);
  const context = page.context();
  await openApp(page, world.app.origin);
  const forger = await context.newPage();
  await forger.goto(`${world.app.origin}/config.js`);
  const { issuer, clientId } = await page.evaluate(async () => (await import('/config.js')).default);
  await forger.evaluate(({ issuer, clientId }) => {
    const b64 = (o) => btoa(JSON.stringify(o)).replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_');
    const now = Math.floor(Date.now() / 1000);
    const idToken = `${b64({ alg: 'none' })}.${b64({ iss: issuer, aud: clientId, sub: 'mallory', exp: now - 3600, iat: now - 7200 })}.`;
    const message = { type: 'session', generation: Date.now(), refresh_token: 'rt-forged', id_token: idToken, entries: [] };
    new BroadcastChannel(`spa-auth:${issuer}:${clientId}`).postMessage(JSON.stringify(message));
  }, { issuer, clientId });
  await sleep(500);
  assert.equal(await page.evaluate(() => auth.getUser()), undefined, 'mallory is not shown');
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  await context.close();
});
