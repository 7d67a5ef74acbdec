/**
 * spa-auth: OAuth 2.0 Authorization Code + PKCE for single-page apps.
 * The API mirrors @auth0/auth0-spa-js v2; see the README's migration table.
 */

/** Authorize request parameters. Any parameter not listed is sent as given. */
export interface AuthorizationParams {
  /** Where the provider sends the browser back. Required, here or per call. */
  redirect_uri?: string;
  /** The API the access token is for (Auth0's `audience`). */
  audience?: string;
  /** Space-separated scopes. Default `openid profile email`; `openid` is always added. */
  scope?: string;
  /** Auth0 Organizations: an `org_…` id or a name. The ID token's `org_id` / `org_name` must match. */
  organization?: string;
  /** Auth0 Organizations invitation id. */
  invitation?: string;
  /** `none`, `login`, `consent`, `select_account`. */
  prompt?: string;
  /** Maximum authentication age in seconds; the ID token's `auth_time` is checked against it. */
  max_age?: number | string;
  login_hint?: string;
  screen_hint?: string;
  ui_locales?: string;
  /** `query` (default) or `fragment`. */
  response_mode?: 'query' | 'fragment';
  /**
   * `code` (default), or `code id_token` for the hybrid flow (OIDC Core 3.3): the
   * front-channel ID token is verified and bound to the code by `c_hash` before the
   * code is exchanged.
   */
  response_type?: 'code' | 'code id_token';
  [param: string]: string | number | boolean | undefined;
}

/** Explicit provider endpoints. With `authorization_endpoint` and `token_endpoint`, discovery is skipped. */
export interface Endpoints {
  authorization_endpoint?: string;
  token_endpoint?: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
  jwks_uri?: string;
}

export interface AuthClientOptions {
  /**
   * `tenant.auth0.com`, or a full issuer URL. `http://` only for localhost, 127.0.0.1 and
   * [::1]. An origin (no path) matches discovery's issuer with or without the trailing slash.
   */
  domain: string;
  clientId: string;
  /** Default authorize parameters for every login and token request. */
  authorizationParams?: AuthorizationParams;
  /** Renew with refresh tokens (adds `offline_access`). Default `true`. */
  useRefreshTokens?: boolean;
  /** Clock skew allowance in whole seconds (0 to 86400), for token expiry and ID token claims. Default 60. */
  leeway?: number;
  /** Timeout of each request to the provider, in whole seconds (0 to 86400). Default 10. */
  httpTimeoutInSeconds?: number;
  /** The expected `iss` when it differs from the one `domain` implies (`https://{domain}/`). */
  issuer?: string;
  /** Explicit endpoints, to skip or override discovery. */
  endpoints?: Endpoints;
  /**
   * ID token signature algorithms to accept, narrowing discovery's
   * `id_token_signing_alg_values_supported`. Any of RS256, PS256, ES256, ES384, EdDSA;
   * `none` and HS* are never accepted.
   */
  idTokenSigningAlgs?: Array<'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA'>;
  /**
   * Share one session with the other tabs of this origin (same issuer and clientId):
   * one refresh for all tabs, new tabs signed in at once, logout everywhere. Default
   * `true`. Without Web Locks or BroadcastChannel the client works as a single tab.
   */
  crossTab?: boolean;
  /** How long an iframe (`checkSession`) or popup login may take, in whole seconds. Default 10. */
  authorizeTimeoutInSeconds?: number;
  /**
   * With `useRefreshTokens`, fall back to a silent iframe login when no refresh token is
   * held (after a reload, say). Default `false`, as in auth0-spa-js.
   */
  useRefreshTokensFallback?: boolean;
  /**
   * The origins `fetchWithAuth` may send the access token to, such as
   * `['https://api.example.com']`. Default: the page's own origin only. Each must be
   * `https` (or `http` on localhost, 127.0.0.1, [::1]) with no path. Any other URL is
   * refused with `origin_not_allowed` and nothing is sent.
   */
  allowedOrigins?: string[];
  /**
   * Only `'memory'` (the default): `'localstorage'` is refused, with a pointer to
   * `persistSession`; tokens stay in memory and one session is shared across tabs.
   */
  cacheLocation?: 'memory';
  /**
   * Bind tokens to a non-extractable ES256 key with DPoP (RFC 9449), auth0-spa-js's name:
   * proofs on every token request, `Authorization: DPoP` in `fetchWithAuth`, one retry on
   * a `use_dpop_nonce` challenge. A Bearer token from a provider that advertises DPoP is
   * refused (`dpop_downgrade`).
   */
  useDpop?: boolean;
  /**
   * Keep the session across reloads: only the DPoP-bound refresh token and the key pair,
   * in IndexedDB; access and ID tokens stay in memory. Needs `useDpop: true`. After a
   * reload, one refresh (one for all tabs) restores the session before `createAuthClient`
   * resolves.
   */
  persistSession?: boolean;
  /** Push every authorization request first (RFC 9126); done anyway where the provider requires it. */
  usePar?: boolean;
  /**
   * Where to load the WebAssembly module from when the copy next to the package's module
   * cannot be (a CDN, another path): a URL, a `Response` or a compiled `WebAssembly.Module`.
   */
  wasm?: string | URL | Response | WebAssembly.Module;
}

export interface PopupLoginOptions {
  authorizationParams?: AuthorizationParams;
  /** A window the app opened itself, synchronously in its click handler, to dodge popup blockers. */
  popup?: Window | null;
}

export interface GetTokenWithPopupOptions extends PopupLoginOptions {
  /** `on` (default) or `off`: a popup always signs in anew, so its token is always fresh. */
  cacheMode?: 'on' | 'off';
}

export interface PopupConfigOptions {
  /** As in auth0-spa-js: a window the app opened itself. */
  popup?: Window | null;
  /** How long this popup login may take, in whole seconds; default `authorizeTimeoutInSeconds`. */
  timeoutInSeconds?: number;
  /** `false` leaves the popup open when the login ends (default `true`). */
  closePopup?: boolean;
}

/** `detail` of a `sessionchange` event. */
export interface SessionChange {
  reason: 'login' | 'refresh' | 'revoke' | 'logout';
  /** Whether the change happened in another tab. */
  otherTab: boolean;
  isAuthenticated: boolean;
}

export interface RedirectLoginOptions<TAppState = any> {
  authorizationParams?: AuthorizationParams;
  /** Any JSON-serializable value, handed back by `handleRedirectCallback`. */
  appState?: TAppState;
  /** Opens the authorize URL instead of `location.assign` (for native shells, tests). */
  openUrl?: (url: string) => void | Promise<void>;
  /** Appended to the authorize URL as `#fragment`. */
  fragment?: string;
}

export interface RedirectLoginResult<TAppState = any> {
  appState?: TAppState;
}

export interface GetTokenSilentlyOptions {
  /** `audience` and `scope` pick the token; any other parameter goes with the refresh (and a silent login). */
  authorizationParams?: AuthorizationParams;
  /** `on` (default): cache, then refresh. `off`: always refresh. `cache-only`: `undefined` on a miss. */
  cacheMode?: 'on' | 'off' | 'cache-only';
  /** Resolve a {@link GetTokenSilentlyVerboseResponse} instead of the access token string. */
  detailedResponse?: boolean;
  /** How long a silent iframe login that renews may take, in whole seconds. */
  timeoutInSeconds?: number;
}

export interface GetTokenSilentlyVerboseResponse {
  access_token: string;
  id_token?: string;
  /** Seconds until the access token expires, by the client clock. */
  expires_in: number;
  /** The granted scope. */
  scope: string;
  token_type: 'Bearer' | 'DPoP';
  /**
   * The first 8 hex digits of the SHA-256 of the refresh token held, to show that it
   * rotated without showing it. Absent without a refresh token.
   */
  refresh_token_fingerprint?: string;
}

export interface LogoutOptions {
  logoutParams?: {
    /** Where the provider sends the browser after logout (`post_logout_redirect_uri`). */
    returnTo?: string;
    /** Auth0: also sign out of the upstream identity provider (`/v2/logout` and `/oidc/logout`). */
    federated?: boolean;
    /** Any other parameter is sent to the logout endpoint as given. */
    [param: string]: string | number | boolean | undefined;
  };
  /** The `client_id` sent to the logout endpoint; `null` sends none. Default: this client's. */
  clientId?: string | null;
  /** `false`: clear the local session only. A function: open the logout URL yourself. */
  openUrl?: false | ((url: string) => void | Promise<void>);
}

/** ID token claims, as in OIDC Core 5.1. */
export interface User {
  sub?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  preferred_username?: string;
  picture?: string;
  email?: string;
  email_verified?: boolean;
  locale?: string;
  updated_at?: string;
  /** Any other claim, such as `user['https://example.com/roles']`. */
  [claim: string]: any;
}

export interface IdToken extends User {
  __raw: string;
  iss?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nonce?: string;
  auth_time?: number;
  org_id?: string;
  org_name?: string;
}

/** The stable codes of the SDK's own errors; a provider's code (`access_denied`, …) passes through. */
export type ErrorCode =
  | 'invalid_options' | 'not_a_callback' | 'invalid_callback' | 'missing_transaction' | 'state_mismatch'
  | 'transaction_expired' | 'invalid_transaction' | 'invalid_issuer' | 'discovery_failed' | 'network_error'
  | 'timeout' | 'unexpected_status' | 'invalid_json' | 'invalid_response' | 'unsupported_token_type'
  | 'invalid_id_token' | 'invalid_jwks' | 'missing_refresh_token' | 'login_required' | 'revocation_not_supported'
  | 'popup_open' | 'cancelled' | 'browser_error' | 'origin_not_allowed' | 'redirect_not_followed'
  | 'too_many_requests' | 'dpop_downgrade';

/**
 * Every error the SDK rejects with is an instance of one of these classes, with
 * auth0-spa-js's names and hierarchy: all extend `GenericError`, which extends `Error`, so
 * `e instanceof MissingRefreshTokenError` works as it does there. `error` is a stable code;
 * `check`, where one code covers several failures, names the one that failed. No token,
 * code or verifier ever appears in a message.
 */
export declare class GenericError extends Error {
  /** A stable code: one of {@link ErrorCode}, or the provider's own (`access_denied`, `invalid_grant`, …). */
  error: ErrorCode | (string & {});
  error_description: string;
  /**
   * Which check failed, where one code covers several: the claim, header member or
   * parameter (`exp`, `nonce`, `alg`, `kid`, `signature`, `state`, `expires_in`, …).
   * Stable like `error`; read it, never the English description.
   */
  check?: string;
  constructor(error: string, error_description: string, fields?: object);
}
/** The provider refused the login (`access_denied`, `login_required`, …). */
export declare class AuthenticationError extends GenericError {
  state?: string;
  appState?: any;
}
export declare class TimeoutError extends GenericError {}
export declare class PopupTimeoutError extends TimeoutError {
  popup?: Window;
}
export declare class PopupCancelledError extends GenericError {
  popup?: Window;
}
export declare class PopupOpenError extends GenericError {}
export declare class MfaRequiredError extends GenericError {
  mfa_token?: string;
}
export declare class MissingRefreshTokenError extends GenericError {
  audience: string;
  scope: string;
}
/** Any error the SDK rejects with. */
export type SpaAuthError = GenericError;

export declare class AuthClient {
  /** Prefer {@link createAuthClient}, which loads the wasm first. */
  constructor(options: AuthClientOptions);
  /** Redirects to the provider's login page. */
  loginWithRedirect<TAppState = any>(options?: RedirectLoginOptions<TAppState>): Promise<void>;
  /**
   * Signs in in a popup, keeping the page. Rejects with `PopupOpenError` (blocked),
   * `PopupCancelledError` (closed by the user, noticed within about a second) or
   * `PopupTimeoutError` (past `authorizeTimeoutInSeconds`).
   */
  loginWithPopup(options?: PopupLoginOptions, config?: PopupConfigOptions): Promise<void>;
  /** Signs in in a popup for `authorizationParams` and resolves the access token for them. */
  getTokenWithPopup(options?: GetTokenWithPopupOptions, config?: PopupConfigOptions): Promise<string>;
  /**
   * Restores the provider's session silently in a hidden iframe (`prompt=none`). With no
   * session there (`login_required`, `consent_required`, `interaction_required`, or
   * third-party cookies blocked) it resolves and the client stays signed out. Never waits
   * past `authorizeTimeoutInSeconds`; the iframe is always removed.
   */
  checkSession(options?: { authorizationParams?: AuthorizationParams }): Promise<void>;
  /**
   * Finishes a login on the redirect page: checks state and `iss`, exchanges the
   * code, validates the ID token, and cleans `code`, `state`, `iss`, `session_state`,
   * `error` and `error_description` from the address bar. A second call with the
   * same URL returns the same promise.
   */
  handleRedirectCallback<TAppState = any>(url?: string): Promise<RedirectLoginResult<TAppState>>;
  isAuthenticated(): Promise<boolean>;
  /** Profile claims of the ID token, without protocol claims. */
  getUser<TUser extends User = User>(): Promise<TUser | undefined>;
  /** Every claim of the ID token, with `__raw`. */
  getIdTokenClaims(): Promise<IdToken | undefined>;
  /** An access token from memory, or refreshed; concurrent callers share one refresh. */
  getTokenSilently(options: GetTokenSilentlyOptions & { cacheMode: 'cache-only'; detailedResponse?: false }): Promise<string | undefined>;
  getTokenSilently(options: GetTokenSilentlyOptions & { detailedResponse: true }): Promise<GetTokenSilentlyVerboseResponse>;
  getTokenSilently(options?: GetTokenSilentlyOptions): Promise<string>;
  /** Whether `scope` was granted (not only requested) for the audience. */
  hasScope(scope: string, options?: { audience?: string }): boolean;
  /**
   * `fetch` with `Authorization: Bearer`. On a 401 with
   * `WWW-Authenticate: Bearer error="invalid_token"`, refreshes once and retries.
   * A cross-origin API must list `WWW-Authenticate` in `Access-Control-Expose-Headers`.
   * Only to `allowedOrigins` (`origin_not_allowed` otherwise, nothing sent); a redirect
   * answer is not followed with the token (`redirect_not_followed`).
   */
  fetchWithAuth(input: RequestInfo | URL, init?: RequestInit, options?: GetTokenSilentlyOptions): Promise<Response>;
  /** Clears the session in memory, then navigates to the provider's logout. */
  logout(options?: LogoutOptions): Promise<void>;
  /** Revokes the refresh token at the provider (RFC 7009) and forgets it. */
  revokeRefreshToken(): Promise<void>;
  /** A DPoP proof signed with this session's key, for an API the app calls itself (`useDpop`); `ath` when `accessToken` is given. */
  generateDpopProof(params: { url: string; method: string; nonce?: string; accessToken?: string }): Promise<string>;
  /** The DPoP nonce last given by the provider, or with `id` (an API's origin) by that API. */
  getDpopNonce(id?: string): Promise<string | undefined>;
  /** Sets the DPoP nonce of the provider, or with `id` (an API's origin) of that API. */
  setDpopNonce(nonce: string, id?: string): Promise<void>;
  /** Fires `sessionchange` (a `CustomEvent<SessionChange>`) for changes here and in other tabs. */
  addEventListener(type: 'sessionchange', listener: (event: CustomEvent<SessionChange>) => void): void;
  removeEventListener(type: 'sessionchange', listener: (event: CustomEvent<SessionChange>) => void): void;
  /** `false` when `crossTab: false` was passed or the browser lacks Web Locks or BroadcastChannel. */
  readonly sharesAcrossTabs: boolean;
  /** Releases the wasm memory of this client; its later calls reject (`browser_error`). */
  free(): void;
}

/**
 * Creates a client, loading the WebAssembly module on first use. When another tab of
 * this origin holds a session, the client takes it first (waiting at most 200 ms).
 */
export declare function createAuthClient(options: AuthClientOptions): Promise<AuthClient>;
