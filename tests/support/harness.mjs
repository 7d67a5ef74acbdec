// Shared end-to-end harness: the real provider, a static server for the test page
// and the built pkg/, a JWT-validating test API, and Debian's Chromium via playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startProvider, API_AUDIENCE, API_SCOPES } from '../../examples/provider.mjs';
import { startStatic, send } from '../../examples/support/static.mjs';
import { whoamiRoute } from '../../examples/whoami-api.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function chromiumPath() {
  return process.env.CHROMIUM ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

export async function launchChromium(extraArgs = [], { popupBlocking = false } = {}) {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, ...extraArgs],
    // Playwright turns the popup blocker off by default; the popup tests want it on.
    ignoreDefaultArgs: popupBlocking ? ['--disable-popup-blocking'] : [],
  });
}

const APP_DIR = path.join(ROOT, 'tests/e2e/app');

/** Serves the test page (also as /callback.html, as most SPAs do), pkg/ and `routes`;
 * `config()` is read per request, so it may name a provider started afterwards. */
export async function startApp(config, routes = {}, host = '127.0.0.1', callbackHeaders = {}) {
  const app = await startStatic({
    mounts: { '/pkg/': path.join(ROOT, 'pkg'), '/': APP_DIR },
    routes: {
      '/callback.html': async (_req, res) => send(res, 200, 'text/html', await fs.readFile(path.join(APP_DIR, 'index.html')), callbackHeaders),
      '/config.js': (_req, res) => send(res, 200, 'text/javascript', `export default ${JSON.stringify(config())};`),
      ...routes,
    },
  });
  // `localhost` is another site than 127.0.0.1 for the browser: a cross-site provider.
  return { ...app, origin: app.origin.replace('127.0.0.1', host) };
}

/** Starts the provider, the app server (test page + pkg/ + API) and Chromium. */
export async function startWorld({
  accessTokenTTL = 3, webMessage = false, appHost = '127.0.0.1', chromiumArgs = [], popupBlocking = false, callbackHeaders = {},
  appOptions = {}, dpopNonce = false, requirePar = false,
} = {}) {
  // The app's port must be known before the provider registers its redirect URIs,
  // so the app server starts first and learns the issuer through a late-bound route.
  let provider;
  const denied = new Set(); // tokens the API treats as revoked
  const app = await startApp(() => ({ issuer: provider.issuer, clientId: provider.clientId, audience: API_AUDIENCE, scopes: API_SCOPES, options: appOptions }), {
    '/api/whoami': whoamiRoute({
      issuer: () => provider.issuer,
      jwksUri: () => `${provider.issuer}/jwks`,
      isRevoked: (token) => denied.has(token),
    }),
    // Test control: the API starts refusing one token, as a resource server does for a revoked one.
    // An API endpoint that redirects to another origin (the provider's).
    '/api/bounce': (_req, res) => { res.writeHead(302, { Location: `${provider.issuer}/me` }); res.end(); },
    '/api/deny': async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      denied.add(body);
      send(res, 204, 'text/plain', '');
    },
  }, appHost, callbackHeaders);
  provider = await startProvider({
    redirectUris: [`${app.origin}/callback.html?app=1`],
    postLogoutRedirectUris: [`${app.origin}/`],
    accessTokenTTL,
    webMessage,
    dpopNonce,
    requirePar,
  });
  const browser = await launchChromium(chromiumArgs, { popupBlocking });
  return {
    app, provider, browser,
    async close() {
      await browser.close();
      await app.close();
      await provider.close();
    },
  };
}

/** The token requests one page sends (their form bodies, from the browser) and the tokens
 * the provider issued since the call (from the provider's own log, so nothing depends on
 * reading response bodies back through the browser). */
export function watchTokens(page, provider) {
  const since = provider.log.length;
  const requests = [];
  page.on('request', (r) => {
    if (r.url() === `${provider.issuer}/token`) requests.push(new URLSearchParams(r.postData() ?? ''));
  });
  const issued = (kind) => provider.log.slice(since).filter((e) => e.issued?.[kind]).map((e) => e.issued[kind]);
  return {
    requests,
    get access() { return issued('access'); },
    get refresh() { return issued('refresh'); },
    get id() { return issued('id'); },
    /** Lets the page's request events reach node before `requests` is read. */
    flush: () => new Promise((r) => setTimeout(r, 100)),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A page in a new browser context (its own storage, as a new user's), page errors logged. */
export async function newPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** A new user signed in through the provider's forms, on the callback page. */
export async function signedInPage(world, user) {
  const page = await newPage(world.browser);
  await login(page, world.app.origin, { user });
  return page;
}

/** Opens the test page and waits for its client. */
export async function openApp(page, origin, pathname = '/') {
  await page.goto(origin + pathname);
  await page.evaluate(() => window.ready);
}

/** On a provider page: fills the login form, then confirms consent. */
export async function fillProviderForms(page, user) {
  await page.waitForURL(/\/interaction\//);
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/interaction\//);
  await page.click('button[type=submit]');
}

/** Signs in through the provider's real login and consent forms, whichever it shows
 * (none when its session is live and consent was given); ends on the callback page. */
export async function login(page, origin, { user = 'alice', authorizationParams } = {}) {
  await openApp(page, origin);
  const atCallback = (u) => u.pathname === '/callback.html';
  const next = (u) => atCallback(u) || u.pathname.startsWith('/interaction/');
  await Promise.all([
    page.waitForURL(next),
    page.evaluate((p) => { window.auth.loginWithRedirect({ authorizationParams: p, appState: { returnTo: '/after' } }); }, authorizationParams ?? {}),
  ]);
  for (let step = 0; step < 3 && !atCallback(new URL(page.url())); step++) {
    if (await page.locator('input[name=login]').count()) {
      await page.fill('input[name=login]', user);
      await page.fill('input[name=password]', 'any password');
    }
    const here = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== here && next(u)), page.click('button[type=submit]')]);
  }
  await page.waitForFunction(() => window.callbackResult || window.callbackError);
}

/** Sends a refresh token to the provider directly, as an attacker replaying it would. */
export async function replayRefreshToken(issuer, refreshToken, clientId = 'spa-test') {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
  });
  return { status: res.status, body: await res.json() };
}

/** A free TCP port on 127.0.0.1. */
export const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/**
 * The demo's Rust API (target/debug/timesheets-api) for `issuer`, allowing `origin`; with
 * `nonce`, it demands that DPoP nonce. `requests()` is what it counted at `/timesheets`.
 */
export async function startTimesheetsApi({ issuer, origin, port, nonce }) {
  const env = { ...process.env, ...(nonce ? { DPOP_NONCE: nonce } : {}) };
  const child = spawn(path.join(ROOT, 'target/debug/timesheets-api'), [issuer, API_AUDIENCE, String(port), origin], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const requests = async () => (await (await fetch(`${url}/requests`)).json()).timesheets;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`timesheets-api exited with ${child.exitCode}`);
    try { await requests(); break; } catch { if (i > 200) throw new Error('timesheets-api did not start'); await sleep(50); }
  }
  return { url, origin: url, requests, close: () => child.kill() };
}
