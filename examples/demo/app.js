// The demo: only the public API of the built package, as an app would use it.
import { createAuthClient } from '/pkg/index.js';
import config from '/config.js';

const $ = (id) => document.getElementById(id);

function showError(e) {
  $('error').hidden = false;
  $('error-text').textContent = e && e.error ? `${e.name}: ${e.error}\n${e.error_description}` : String(e);
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

// The session mode, a demo setting (not a token): 'persist' (the default) keeps the
// session across reloads; 'memory' keeps nothing.
const persist = localStorage.getItem('demo.mode') !== 'memory';
$(persist ? 'mode-persist' : 'mode-memory').checked = true;
$('mode-why').textContent = persist
  ? 'A reload keeps you signed in: only the refresh token, bound to a key this browser cannot export (DPoP), is stored, in IndexedDB. A copy of it, or of any token, is useless without that key.'
  : 'Memory only: nothing is stored, so a reload signs you out unless another tab of this app is open (it hands this tab the session).';

const auth = await createAuthClient({
  domain: config.domain,
  clientId: config.clientId,
  authorizationParams: { redirect_uri: `${location.origin}/`, audience: config.audience, scope: `openid profile email ${config.scopes}` },
  // fetchWithAuth sends the token only to these origins (by default, the page's own).
  allowedOrigins: [new URL(config.api).origin],
  // Tokens bound to a non-extractable key (DPoP); with persistSession, only the bound
  // refresh token survives a reload.
  useDpop: true,
  persistSession: persist,
});
window.auth = auth;
for (const mode of ['persist', 'memory']) {
  $(`mode-${mode}`).onchange = async () => {
    localStorage.setItem('demo.mode', mode);
    await auth.logout({ openUrl: false });
    location.reload();
  };
}

async function loadTimesheets() {
  const res = await auth.fetchWithAuth(config.api);
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error_description), { name: `HTTP ${res.status}`, error: body.error, error_description: body.error_description });
  $('entries').replaceChildren(...body.map((e) => {
    const tr = document.createElement('tr');
    tr.append(cell(e.date), cell(e.project), cell(String(e.hours)));
    return tr;
  }));
  $('empty').hidden = body.length > 0;
}

async function render() {
  const signedIn = await auth.isAuthenticated();
  $('status').textContent = signedIn ? 'Signed in.' : 'Signed out.';
  for (const id of ['login', 'login-readonly', 'login-hint']) $(id).hidden = signedIn;
  $('logout').hidden = !signedIn;
  for (const id of ['profile', 'access', 'timesheets']) $(id).hidden = !signedIn;
  if (!signedIn) return;
  const user = await auth.getUser();
  $('claims').replaceChildren(...Object.entries(user).flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = typeof v === 'string' ? v : JSON.stringify(v);
    return [dt, dd];
  }));
  const granted = config.scopes.split(' ').filter((s) => auth.hasScope(s));
  $('scopes').replaceChildren(...(granted.length ? granted : ['(none)']).map((s) => {
    const span = document.createElement('span');
    span.className = 'scope';
    span.textContent = s;
    return span;
  }));
  // The seeds' "display UI elements conditionally based on scope".
  const canCreate = auth.hasScope('create:timesheets');
  $('add').hidden = !canCreate;
  $('no-create').hidden = canCreate;
  const { token_type: type } = await auth.getTokenSilently({ detailedResponse: true });
  $('bound').textContent = type === 'DPoP'
    ? 'The access token is DPoP-bound: every API call carries a fresh proof signed with this browser\'s key.'
    : 'The provider issued a Bearer token: anyone holding it can use it.';
  await loadTimesheets().catch(showError);
}

try {
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) await auth.handleRedirectCallback().catch(showError);
  $('login').onclick = () => auth.loginWithRedirect().catch(showError);
  $('login-readonly').onclick = () => auth.loginWithRedirect({
    authorizationParams: { scope: 'openid profile email read:timesheets' },
  }).catch(showError);
  $('logout').onclick = () => auth.logout({ logoutParams: { returnTo: `${location.origin}/` } }).catch(showError);
  $('renew').onclick = async () => {
    try {
      const before = (await auth.getTokenSilently({ detailedResponse: true })).refresh_token_fingerprint;
      const t = await auth.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
      const rotated = before && t.refresh_token_fingerprint && before !== t.refresh_token_fingerprint;
      $('renew-result').textContent = `Refresh token ${before ?? '?'} → ${t.refresh_token_fingerprint ?? '?'} (${rotated ? 'rotated' : 'not rotated'})\nNew access token for ${t.expires_in} s`;
    } catch (e) { showError(e); }
  };
  // What a thief with a copy of the access token gets: the same call without the key.
  $('steal').onclick = async () => {
    try {
      const token = await auth.getTokenSilently();
      const res = await fetch(config.api, { headers: { Authorization: `Bearer ${token}` } });
      $('steal-result').textContent = `The copied token alone: HTTP ${res.status} ${res.ok ? '(accepted)' : '(refused)'}`;
    } catch (e) { showError(e); }
  };
  $('add').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const res = await auth.fetchWithAuth(config.api, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ date: $('date').value, project: $('project').value, hours: Number($('hours').value) }),
      });
      if (!res.ok) { const b = await res.json(); throw Object.assign(new Error(), { name: `HTTP ${res.status}`, error: b.error, error_description: b.error_description }); }
      $('project').value = '';
      await loadTimesheets();
    } catch (e) { showError(e); }
  };
  auth.addEventListener('sessionchange', () => render().catch(showError));
  $('date').valueAsDate = new Date();
  await render();
} catch (e) {
  $('status').textContent = 'Could not start.';
  showError(e);
}
