// Access tokens whose lifetime is at most the leeway stay cacheable: the expiry margin
// is never more than half the token's own lifetime. Against oidc-provider issuing
// 30-second tokens to a client with auth0-spa-js's default leeway of 60 seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, login } from '../support/harness.mjs';

let world;
before(async () => { world = await startWorld({ accessTokenTTL: 30, appOptions: { leeway: 60 } }); });
after(async () => { await world?.close(); });

test('a 30-second token with the default 60-second leeway is served from memory, not refreshed', async () => {
  const page = await world.browser.newPage();
  await login(page, world.app.origin, { user: 'short' });
  const since = world.provider.log.length;
  const result = await page.evaluate(async () => {
    const a = await auth.getTokenSilently();
    const b = await auth.getTokenSilently();
    const api = await auth.fetchWithAuth('/api/whoami');
    const detailed = await auth.getTokenSilently({ detailedResponse: true });
    return { same: a === b && b === detailed.access_token, status: api.status, expiresIn: detailed.expires_in };
  });
  assert.equal(world.provider.count('/token', 'refresh_token', since), 0, 'no refresh within half the lifetime');
  assert.equal(result.same, true);
  assert.equal(result.status, 200);
  assert.ok(result.expiresIn > 15 && result.expiresIn <= 30, `${result.expiresIn}`);
  await page.close();
});
