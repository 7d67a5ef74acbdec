// The demo: only the public API of the built package, as an app would use it.
import { createAuthClient } from '/pkg/index.js';
import config from '/config.js';

const $ = (id) => document.getElementById(id);

function showError(e) {
  $('error').hidden = false;
  $('error-text').textContent = e && e.error
    ? `${e.name}: ${e.error}\n${e.error_description}`
    : String(e);
}

/** A short fingerprint of a token, never the token itself. */
async function fingerprint(token) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest).slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function render(auth) {
  const signedIn = await auth.isAuthenticated();
  $('status').textContent = signedIn ? 'Signed in.' : 'Signed out.';
  $('login').hidden = signedIn;
  $('logout').hidden = !signedIn;
  $('profile').hidden = !signedIn;
  $('tokens').hidden = !signedIn;
  if (!signedIn) return;
  const user = await auth.getUser();
  $('claims').replaceChildren(...Object.entries(user).flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = typeof v === 'string' ? v : JSON.stringify(v);
    return [dt, dd];
  }));
  const scopes = config.scopes.split(' ').filter((s) => auth.hasScope(s));
  $('scopes').replaceChildren(...(scopes.length ? scopes : ['(none)']).map((s) => {
    const span = document.createElement('span');
    span.className = 'scope';
    span.textContent = s;
    return span;
  }));
}

try {
  const auth = await createAuthClient({
    domain: config.domain,
    clientId: config.clientId,
    authorizationParams: {
      redirect_uri: `${location.origin}/`,
      audience: config.audience,
      scope: `openid profile email ${config.scopes}`,
    },
  });
  window.auth = auth;

  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) {
    try {
      await auth.handleRedirectCallback();
    } catch (e) {
      showError(e);
    }
  }

  $('login').onclick = () => auth.loginWithRedirect().catch(showError);
  $('logout').onclick = () => auth.logout({ logoutParams: { returnTo: `${location.origin}/` } }).catch(showError);
  $('call-api').onclick = async () => {
    try {
      const res = await auth.fetchWithAuth(config.api);
      $('api-result').textContent = `GET ${config.api} → ${res.status}\n${JSON.stringify(await res.json(), null, 2)}`;
    } catch (e) { showError(e); }
  };
  $('renew').onclick = async () => {
    try {
      const t = await auth.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
      $('api-result').textContent = `New access token ${await fingerprint(t.access_token)}…, expires in ${t.expires_in} s\nscope: ${t.scope}`;
    } catch (e) { showError(e); }
  };
  await render(auth);
} catch (e) {
  $('status').textContent = 'Could not start.';
  showError(e);
}
