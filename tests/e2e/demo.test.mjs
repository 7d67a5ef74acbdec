// The demo, driven like a person would: sign in through the provider's forms, see the
// profile and scopes, call the API, renew, sign out. Saves a screenshot for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs/promises';
import { startDemo } from '../../examples/demo.mjs';
import { ROOT, launchChromium } from '../support/harness.mjs';

export const SCREENSHOT = path.join(ROOT, 'tests/e2e/artifacts/demo.png');

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

let demo;
let browser;
before(async () => {
  demo = await startDemo({ demoPort: await freePort(), providerPort: await freePort() });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

test('the demo signs in, shows the profile and scopes, calls the API, renews and signs out', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${demo.origin}/`);
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.textContent('#status'), 'Signed out.');

  await page.click('#login');
  await page.waitForURL(/\/interaction\//);
  await page.fill('input[name=login]', 'ann');
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/interaction\//);
  await page.click('button[type=submit]');
  await page.waitForURL(`${demo.origin}/`);
  await page.waitForSelector('#logout:not([hidden])');

  assert.equal(await page.textContent('#status'), 'Signed in.');
  assert.match(await page.textContent('#claims'), /emailann@example\.test/);
  assert.equal(await page.textContent('#scopes'), 'read:timesheetscreate:timesheets');

  await page.click('#call-api');
  await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('→'));
  assert.match(await page.textContent('#api-result'), /GET \/api\/whoami → 200[\s\S]*"sub": "ann"/);

  await page.click('#renew');
  await page.waitForFunction(() => document.getElementById('api-result').textContent.startsWith('New access token'));
  assert.match(await page.textContent('#api-result'), /^New access token [0-9a-f]{8}…, expires in \d+ s/);

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
  await page.close();
});
