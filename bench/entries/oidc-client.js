// What an app ships of oidc-client-ts, and the bench adapter over it. Tokens in memory
// (InMemoryWebStorage), refresh tokens through signinSilent, as its docs show.
import { UserManager, WebStorageStateStore, InMemoryWebStorage } from 'oidc-client-ts';

window.adapter = {
  async create(c) {
    this.mgr = new UserManager({
      authority: c.issuer, client_id: c.clientId, redirect_uri: c.redirectUri, scope: c.scope, response_type: 'code',
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      extraQueryParams: { audience: c.audience, prompt: 'consent' },
      automaticSilentRenew: false,
    });
    await this.mgr.metadataService.getMetadata();
  },
  login() { return this.mgr.signinRedirect(); },
  callback() { return this.mgr.signinRedirectCallback(); },
  // The usual app pattern: the stored user's token, renewed when it is about to expire
  // (60 s early, as the other two SDKs do).
  async token() {
    const user = await this.mgr.getUser();
    if (user && user.expires_in > 60) return user.access_token;
    return (await this.mgr.signinSilent()).access_token;
  },
  async refresh() { return (await this.mgr.signinSilent()).access_token; },
};
