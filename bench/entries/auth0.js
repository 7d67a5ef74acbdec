// What an app ships of @auth0/auth0-spa-js, and the bench adapter over it.
import { createAuth0Client } from '@auth0/auth0-spa-js';

window.adapter = {
  async create(c) {
    this.client = await createAuth0Client({
      domain: c.issuer, issuer: c.issuer, clientId: c.clientId, useRefreshTokens: true, cacheLocation: 'memory',
      authorizationParams: { redirect_uri: c.redirectUri, audience: c.audience, scope: c.scope, prompt: 'consent' },
    });
  },
  login() { return this.client.loginWithRedirect(); },
  callback() { return this.client.handleRedirectCallback(); },
  token() { return this.client.getTokenSilently(); },
  refresh() { return this.client.getTokenSilently({ cacheMode: 'off' }); },
};
