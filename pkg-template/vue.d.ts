// spa-auth/vue: @auth0/auth0-vue 2.x's API. Vue is a peer dependency.
import type { App, InjectionKey, Ref } from 'vue';
import type {
  AuthClientOptions, User, IdToken, RedirectLoginOptions, PopupLoginOptions, PopupConfigOptions, LogoutOptions,
  GetTokenSilentlyOptions, GetTokenWithPopupOptions, GenericError,
} from './index.js';

export interface AuthPlugin {
  readonly isLoading: Readonly<Ref<boolean>>;
  readonly isAuthenticated: Readonly<Ref<boolean>>;
  readonly user: Readonly<Ref<User | undefined>>;
  readonly idTokenClaims: Readonly<Ref<IdToken | undefined>>;
  readonly error: Readonly<Ref<GenericError | Error | undefined>>;
  loginWithRedirect(options?: RedirectLoginOptions): Promise<void>;
  loginWithPopup(options?: PopupLoginOptions, config?: PopupConfigOptions): Promise<void>;
  logout(options?: LogoutOptions): Promise<void>;
  getAccessTokenSilently(options?: GetTokenSilentlyOptions): Promise<string>;
  getAccessTokenWithPopup(options?: GetTokenWithPopupOptions, config?: PopupConfigOptions): Promise<string | undefined>;
  checkSession(options?: { authorizationParams?: Record<string, unknown> }): Promise<void>;
  handleRedirectCallback(url?: string): Promise<{ appState?: any }>;
  fetchWithAuth(input: RequestInfo | URL, init?: RequestInit, options?: GetTokenSilentlyOptions): Promise<Response>;
  /** Whether `scope` was granted; `false` until the client exists. */
  hasScope(scope: string, options?: { audience?: string }): boolean;
  install(app: App): void;
}

export declare const AUTH_INJECTION_KEY: InjectionKey<AuthPlugin>;
/** A plugin for `app.use`: handles the redirect callback (then `router.push(appState.target)`), or checks the session. */
export declare function createAuth(options: AuthClientOptions, pluginOptions?: { skipRedirectCallback?: boolean }): AuthPlugin;
export declare function useAuth(): AuthPlugin;
/** A vue-router guard: through when signed in, else to the login and back to the route. */
export declare function createAuthGuard(app?: App | { app?: App; redirectLoginOptions?: RedirectLoginOptions }): (to: { fullPath: string }) => Promise<boolean>;
export declare const authGuard: (to: { fullPath: string }) => Promise<boolean>;

export { createAuth as createAuth0, useAuth as useAuth0, AUTH_INJECTION_KEY as AUTH0_INJECTION_KEY };
