// Sessions that survive a reload and logins that keep the page: checkSession in a hidden
// iframe (web_message, and the redirect fallback), loginWithPopup, and a cross-site provider
// whose cookies the browser withholds. Against oidc-provider, counted at the provider.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, openApp, login, fillProviderForms, newPage } from '../support/harness.mjs';

const count = (world, path, grant, since) => world.provider.count(path, grant, since);

async function reloadAndCheck(world, { user }) {
  const page = await newPage(world.browser);
  const context = page.context();
  await login(page, world.app.origin, { user });
  await openApp(page, world.app.origin); // a reload: memory is gone, no other tab
  assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
  const since = world.provider.log.length;
  const started = Date.now();
  const outcome = await page.evaluate(() => auth.checkSession().then(() => null, errorOf));
  const ms = Date.now() - started;
  const frames = await page.evaluate(() => document.querySelectorAll('iframe').length);
  return { context, page, since, outcome, ms, frames };
}

for (const webMessage of [true, false]) {
  describe(`checkSession with ${webMessage ? 'web_message' : 'the redirect fallback'}`, () => {
    let world;
    before(async () => { world = await startWorld({ webMessage, accessTokenTTL: 60 }); });
    after(async () => { await world?.close(); });

    test('after a reload, checkSession restores the session: one authorization request, one code exchange', async () => {
      const { context, page, since, outcome, frames } = await reloadAndCheck(world, { user: `reload-${webMessage}` });
      assert.equal(outcome, null);
      assert.equal(await page.evaluate(() => auth.isAuthenticated()), true);
      assert.equal((await page.evaluate(() => auth.getUser())).sub, `reload-${webMessage}`);
      assert.equal(count(world, '/auth', undefined, since), 1);
      assert.equal(count(world, '/token', 'authorization_code', since), 1);
      assert.equal(frames, 0, 'the iframe is removed');
      assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-auth.tx.')).length), 0, 'no transaction is stored for a silent login');
      await context.close();
    });

    test('an answer posted by another window of this origin, with the right state, is ignored', async () => {
      const page = await newPage(world.browser);
      const context = page.context();
      await login(page, world.app.origin, { user: `forged-${webMessage}` });
      await openApp(page, world.app.origin);
      // As soon as the iframe exists, this window (not the iframe) posts a hand-off that
      // carries the iframe's own state and an error.
      await page.evaluate(() => new MutationObserver((records) => {
        for (const node of records.flatMap((r) => [...r.addedNodes])) {
          if (node.tagName !== 'IFRAME') continue;
          const state = new URL(node.src).searchParams.get('state');
          const url = `${location.origin}/callback.html?app=1&error=access_denied&error_description=forged&state=${encodeURIComponent(state)}`;
          postMessage({ type: 'spa-auth:handoff', url }, location.origin);
          window.forgedPosted = true;
        }
      }).observe(document.body, { childList: true }));
      const outcome = await page.evaluate(() => auth.checkSession().then(() => null, errorOf));
      assert.equal(await page.evaluate(() => window.forgedPosted), true);
      assert.equal(outcome, null, 'the forged error is not taken for the provider\'s');
      assert.equal((await page.evaluate(() => auth.getUser())).sub, `forged-${webMessage}`);
      await context.close();
    });

    test('with no provider session, checkSession resolves signed out, fast, without an exception', async () => {
      const page = await newPage(world.browser);
      const context = page.context();
      await openApp(page, world.app.origin);
      const started = Date.now();
      const outcome = await page.evaluate(() => auth.checkSession().then(() => null, errorOf));
      const ms = Date.now() - started;
      assert.equal(outcome, null);
      assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
      assert.ok(ms < 5000, `${ms} ms`);
      assert.equal(await page.evaluate(() => document.querySelectorAll('iframe').length), 0);
      console.log(`# no session (${webMessage ? 'web_message' : 'redirect fallback'}): checkSession resolved in ${ms} ms`);
      await context.close();
    });

    test('getTokenSilently falls back to the iframe once when no refresh token is held', async () => {
      const page = await newPage(world.browser);
      const context = page.context();
      await login(page, world.app.origin, { user: `fallback-${webMessage}` });
      await page.evaluate(() => window.ready);
      const token = await page.evaluate(async () => {
        const { createAuthClient } = await import('/pkg/index.js');
        const config = (await import('/config.js')).default;
        window.fresh = await createAuthClient({
          domain: config.issuer, clientId: config.clientId, crossTab: false, useRefreshTokensFallback: true,
          authorizationParams: { redirect_uri: `${location.origin}/callback.html?app=1`, audience: config.audience, scope: `openid profile email ${config.scopes}` },
        });
        return window.fresh.getTokenSilently();
      });
      assert.equal(typeof token, 'string');
      assert.equal(await page.evaluate(() => fresh.isAuthenticated()), true);
      await context.close();
    });
  });
}

describe('a cross-site provider with third-party cookies blocked', () => {
  let world;
  before(async () => {
    world = await startWorld({ webMessage: true, appHost: 'localhost', chromiumArgs: ['--test-third-party-cookie-phaseout'] });
  });
  after(async () => { await world?.close(); });

  test('checkSession ends in a clean login_required, fast, not a hang', async () => {
    const { context, page, outcome, ms, frames } = await reloadAndCheck(world, { user: 'third-party' });
    assert.equal(outcome, null, 'login_required resolves signed out');
    assert.equal(await page.evaluate(() => auth.isAuthenticated()), false);
    assert.ok(ms < 3000, `${ms} ms`);
    assert.equal(frames, 0);
    console.log(`# third-party cookies blocked: login_required after ${ms} ms`);
    // Asked directly, the reason is visible.
    const err = await page.evaluate(() => auth.getTokenSilently({ cacheMode: 'off' }).then(() => null, errorOf));
    assert.equal(err.error, 'missing_refresh_token');
    await context.close();
  });
});

describe('loginWithPopup', () => {
  let world;
  before(async () => { world = await startWorld({ webMessage: true, popupBlocking: true, accessTokenTTL: 60 }); });
  after(async () => { await world?.close(); });

  test('a popup login succeeds and keeps the page', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
    await fillProviderForms(popup, 'popper');
    assert.equal(await page.evaluate(() => window.popupResult), 'ok');
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'popper');
    assert.equal(new URL(page.url()).pathname, '/', 'the page stayed');
    await context.close();
  });

  test('getTokenWithPopup resolves the access token for the popup login\'s scope', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-token')]);
    await fillProviderForms(popup, 'token-popper');
    const token = await page.evaluate(() => window.popupResult);
    assert.equal(typeof token, 'string');
    const api = await page.evaluate(async (t) => (await fetch('/api/whoami', { headers: { Authorization: `Bearer ${t}` } })).json(), token);
    assert.deepEqual(api, { sub: 'token-popper', scope: 'read:timesheets' });
    await context.close();
  });

  test('a popup the app opened itself works too, with the callback page handing the answer back', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#own-popup-login')]);
    await fillProviderForms(popup, 'own-popper');
    assert.equal(await page.evaluate(() => window.popupResult), 'ok');
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'own-popper');
    await context.close();
  });

  test('closing the popup rejects with PopupCancelledError within about a second', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
    await popup.waitForURL(/\/interaction\//);
    const closedAt = Date.now();
    await popup.close();
    const err = await page.evaluate(() => window.popupResult);
    const ms = Date.now() - closedAt;
    assert.deepEqual([err.name, err.error], ['PopupCancelledError', 'cancelled']);
    assert.deepEqual(err.instanceOf, ['GenericError', 'PopupCancelledError']);
    assert.equal(err.popup, true, 'the popup window rides on the error, as in auth0-spa-js');
    assert.ok(ms < 2500, `${ms} ms`);
    console.log(`# popup closed: PopupCancelledError after ${ms} ms`);
    await context.close();
  });

  test('a popup left unanswered rejects with PopupTimeoutError at authorizeTimeoutInSeconds, and closes', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const popupOpened = page.waitForEvent('popup');
    const started = Date.now();
    const pending = page.evaluate(async () => {
      const { createAuthClient } = await import('/pkg/index.js');
      const config = (await import('/config.js')).default;
      const client = await createAuthClient({
        domain: config.issuer, clientId: config.clientId, crossTab: false, authorizeTimeoutInSeconds: 1,
        authorizationParams: { redirect_uri: `${location.origin}/callback.html?app=1` },
      });
      return client.loginWithPopup().then(() => null, errorOf);
    });
    const popup = await popupOpened;
    const err = await pending;
    const ms = Date.now() - started;
    assert.deepEqual([err.name, err.error], ['PopupTimeoutError', 'timeout']);
    assert.ok(ms < 4000, `${ms} ms`);
    await popup.waitForEvent('close', { timeout: 2000 });
    await context.close();
  });

  test('a blocked popup rejects with PopupOpenError', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    // The first window.open uses up the page's user activation, so the SDK's own
    // window.open after its awaits has none: the popup blocker refuses it.
    const err = await page.evaluate(() => { window.open('about:blank'); return auth.loginWithPopup().then(() => null, errorOf); });
    assert.deepEqual([err.name, err.error], ['PopupOpenError', 'popup_open']);
    await context.close();
  });
});

describe('loginWithPopup when COOP cuts window.opener', () => {
  let world;
  before(async () => {
    world = await startWorld({ webMessage: false, popupBlocking: true, accessTokenTTL: 60, callbackHeaders: { 'Cross-Origin-Opener-Policy': 'same-origin' } });
  });
  after(async () => { await world?.close(); });

  test('the callback page hands the answer over a BroadcastChannel', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
    await fillProviderForms(popup, 'coop');
    assert.equal(await page.evaluate(() => window.popupResult), 'ok');
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'coop');
    await context.close();
  });
});

describe('message security', () => {
  let world;
  before(async () => { world = await startWorld({ webMessage: true, accessTokenTTL: 60 }); });
  after(async () => { await world?.close(); });

  test('messages from a foreign origin or with a wrong state are ignored', async () => {
    const page = await newPage(world.browser);
    const context = page.context();
    await login(page, world.app.origin, { user: 'guarded' });
    await openApp(page, world.app.origin);
    const since = world.provider.log.length;
    const outcome = await page.evaluate(async () => {
      const errors = [];
      window.addEventListener('error', (e) => errors.push(String(e.message)));
      const pending = auth.checkSession().then(() => 'ok', errorOf);
      // Forged answers, before the real one: wrong origin (this page is not the provider),
      // and this origin's hand-off shape with a state no login has.
      window.postMessage({ type: 'authorization_response', response: { code: 'forged', state: 'h.forged' } }, '*');
      window.postMessage({ type: 'spa-auth:handoff', url: `${location.origin}/callback.html?code=forged&state=h.forged` }, location.origin);
      new BroadcastChannel('spa-auth:handoff').postMessage({ type: 'spa-auth:handoff', url: `${location.origin}/callback.html?code=forged&state=h.forged` });
      window.postMessage('not even an object', '*');
      return { result: await pending, errors };
    });
    assert.deepEqual(outcome, { result: 'ok', errors: [] });
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'guarded');
    assert.equal(count(world, '/token', 'authorization_code', since), 1, 'only the real code was exchanged');
    await context.close();
  });
});

// The redirect fallback: the callback page in the popup hands the answer back, and the
// page that opened the popup closes it, unless it asked not to.
describe('closePopup', () => {
  let world;
  before(async () => { world = await startWorld({ webMessage: false, popupBlocking: true, accessTokenTTL: 60 }); });
  after(async () => { await world?.close(); });

  test('closePopup: false leaves the popup open when the login ends', async () => {
    const page = await newPage(world.browser);
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-keep')]);
    await fillProviderForms(popup, 'keeper');
    assert.equal(await page.evaluate(() => window.popupResult), 'ok');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(popup.isClosed(), false, 'the app closes it when it wants');
    await page.context().close();
  });

  test('by default the page that opened the popup closes it when the login ends', async () => {
    const page = await newPage(world.browser);
    await openApp(page, world.app.origin);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
    await fillProviderForms(popup, 'closer');
    assert.equal(await page.evaluate(() => window.popupResult), 'ok');
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 2000 });
    assert.equal(popup.isClosed(), true);
    await page.context().close();
  });
});
