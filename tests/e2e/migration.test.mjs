// What an app moving from auth0-spa-js passes as it did there, against the real provider;
// the callback page runs under a strict Content-Security-Policy: 'wasm-unsafe-eval' and no
// 'unsafe-eval'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, signedInPage } from '../support/harness.mjs';

const appOptions = {};
let world;
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://127.0.0.1:*; frame-src http://127.0.0.1:*";
before(async () => { world = await startWorld({ appOptions, callbackHeaders: { 'Content-Security-Policy': CSP } }); });
after(async () => { await world?.close(); });

test('domain written as an origin with a trailing slash signs in against an issuer without one, under a CSP without unsafe-eval', async () => {
  // oidc-provider's issuer is `http://127.0.0.1:PORT`; the app writes `http://127.0.0.1:PORT/`.
  assert.ok(!world.provider.issuer.endsWith('/'));
  appOptions.domain = `${world.provider.issuer}/`;
  try {
    const page = await signedInPage(world, 'migrated');
    assert.equal(await page.evaluate(() => window.callbackError?.error), undefined, 'discovery and the ID token check accept it');
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'migrated');
    // The callback page above ran under the policy: no eval, and the SDK needed none.
    const refused = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective));
      const s = document.createElement('script');
      s.textContent = 'window.inline = 1';
      document.head.append(s);
    }));
    assert.match(refused, /^script-src/, 'the policy is in force on the page the SDK ran on');
    await page.context().close();
  } finally {
    delete appOptions.domain;
  }
});
