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

/** A page of the startup app once its client is created (`window.client`). */
async function startedPage() {
  const page = await browser.newPage();
  await page.goto(`${app.origin}/startup.html`);
  await page.waitForFunction(() => window.done);
  return page;
}

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
  const page = await startedPage();
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

test('strings cross the wasm boundary intact both ways: 2-, 3- and 4-byte UTF-8, 600 KB, and through sessionStorage', async () => {
  const page = await startedPage();
  const out = await page.evaluate(async () => {
    const mod = await import('/pkg/index.js');
    // A key of another app's, not ASCII, in the list the engine reads at start.
    sessionStorage.setItem('ünï 😀', 'x');
    const echoed = [];
    // Into the wasm (the options) and out (the error that quotes them); the long one grows the wasm's memory.
    for (const s of ['ü', '😀x', '中文€\uFEFF'.repeat(1000), `a${'é'.repeat(300000)}`]) {
      const e = await mod.createAuthClient({ domain: 'https://tenant.example.com', clientId: 'c', cacheLocation: s }).then(() => null, (e) => e);
      echoed.push(e?.error_description.startsWith(`cacheLocation ${s}: `) ? 'intact' : e?.error_description.slice(0, 40));
    }
    const endpoints = { authorization_endpoint: 'https://tenant.example.com/authorize', token_endpoint: 'https://tenant.example.com/token', jwks_uri: 'https://tenant.example.com/jwks' };
    const client = await mod.createAuthClient({ domain: 'https://tenant.example.com', clientId: 'c', endpoints, authorizationParams: { redirect_uri: location.href } });
    // Out to sessionStorage (the transaction, with the app's state), and back in at the callback.
    const appState = { s: 'ünï 😀 中', long: 'ß'.repeat(5000) };
    let url;
    await client.loginWithRedirect({ appState, openUrl: (u) => { url = u; } });
    const state = new URL(url).searchParams.get('state');
    const stored = Object.keys(sessionStorage).some((k) => sessionStorage.getItem(k).includes(appState.s));
    const e = await client.handleRedirectCallback(`${location.origin}/startup.html?error=access_denied&error_description=d%C3%BC%F0%9F%98%80&state=${state}`).then(() => null, (e) => e);
    return { echoed, stored, name: e?.name, description: e?.error_description, same: JSON.stringify(e?.appState) === JSON.stringify(appState) };
  });
  assert.deepEqual(out, { echoed: ['intact', 'intact', 'intact', 'intact'], stored: true, name: 'AuthenticationError', description: 'dü😀', same: true });
  await page.close();
});
