// persistSession end to end: a session that survives a reload, as only the DPoP-bound
// refresh token and its non-extractable key in IndexedDB. Chromium against oidc-provider;
// requests counted at the provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, login, openApp, newPage, sleep, replayRefreshToken } from '../support/harness.mjs';

let world;
before(async () => { world = await startWorld({ accessTokenTTL: 60, appOptions: { useDpop: true, persistSession: true } }); });
after(async () => { await world?.close(); });

const refreshes = (since) => world.provider.log.slice(since).filter((e) => e.path === '/token' && e.method === 'POST' && e.grant_type === 'refresh_token');
const authorizations = (since) => world.provider.log.slice(since).filter((e) => e.path === '/auth');

/** What IndexedDB holds for the client: the names of its records, and the refresh token. */
const stored = (page) => page.evaluate(async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('spa-auth'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const get = (fn) => new Promise((ok) => { const r = fn(db.transaction('keys').objectStore('keys')); r.onsuccess = () => ok(r.result); });
  const names = await get((s) => s.getAllKeys());
  const rtName = names.find((n) => n.endsWith(' rt'));
  const rt = rtName ? await get((s) => s.get(rtName)) : undefined;
  db.close();
  return { names, rt };
});

test('a reload of the only tab is signed in after exactly 1 refresh, with no iframe and no navigation', async () => {
  const page = await newPage(world.browser);
  await login(page, world.app.origin, { user: 'pia' });
  const { rt } = await stored(page);
  assert.ok(rt, 'the refresh token is stored');
  const issued = world.provider.log.filter((e) => e.issued?.refresh).map((e) => e.issued.refresh);
  assert.equal(rt, issued.at(-1), 'the newest one');

  const since = world.provider.log.length;
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  await openApp(page, world.app.origin); // the reload
  const state = await page.evaluate(async () => ({ authenticated: await auth.isAuthenticated(), user: (await auth.getUser())?.sub, frames: document.querySelectorAll('iframe').length }));
  assert.deepEqual(state, { authenticated: true, user: 'pia', frames: 0 });
  assert.equal(refreshes(since).length, 1);
  assert.equal(authorizations(since).length, 0, 'no authorization request');
  assert.equal(navigations, 1, 'the reload itself, nothing after');
  // The rotated token replaced the stored one; access and ID tokens are not on disk.
  const after = await stored(page);
  assert.equal(after.rt, refreshes(since)[0].issued.refresh);
  const access = refreshes(since)[0].issued.access;
  const disk = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!disk.includes(access));
  assert.ok(!after.names.some((n) => n.includes(access)));

  // Copied out of IndexedDB and replayed from node without the key: refused.
  const replay = await replayRefreshToken(world.provider.issuer, after.rt);
  assert.equal(replay.status, 400, JSON.stringify(replay.body));
  await page.context().close();
});

test('3 tabs reloaded together make 1 refresh, and all are signed in', async () => {
  const first = await newPage(world.browser);
  await login(first, world.app.origin, { user: 'quinn' });
  const context = first.context();
  const pages = [first, await context.newPage(), await context.newPage()];
  const since = world.provider.log.length;
  await Promise.all(pages.map((p) => openApp(p, world.app.origin)));
  const users = await Promise.all(pages.map((p) => p.evaluate(async () => (await auth.getUser())?.sub)));
  assert.deepEqual(users, ['quinn', 'quinn', 'quinn']);
  assert.equal(refreshes(since).length, 1);
  await context.close();
});

test('a reload while a refresh is in flight loses nothing', async () => {
  const page = await newPage(world.browser);
  await login(page, world.app.origin, { user: 'ray' });
  // The provider holds the refresh; the page reloads meanwhile, so the answer never arrives
  // (the provider drops a request whose client went away, unprocessed).
  world.provider.delayTokenRequests(1500);
  const since = world.provider.log.length;
  await page.evaluate(() => { auth.getTokenSilently({ cacheMode: 'off' }).catch(() => {}); });
  await sleep(300);
  world.provider.delayTokenRequests(0);
  await openApp(page, world.app.origin);
  await sleep(1500);
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), true);
  const log = world.provider.log.slice(since).filter((e) => e.path === '/token' && e.method === 'POST');
  assert.ok(log.some((e) => e.dropped), 'the first refresh was cut off by the reload');
  assert.equal(log.filter((e) => e.status === 200).length, 1, 'the stored token still worked');
  await page.context().close();
});

test('logout leaves nothing in IndexedDB, and the next reload is signed out', async () => {
  const page = await newPage(world.browser);
  await login(page, world.app.origin, { user: 'sam' });
  assert.ok((await stored(page)).rt);
  await page.evaluate(() => auth.logout({ openUrl: false }));
  await sleep(200);
  assert.deepEqual(await stored(page), { names: [], rt: undefined });
  const since = world.provider.log.length;
  await openApp(page, world.app.origin);
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  assert.equal(refreshes(since).length, 0);
  await page.context().close();
});
