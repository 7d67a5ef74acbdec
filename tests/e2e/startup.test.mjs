// Startup without a waterfall: the package is two files, and the wasm is fetched and
// compiled while the module is evaluated, before the app creates a client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, launchChromium } from '../support/harness.mjs';
import { send } from '../../examples/support/static.mjs';

let app, browser;
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
  const mod = await import('/pkg/index.js');
  await new Promise((r) => setTimeout(r, 500)); // the app has not asked for a client yet
  window.beforeCreate = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
  window.client = await mod.createAuthClient({ domain: 'https://tenant.example.com', clientId: 'c', authorizationParams: { redirect_uri: location.href } });
  window.done = true;
</script>`;

before(async () => {
  app = await startApp(() => ({}), { '/startup.html': (_req, res) => send(res, 200, 'text/html', PAGE) });
  browser = await launchChromium();
});
after(async () => { await browser?.close(); await app?.close(); });

test('the wasm is fetched while the package module is evaluated, and the package is two files', async () => {
  const page = await browser.newPage();
  const requested = [];
  page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/pkg/')) requested.push(u.pathname); });
  await page.goto(`${app.origin}/startup.html`);
  await page.waitForFunction(() => window.done);
  const before = await page.evaluate(() => window.beforeCreate);
  assert.ok(before.includes('/pkg/spa_auth_bg.wasm'), `the wasm had arrived before createAuthClient: ${before}`);
  assert.deepEqual([...new Set(requested)].sort(), ['/pkg/index.js', '/pkg/spa_auth_bg.wasm']);
  assert.equal(await page.evaluate(() => typeof window.client.getTokenSilently), 'function');
  await page.close();
});

test('two clients on one page keep their own engines, a freed client rejects its calls, and an unserialisable argument is refused', async () => {
  const page = await browser.newPage();
  await page.goto(`${app.origin}/startup.html`);
  await page.waitForFunction(() => window.done);
  const out = await page.evaluate(async () => {
    const mod = await import('/pkg/index.js');
    const other = await mod.createAuthClient({ domain: 'https://other.example.com', clientId: 'c2', authorizationParams: { redirect_uri: location.href } });
    window.client.free();
    const freed = await window.client.isAuthenticated().then(() => 'resolved', (e) => [e.name, e instanceof mod.GenericError, e.error]);
    const token = await window.client.getTokenSilently().then(() => 'resolved', (e) => e.error);
    let scope = 'returned';
    try { window.client.hasScope('read'); } catch (e) { scope = e.error; }
    // An argument JSON cannot carry is refused before it reaches the engine.
    const unserialisable = await other.loginWithRedirect({ appState: { n: 1n } }).then(() => 'resolved', (e) => e.error);
    return { freed, token, scope, unserialisable, other: await other.isAuthenticated(), user: (await other.getUser()) ?? 'none' };
  });
  assert.deepEqual(out, { freed: ['GenericError', true, 'browser_error'], token: 'browser_error', scope: 'browser_error', unserialisable: 'invalid_options', other: false, user: 'none' });
  await page.close();
});
