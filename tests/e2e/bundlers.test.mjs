// The package as a user installs it, `npm install pkg/spa-auth-<version>.tgz`, works
// unchanged in a Vite dev server, a Vite build, a webpack 5 build and a plain module page:
// each serves a tiny app that imports 'spa-auth' from node_modules, and it runs in Chromium
// against the real provider (discovery, then an authorize URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { build as viteBuild, createServer as viteServer } from 'vite';
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

/** A fresh app folder with the package's tarball installed by npm, as a user would. */
async function fixture() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spa-auth-bundle-'));
  const { version } = JSON.parse(await fs.readFile(path.join(ROOT, 'pkg/package.json'), 'utf8'));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', path.join(ROOT, `pkg/spa-auth-${version}.tgz`)], { cwd: dir });
  const installed = await fs.lstat(path.join(dir, 'node_modules/spa-auth'));
  assert.ok(installed.isDirectory() && !installed.isSymbolicLink(), 'a copy, not a link');
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

test('a Vite dev server', async () => {
  const dir = await fixture();
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  const server = await viteServer({ root: dir, logLevel: 'warn', configFile: false, server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  const page = await browser.newPage();
  try {
    await page.goto(`${server.resolvedUrls.local[0]}index.html?issuer=${encodeURIComponent(provider.issuer)}`);
    const result = await page.evaluate(() => window.result);
    assert.equal(result.error, undefined, 'the dev server serves the .wasm (no 403)');
    assert.ok(result.url.startsWith(`${provider.issuer}/auth?client_id=spa-test&response_type=code&`), result.url);
  } finally {
    await page.close();
    await server.close();
  }
});

test('a plain module page, no bundler', async () => {
  const dir = await fixture();
  // The import map stands in for what a bundler resolves.
  await runBundle(dir, `<!doctype html><script type="importmap">{"imports":{"spa-auth":"./node_modules/spa-auth/index.js"}}</script>
<script type="module" src="./main.js"></script>`);
});

test('the wasm option: the .wasm served from another path than the module', async () => {
  const dir = await fixture();
  // As a CDN setup: the .wasm is not next to the module, and the app says where it is.
  await fs.mkdir(path.join(dir, 'cdn'));
  await fs.rename(path.join(dir, 'node_modules/spa-auth/spa_auth_bg.wasm'), path.join(dir, 'cdn/auth.wasm'));
  await fs.writeFile(path.join(dir, 'main.js'), MAIN.replace("clientId: 'spa-test',", "clientId: 'spa-test', wasm: '/cdn/auth.wasm',"));
  await runBundle(dir, `<!doctype html><script type="importmap">{"imports":{"spa-auth":"./node_modules/spa-auth/index.js"}}</script>
<script type="module" src="./main.js"></script>`);
});

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
