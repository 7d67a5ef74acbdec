// The built package works unchanged in a Vite build and a webpack 5 build: each bundles a
// tiny app that imports 'spa-auth' from node_modules, and the bundle runs in Chromium
// against the real provider (discovery, then an authorize URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { ROOT, launchChromium } from '../support/harness.mjs';
import { startProvider } from '../../examples/provider.mjs';
import { startStatic } from '../../examples/support/static.mjs';

let provider;
let browser;

before(async () => {
  provider = await startProvider({ redirectUris: ['http://127.0.0.1/cb'], postLogoutRedirectUris: [] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await provider?.close();
});

const MAIN = `
import { createAuthClient } from 'spa-auth';
const issuer = new URLSearchParams(location.search).get('issuer');
window.result = (async () => {
  const auth = await createAuthClient({ domain: issuer, clientId: 'spa-test', authorizationParams: { redirect_uri: 'http://127.0.0.1/cb' } });
  let url;
  await auth.loginWithRedirect({ openUrl: (u) => { url = u; } });
  return { url, authenticated: await auth.isAuthenticated() };
})().catch((e) => ({ error: e.error ?? String(e) }));
`;

/** A fresh app folder with the built package installed as node_modules/spa-auth. */
async function fixture() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spa-auth-bundle-'));
  await fs.cp(path.join(ROOT, 'pkg'), path.join(dir, 'node_modules/spa-auth'), { recursive: true });
  await fs.writeFile(path.join(dir, 'main.js'), MAIN);
  return dir;
}

async function runBundle(dir, html) {
  await fs.writeFile(path.join(dir, 'index.html'), html);
  const server = await startStatic({ mounts: { '/': dir } });
  const page = await browser.newPage();
  try {
    await page.goto(`${server.origin}/index.html?issuer=${encodeURIComponent(provider.issuer)}`);
    const result = await page.evaluate(() => window.result);
    assert.equal(result.error, undefined);
    assert.ok(result.url.startsWith(`${provider.issuer}/auth?client_id=spa-test&response_type=code&`), result.url);
    assert.equal(result.authenticated, false);
  } finally {
    await page.close();
    await server.close();
  }
}

test('a Vite build', async () => {
  const dir = await fixture();
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  await viteBuild({ root: dir, logLevel: 'warn', build: { outDir: 'dist' }, configFile: false });
  const dist = path.join(dir, 'dist');
  const assets = await fs.readdir(path.join(dist, 'assets'));
  assert.ok(assets.some((a) => a.endsWith('.wasm')), 'Vite emitted the wasm as an asset');
  await runBundle(dist, await fs.readFile(path.join(dist, 'index.html'), 'utf8'));
});

test('a webpack 5 build', async () => {
  const dir = await fixture();
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production',
    context: dir,
    entry: './main.js',
    output: { path: path.join(dir, 'dist'), filename: 'bundle.js' },
    resolve: { modules: [path.join(dir, 'node_modules')] },
  }, (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
  await runBundle(path.join(dir, 'dist'), '<!doctype html><script src="./bundle.js"></script>');
});
