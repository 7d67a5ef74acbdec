// The bench adapter over spa-auth, bundled with the package as an app would (the wasm beside it).
import { createAuthClient } from '../../pkg/index.js';

window.adapter = {
  async create(c) {
    this.client = await createAuthClient({
      domain: c.issuer, clientId: c.clientId,
      authorizationParams: { redirect_uri: c.redirectUri, audience: c.audience, scope: c.scope, prompt: 'consent' },
    });
  },
  login() { return this.client.loginWithRedirect(); },
  callback() { return this.client.handleRedirectCallback(); },
  token() { return this.client.getTokenSilently(); },
  refresh() { return this.client.getTokenSilently({ cacheMode: 'off' }); },
};
