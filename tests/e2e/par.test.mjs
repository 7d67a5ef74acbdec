// Pushed authorization requests (RFC 9126) end to end, against oidc-provider with PAR
// required: redirect, popup and checkSession logins push first; the browser sees only
// `client_id` and `request_uri`; a PAR error rejects before any navigation. With DPoP,
// the push carries a proof. Counted at the provider.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { startWorld, openApp, login, fillProviderForms, newPage } from '../support/harness.mjs';

const posts = (world, path, since) => world.provider.log.slice(since).filter((e) => e.path === path && e.method === 'POST');
const authorizations = (world, since) => world.provider.log.slice(since).filter((e) => e.path === '/auth' && e.method === 'GET');

for (const useDpop of [false, true]) {
  describe(`PAR required by the provider${useDpop ? ', with DPoP' : ''}`, () => {
    let world;
    before(async () => { world = await startWorld({ requirePar: true, webMessage: true, accessTokenTTL: 60, appOptions: { useDpop } }); });
    after(async () => { await world?.close(); });

    test('a redirect login: 1 pushed request, then an authorization request with only client_id and request_uri', async () => {
      const page = await newPage(world.browser);
      const since = world.provider.log.length;
      await login(page, world.app.origin, { user: `par-${useDpop}`, authorizationParams: { ui_locales: 'fr', login_hint: 'x' } });
      assert.deepEqual(await page.evaluate(() => window.callbackResult ?? window.callbackError), { appState: { returnTo: '/after' } });
      const pushed = posts(world, '/request', since);
      assert.equal(pushed.length, 1);
      assert.equal(pushed[0].status, 201);
      for (const p of ['client_id', 'response_type', 'redirect_uri', 'scope', 'audience', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'ui_locales', 'login_hint']) {
        assert.ok(pushed[0].pushed.includes(p), `${p} is pushed: ${pushed[0].pushed}`);
      }
      const [first] = authorizations(world, since);
      assert.deepEqual(Object.keys(first.query).sort(), ['client_id', 'request_uri']);
      assert.match(first.query.request_uri, /^urn:ietf:params:oauth:request_uri:/);
      if (useDpop) {
        const { payload } = await jwtVerify(pushed[0].dpop, EmbeddedJWK, { typ: 'dpop+jwt' });
        assert.equal(payload.htu, `${world.provider.issuer}/request`);
      } else {
        assert.equal(pushed[0].dpop, undefined);
      }
      assert.equal(await page.evaluate(() => auth.isAuthenticated()), true);

      // checkSession (hidden iframe) and a popup push as well.
      await openApp(page, world.app.origin);
      let at = world.provider.log.length;
      assert.equal(await page.evaluate(() => auth.checkSession().then(() => null, errorOf)), null);
      assert.equal(await page.evaluate(() => auth.isAuthenticated()), true);
      assert.equal(posts(world, '/request', at).length, 1);
      assert.deepEqual(authorizations(world, at).map((e) => Object.keys(e.query).sort()), [['client_id', 'request_uri']]);
      at = world.provider.log.length;
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
      await popup.waitForEvent('close').catch(() => {});
      assert.equal(await page.evaluate(() => window.popupResult), 'ok');
      assert.equal(posts(world, '/request', at).length, 1);
      assert.deepEqual(authorizations(world, at).map((e) => Object.keys(e.query).sort()), [['client_id', 'request_uri']]);
      await page.context().close();
    });

    test('a PAR error rejects with a typed error, navigates nowhere and stores nothing', async () => {
      const page = await newPage(world.browser);
      await openApp(page, world.app.origin);
      const here = page.url();
      world.provider.injectFault('/request', { kind: 'status', status: 400, headers: { 'Content-Type': 'application/json' }, body: '{"error":"invalid_request","error_description":"bad push"}' });
      const outcome = await page.evaluate(() => auth.loginWithRedirect().then(() => 'navigated', errorOf));
      assert.equal(outcome.error, 'invalid_request');
      assert.equal(outcome.name, 'GenericError');
      world.provider.injectFault('/request', { kind: 'status', status: 503, body: 'down' });
      assert.equal((await page.evaluate(() => auth.loginWithRedirect().then(() => 'navigated', errorOf))).error, 'unexpected_status');
      assert.equal(page.url(), here, 'no navigation');
      assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-auth.tx.')).length), 0);
      await page.context().close();
    });
  });
}
