// The demo, driven like a person would: sign in through the provider's forms, see the
// profile and scopes, list and add timesheets through the Rust API, renew (the refresh
// token rotates), sign out; then a read-only sign-in hides what it may not do.
// Saves a screenshot for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs/promises';
import { startDemo } from '../../examples/demo.mjs';
import { ROOT, launchChromium, fillProviderForms, newPage } from '../support/harness.mjs';

export const SCREENSHOT = path.join(ROOT, 'tests/e2e/artifacts/demo.png');

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

let demo;
let browser;
before(async () => {
  demo = await startDemo({ demoPort: await freePort(), providerPort: await freePort(), apiPort: await freePort() });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

async function signIn(page, button, user) {
  await page.goto(`${demo.origin}/`);
  await page.waitForSelector(`#${button}:not([hidden])`);
  await page.click(`#${button}`);
  await fillProviderForms(page, user);
  await page.waitForURL(`${demo.origin}/`);
  await page.waitForSelector('#logout:not([hidden])');
}

test('sign in, list, add, renew with rotation, sign out', async () => {
  const page = await newPage(browser);
  const context = page.context();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'login', 'ann');

  assert.equal(await page.textContent('#status'), 'Signed in.');
  assert.match(await page.textContent('#claims'), /emailann@example\.test/);
  assert.equal(await page.textContent('#scopes'), 'read:timesheetscreate:timesheets');
  await page.waitForSelector('#empty:not([hidden])');
  assert.equal(await page.isVisible('#add'), true, 'create:timesheets shows the form');

  await page.fill('#date', '2026-11-20');
  await page.fill('#project', 'spa-auth');
  await page.fill('#hours', '7.5');
  await page.click('#add button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#entries tr').length === 1);
  assert.equal(await page.textContent('#entries'), '2026-11-20spa-auth7.5');

  await page.click('#renew');
  await page.waitForFunction(() => document.getElementById('renew-result').textContent.startsWith('Refresh token'));
  const renew = await page.textContent('#renew-result');
  assert.match(renew, /^Refresh token ([0-9a-f]{8}) → ([0-9a-f]{8}) \(rotated\)/);
  const [, before, after] = /^Refresh token ([0-9a-f]{8}) → ([0-9a-f]{8})/.exec(renew);
  assert.notEqual(before, after);

  // The token is bound: a copy of it alone gets a 401 from the API.
  assert.match(await page.textContent('#bound'), /DPoP-bound/);
  await page.click('#steal');
  await page.waitForFunction(() => document.getElementById('steal-result').textContent !== '');
  assert.equal(await page.textContent('#steal-result'), 'The copied token alone: HTTP 401 (refused)');
  // A reload keeps the session (persistSession), and the page says why.
  await page.reload();
  await page.waitForSelector('#logout:not([hidden])');
  assert.equal(await page.textContent('#status'), 'Signed in.');
  assert.match(await page.textContent('#mode-why'), /^A reload keeps you signed in/);
  await page.waitForSelector('#empty:not([hidden]), #entries tr');

  await fs.mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  await page.click('#logout');
  await page.waitForURL(/\/session\/end/);
  await page.click('button[name=logout]');
  await page.waitForURL(`${demo.origin}/`);
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.textContent('#status'), 'Signed out.');
  assert.equal(await page.isHidden('#error'), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('memory only: a reload of the only tab signs out, and the page says why', async () => {
  const page = await newPage(browser);
  const context = page.context();
  await page.goto(`${demo.origin}/`);
  await page.waitForSelector('#mode-memory');
  await Promise.all([page.waitForEvent('load'), page.check('#mode-memory')]);
  await page.waitForSelector('#login:not([hidden])');
  assert.match(await page.textContent('#mode-why'), /^Memory only/);
  await signIn(page, 'login', 'cy');
  await page.reload();
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.textContent('#status'), 'Signed out.');
  await context.close();
});

test('a read-only sign-in hides "Add timesheet", and the API agrees', async () => {
  const page = await newPage(browser);
  const context = page.context();
  await signIn(page, 'login-readonly', 'bob');
  assert.equal(await page.textContent('#scopes'), 'read:timesheets');
  await page.waitForSelector('#no-create:not([hidden])');
  assert.equal(await page.isHidden('#add'), true);
  await page.waitForSelector('#empty:not([hidden])');
  assert.equal(await page.textContent('#entries'), '', 'bob does not see ann\'s entries');
  // Even if the UI were bypassed, the API refuses: 403 insufficient_scope.
  const status = await page.evaluate(async (api) => (await auth.fetchWithAuth(api, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"date":"2026-11-20","project":"x","hours":1}',
  })).status, demo.config.api);
  assert.equal(status, 403);
  await context.close();
});
