// spa-auth/react: @auth0/auth0-react 2.x's API over one spa-auth client. An app moves by
// renaming the import (Auth0Provider and useAuth0 are exported under those names too).
//
// - One client per provider, created once: React StrictMode's double effects share it,
//   and the SDK's idempotent handleRedirectCallback makes one code exchange.
// - State changes only when `isAuthenticated` or `user` does: a token refresh, here or in
//   another tab, re-renders nothing; a login or logout in another tab does.
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { createAuthClient } from './index.js';
import { hasAuthParams, sameUser } from './bindings.js';

const INITIAL = { isLoading: true, isAuthenticated: false, user: undefined, error: undefined };

export const AuthContext = createContext(null);


const defaultOnRedirectCallback = (appState) => {
  history.replaceState({}, document.title, appState?.returnTo ?? location.pathname);
};


/** auth0-react's `<Auth0Provider>`: the client options, plus `onRedirectCallback(appState, user)` and `skipRedirectCallback`. */
export function AuthProvider({ children, onRedirectCallback = defaultOnRedirectCallback, skipRedirectCallback, context = AuthContext, ...options }) {
  const created = useRef(null);
  const resolved = useRef(null);
  created.current ??= createAuthClient(options);
  const [state, setState] = useState(INITIAL);
  const update = (client) => Promise.all([client.isAuthenticated(), client.getUser()]).then(([isAuthenticated, user]) => {
    setState((s) => (!s.isLoading && s.isAuthenticated === isAuthenticated && sameUser(s.user, user) && !s.error
      ? s : { isLoading: false, isAuthenticated, user, error: undefined }));
    return user;
  });

  useEffect(() => {
    // StrictMode mounts, unmounts and mounts again: only the live mount does the work.
    let client;
    let live = true;
    const onChange = () => update(client);
    created.current.then(async (c) => {
      if (!live) return;
      client = resolved.current = c;
      c.addEventListener('sessionchange', onChange);
      if (!skipRedirectCallback && hasAuthParams()) {
        const { appState } = await c.handleRedirectCallback();
        onRedirectCallback(appState, await c.getUser());
      } else if (!(await c.isAuthenticated())) {
        await c.checkSession();
      }
      await update(c);
    }).catch((error) => setState({ ...INITIAL, isLoading: false, error }));
    return () => {
      live = false;
      client?.removeEventListener('sessionchange', onChange);
    };
  }, []);

  const methods = useMemo(() => {
    const c = () => created.current;
    const after = (p) => p.then(async (v) => { await update(await c()); return v; }, async (e) => {
      await update(await c()).catch(() => {});
      throw e;
    });
    return {
      loginWithRedirect: async (o) => (await c()).loginWithRedirect(o),
      loginWithPopup: async (o, config) => after((await c()).loginWithPopup(o, config)),
      logout: async (o) => after((await c()).logout(o)),
      getAccessTokenSilently: async (o) => (await c()).getTokenSilently(o),
      getAccessTokenWithPopup: async (o, config) => after((await c()).getTokenWithPopup(o, config)),
      getIdTokenClaims: async () => (await c()).getIdTokenClaims(),
      handleRedirectCallback: async (url) => after((await c()).handleRedirectCallback(url)),
      fetchWithAuth: async (input, init, o) => (await c()).fetchWithAuth(input, init, o),
      // Synchronous, as in the client; false until the client exists.
      hasScope: (scope, o) => !!resolved.current?.hasScope(scope, o),
    };
  }, []);
  const value = useMemo(() => ({ ...state, ...methods }), [state, methods]);
  return createElement(context.Provider, { value }, children);
}

/** auth0-react's `useAuth0()`. */
export function useAuth(context = AuthContext) {
  const value = useContext(context);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** auth0-react's `withAuthenticationRequired(Component, { onRedirecting, returnTo, loginOptions })`. */
export function withAuthenticationRequired(Component, { onRedirecting = () => null, returnTo, loginOptions = {}, context } = {}) {
  return function WithAuthenticationRequired(props) {
    const { isLoading, isAuthenticated, error, loginWithRedirect } = useAuth(context);
    useEffect(() => {
      if (isLoading || isAuthenticated || error) return;
      const to = typeof returnTo === 'function' ? returnTo() : returnTo ?? location.pathname + location.search + location.hash;
      loginWithRedirect({ ...loginOptions, appState: { ...loginOptions.appState, returnTo: to } });
    }, [isLoading, isAuthenticated, error]);
    return isAuthenticated ? createElement(Component, props) : onRedirecting();
  };
}

export { AuthProvider as Auth0Provider, useAuth as useAuth0, AuthContext as Auth0Context };
