// What an app moving from auth0-spa-js passes as it did there, against the real provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, signedInPage } from '../support/harness.mjs';

const appOptions = {};
let world;
before(async () => { world = await startWorld({ appOptions }); });
after(async () => { await world?.close(); });

test('domain written as an origin with a trailing slash signs in against an issuer without one', async () => {
  // oidc-provider's issuer is `http://127.0.0.1:PORT`; the app writes `http://127.0.0.1:PORT/`.
  assert.ok(!world.provider.issuer.endsWith('/'));
  appOptions.domain = `${world.provider.issuer}/`;
  try {
    const page = await signedInPage(world, 'migrated');
    assert.equal(await page.evaluate(() => window.callbackError?.error), undefined, 'discovery and the ID token check accept it');
    assert.equal((await page.evaluate(() => auth.getUser())).sub, 'migrated');
    await page.context().close();
  } finally {
    delete appOptions.domain;
  }
});
