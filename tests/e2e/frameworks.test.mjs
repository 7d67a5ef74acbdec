// spa-auth/react in a React 19 app in StrictMode, and spa-auth/vue in a Vue 3 app with
// vue-router, each built by Vite with the package installed in its node_modules, in
// Chromium against the real provider. Requests are counted at the provider, renders in
// the page.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build as viteBuild } from 'vite';
import { ROOT, launchChromium, fillProviderForms, newPage, sleep } from '../support/harness.mjs';
import { startProvider, API_AUDIENCE, API_SCOPES } from '../../examples/provider.mjs';
import { startStatic, send } from '../../examples/support/static.mjs';
import { whoamiRoute } from '../../examples/whoami-api.mjs';

// [framework, app folder, how the app leaves its protected route]
const FRAMEWORKS = [
  ['React', 'react-app', () => { history.replaceState(null, '', '/'); window.rerender(); }],
  ['Vue', 'vue-app', () => { location.hash = '#/'; }],
];

for (const [framework, folder, leaveRoute] of FRAMEWORKS) describe(framework, () => {
let provider;
let app;
let browser;

before(async () => {
  // The app lives under the repository, so Vite resolves react from its node_modules; the
  // package is installed next to the app, as `npm install` would put it.
  const dir = path.join(ROOT, `target/e2e-${folder}`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.cp(path.join(ROOT, 'tests/e2e', folder), dir, { recursive: true });
  await fs.cp(path.join(ROOT, 'pkg'), path.join(dir, 'node_modules/spa-auth'), { recursive: true });
  await viteBuild({ root: dir, logLevel: 'warn', build: { outDir: path.join(dir, 'dist'), target: 'es2022' } });
  app = await startStatic({
    mounts: { '/': path.join(dir, 'dist') },
    routes: {
      '/config.json': (_req, res) => send(res, 200, 'application/json',
        JSON.stringify({ issuer: provider.issuer, clientId: provider.clientId, audience: API_AUDIENCE, scopes: API_SCOPES })),
      '/api/whoami': whoamiRoute({ issuer: () => provider.issuer, jwksUri: () => `${provider.issuer}/jwks`, isRevoked: () => false }),
    },
  });
  provider = await startProvider({ redirectUris: [`${app.origin}/`], postLogoutRedirectUris: [`${app.origin}/`], accessTokenTTL: 60 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
  await provider?.close();
});

const grants = (grant, since) => provider.count('/token', grant, since);
const status = (page) => page.textContent('#status');

test('a protected route, an API call, refreshes without re-renders, logout from another tab, errors by instanceof', async () => {
  const page = await newPage(browser);
  const since = provider.log.length;
  // The protected route sends a signed-out user to the provider, and back to the route.
  await page.goto(`${app.origin}/#/private`);
  await fillProviderForms(page, `${folder}-user`);
  await page.waitForSelector(`text=private for ${folder}-user`);
  assert.equal(await status(page), `signed in as ${folder}-user`);
  assert.equal(new URL(page.url()).hash, '#/private', 'returned to the route it started from');
  assert.equal(grants('authorization_code', since), 1, 'one code exchange (React: under StrictMode)');

  const api = await page.evaluate(async () => (await window.auth.fetchWithAuth('/api/whoami')).json());
  assert.equal(api.sub, `${folder}-user`);
  assert.equal(await page.evaluate(() => window.auth.hasScope('read:timesheets')), true);

  // Three refreshes re-render nothing; twenty re-renders make no refresh.
  const before = provider.log.length;
  const rendered = await page.evaluate(() => window.renders.status);
  for (let i = 0; i < 3; i++) await page.evaluate(() => window.auth.getAccessTokenSilently({ cacheMode: 'off' }));
  await sleep(200);
  assert.equal(await page.evaluate(() => window.renders.status), rendered, 'a refresh alone re-renders nothing');
  for (let i = 0; i < 20; i++) await page.evaluate(() => window.rerender());
  await page.waitForSelector('#n >> text=20');
  await page.evaluate(() => window.auth.getAccessTokenSilently());
  assert.equal(grants('refresh_token', before), 3, 'no refresh beyond the three asked for');

  // A second tab joins the session, and its logout reaches the first within 1.5 s. (The
  // first leaves the protected route first: there, signed out means "log in again", and the
  // provider's live session would sign it straight back in.)
  await page.evaluate(leaveRoute);
  await page.waitForSelector('#private', { state: 'detached' });
  const second = await page.context().newPage();
  await second.goto(`${app.origin}/`);
  await second.waitForSelector(`text=signed in as ${folder}-user`);
  const started = Date.now();
  await second.evaluate(() => window.auth.logout({ openUrl: false }));
  await page.waitForSelector('#status >> text=signed out', { timeout: 1500 });
  console.log(`# ${framework}: the other tab showed signed out ${Date.now() - started} ms after the logout`);

  const caught = await page.evaluate(() => window.auth.getAccessTokenSilently().then(() => null,
    (e) => [e instanceof window.sdk.MissingRefreshTokenError, e instanceof window.sdk.GenericError, e instanceof Error]));
  assert.deepEqual(caught, [true, true, true]);
  await page.context().close();
});
});
