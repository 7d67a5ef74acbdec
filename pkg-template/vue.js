// spa-auth/vue: @auth0/auth0-vue 2.x's API over one spa-auth client. An app moves by
// renaming the import (createAuth0, useAuth0 and authGuard are exported under those names too).
//
// The reactive state changes only when `isAuthenticated` or `user` does: a token refresh,
// here or in another tab, touches nothing; a login or logout in another tab does.
import { inject, readonly, ref } from 'vue';
import { createAuthClient } from './index.js';
import { hasAuthParams, sameUser } from './bindings.js';

export const AUTH_INJECTION_KEY = Symbol('spa-auth');
let current; // the plugin of the last app installed, for guards used outside components


/** auth0-vue's `createAuth0(options, { skipRedirectCallback })`: a plugin for `app.use`. */
export function createAuth(options, { skipRedirectCallback = false } = {}) {
  const isLoading = ref(true);
  const isAuthenticated = ref(false);
  const user = ref(undefined);
  const idTokenClaims = ref(undefined);
  const error = ref(undefined);
  let resolved;
  const client = createAuthClient(options).then((c) => (resolved = c));
  const update = async () => {
    const c = await client;
    const [authenticated, u] = await Promise.all([c.isAuthenticated(), c.getUser()]);
    if (isAuthenticated.value !== authenticated || !sameUser(user.value, u)) {
      isAuthenticated.value = authenticated;
      user.value = u;
      idTokenClaims.value = await c.getIdTokenClaims();
    }
    error.value = undefined;
    isLoading.value = false;
  };
  const after = (p) => p.then(async (v) => { await update(); return v; }, async (e) => {
    error.value = e;
    await update().catch(() => {});
    throw e;
  });
  const plugin = {
    isLoading: readonly(isLoading),
    isAuthenticated: readonly(isAuthenticated),
    user: readonly(user),
    idTokenClaims: readonly(idTokenClaims),
    error: readonly(error),
    loginWithRedirect: async (o) => (await client).loginWithRedirect(o),
    loginWithPopup: async (o, config) => after((await client).loginWithPopup(o, config)),
    logout: async (o) => after((await client).logout(o)),
    getAccessTokenSilently: async (o) => (await client).getTokenSilently(o),
    getAccessTokenWithPopup: async (o, config) => after((await client).getTokenWithPopup(o, config)),
    checkSession: async (o) => after((await client).checkSession(o)),
    handleRedirectCallback: async (url) => after((await client).handleRedirectCallback(url)),
    fetchWithAuth: async (input, init, o) => (await client).fetchWithAuth(input, init, o),
    /** Synchronous, as in the client; false until the client exists. */
    hasScope: (scope, o) => !!resolved?.hasScope(scope, o),
    install(app) {
      current = plugin;
      app.config.globalProperties.$auth0 = plugin;
      app.provide(AUTH_INJECTION_KEY, plugin);
      client.then(async (c) => {
        c.addEventListener('sessionchange', update);
        if (!skipRedirectCallback && hasAuthParams()) {
          const { appState } = await c.handleRedirectCallback();
          await update();
          // As auth0-vue: back to `appState.target` through the app's router.
          const router = app.config.globalProperties.$router;
          if (router) await router.push(appState?.target ?? '/');
        } else {
          if (!(await c.isAuthenticated())) await c.checkSession();
          await update();
        }
      }).catch((e) => {
        error.value = e;
        isLoading.value = false;
      });
    },
  };
  return plugin;
}

/** auth0-vue's `useAuth0()`: the plugin's reactive state and methods. */
export function useAuth() {
  return inject(AUTH_INJECTION_KEY);
}

const waitLoaded = (auth) => new Promise((resolve) => {
  const check = () => (auth.isLoading.value ? setTimeout(check, 10) : resolve());
  check();
});

/**
 * auth0-vue's `createAuthGuard(app | { app, redirectLoginOptions })`: a vue-router guard that
 * lets a signed-in user through, and sends anyone else to the login, back to the route.
 */
export function createAuthGuard(o) {
  const redirectLoginOptions = o?.redirectLoginOptions ?? {};
  return async (to) => {
    const auth = (o?.app ?? o)?.config?.globalProperties.$auth0 ?? current;
    await waitLoaded(auth);
    if (auth.isAuthenticated.value) return true;
    await auth.loginWithRedirect({ ...redirectLoginOptions, appState: { ...redirectLoginOptions.appState, target: to.fullPath } });
    return false;
  };
}

/** auth0-vue's `authGuard`: the guard of the last app that installed the plugin. */
export const authGuard = (to) => createAuthGuard()(to);

export { createAuth as createAuth0, useAuth as useAuth0, AUTH_INJECTION_KEY as AUTH0_INJECTION_KEY };
