// A React 19 app in StrictMode, written for @auth0/auth0-react (Auth0Provider, useAuth0,
// withAuthenticationRequired) and moved by the one import rename the README prescribes:
// '@auth0/auth0-react' -> 'spa-auth/react'. A status line, a protected route (#/private)
// and an API call. Tests drive it through `window.auth` (the useAuth0() value) and count
// renders in `window.renders`.
import { createElement as h, StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Auth0Provider, useAuth0, withAuthenticationRequired } from 'spa-auth/react';
import { GenericError, MissingRefreshTokenError } from 'spa-auth';

const config = await (await fetch('/config.json')).json();
window.renders = { status: 0 };
window.sdk = { GenericError, MissingRefreshTokenError };

function Status() {
  const auth = useAuth0();
  window.renders.status++;
  window.auth = auth;
  const text = auth.isLoading ? 'loading' : auth.isAuthenticated ? `signed in as ${auth.user.sub}` : 'signed out';
  return h('p', { id: 'status' }, text);
}

const Private = withAuthenticationRequired(
  () => h('p', { id: 'private' }, `private for ${useAuth0().user.sub}`),
  { onRedirecting: () => h('p', { id: 'private' }, 'redirecting') },
);

function App() {
  useAuth0(); // re-render when the session changes, to read the route again
  const [n, setN] = useState(0);
  window.rerender = () => setN((x) => x + 1);
  return h('div', null, h(Status), location.hash === '#/private' ? h(Private) : null, h('span', { id: 'n' }, String(n)));
}

createRoot(document.getElementById('root')).render(
  h(StrictMode, null, h(Auth0Provider, {
    domain: config.issuer,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: `${location.origin}/`, audience: config.audience, scope: `openid profile email ${config.scopes}` },
  }, h(App))),
);
