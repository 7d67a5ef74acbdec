// The e2e test page: creates a client with the public npm API of pkg/ and, on the
// callback page, handles the redirect. Tests drive `window.auth` with page.evaluate.
import * as sdk from '/pkg/index.js';

const { createAuthClient } = sdk;
import config from '/config.js';

const status = document.getElementById('status');
const CLASSES = ['GenericError', 'AuthenticationError', 'TimeoutError', 'PopupTimeoutError', 'PopupCancelledError', 'PopupOpenError', 'MfaRequiredError', 'MissingRefreshTokenError'];
window.errorOf = (e) => ({
  name: e.name, error: e.error, error_description: e.error_description, check: e.check, message: e.message, isError: e instanceof Error,
  // Every exported class the error is an instance of, as an auth0-spa-js app tests with instanceof.
  instanceOf: CLASSES.filter((c) => e instanceof sdk[c]),
  state: e.state, appState: e.appState, audience: e.audience, scope: e.scope, mfa_token: e.mfa_token, popup: e.popup ? true : undefined,
});

// Tests may turn cross-tab sharing off for a tab; sessionStorage survives the login redirect.
const crossTab = sessionStorage.getItem('test.crossTab') !== '0';
window.sessionEvents = [];

window.ready = (async () => {
  window.auth = await createAuthClient({
    domain: config.issuer,
    clientId: sessionStorage.getItem('test.clientId') ?? config.clientId,
    leeway: 0,
    crossTab,
    ...config.options,
    authorizationParams: {
      redirect_uri: `${location.origin}/callback.html?app=1`,
      audience: config.audience,
      scope: `openid profile email ${config.scopes}`,
    },
  });
  // Popups opened from a click, as an app does (a user gesture, so blockers allow it).
  document.getElementById('popup-login').onclick = () => {
    window.popupResult = window.auth.loginWithPopup().then(() => 'ok', window.errorOf);
  };
  document.getElementById('popup-token').onclick = () => {
    window.popupResult = window.auth.getTokenWithPopup({ authorizationParams: { scope: 'openid read:timesheets' } }).then((t) => t, window.errorOf);
  };
  document.getElementById('popup-keep').onclick = () => {
    window.popupResult = window.auth.loginWithPopup({}, { closePopup: false }).then(() => 'ok', window.errorOf);
  };
  document.getElementById('own-popup-login').onclick = () => {
    const popup = window.open('', 'app-popup', 'popup,width=480,height=680');
    window.popupResult = window.auth.loginWithPopup({}, { popup }).then(() => 'ok', window.errorOf);
  };
  window.auth.addEventListener('sessionchange', (e) => window.sessionEvents.push({ ...e.detail, at: Date.now() }));
  if (location.pathname === '/callback.html') {
    try {
      window.callbackResult = await window.auth.handleRedirectCallback();
      status.textContent = 'signed in';
    } catch (e) {
      window.callbackError = window.errorOf(e);
      status.textContent = `error: ${e.error}`;
    }
  } else {
    status.textContent = 'ready';
  }
})();
