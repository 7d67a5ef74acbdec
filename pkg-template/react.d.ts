// spa-auth/react: @auth0/auth0-react 2.x's API. React is a peer dependency.
import type { Context, ComponentType, ReactElement, ReactNode } from 'react';
import type {
  AuthClientOptions, User, IdToken, RedirectLoginOptions, PopupLoginOptions, PopupConfigOptions, LogoutOptions,
  GetTokenSilentlyOptions, GetTokenWithPopupOptions, GenericError,
} from './index.js';

export interface AuthState {
  /** `true` until the client exists and the redirect callback or `checkSession` has run. */
  isLoading: boolean;
  isAuthenticated: boolean;
  user?: User;
  error?: GenericError | Error;
}

export interface AuthContextValue extends AuthState {
  loginWithRedirect(options?: RedirectLoginOptions): Promise<void>;
  loginWithPopup(options?: PopupLoginOptions, config?: PopupConfigOptions): Promise<void>;
  logout(options?: LogoutOptions): Promise<void>;
  getAccessTokenSilently(options?: GetTokenSilentlyOptions): Promise<string>;
  getAccessTokenWithPopup(options?: GetTokenWithPopupOptions, config?: PopupConfigOptions): Promise<string | undefined>;
  getIdTokenClaims(): Promise<IdToken | undefined>;
  handleRedirectCallback(url?: string): Promise<{ appState?: any }>;
  fetchWithAuth(input: RequestInfo | URL, init?: RequestInit, options?: GetTokenSilentlyOptions): Promise<Response>;
  /** Whether `scope` was granted; `false` until the client exists. */
  hasScope(scope: string, options?: { audience?: string }): boolean;
}

export interface AuthProviderProps extends AuthClientOptions {
  children?: ReactNode;
  /** Called after a login's redirect; default: `history.replaceState` to `appState.returnTo` or the path. */
  onRedirectCallback?: (appState?: any, user?: User) => void;
  /** Leave `?code=…&state=…` on the page alone (another library handles it). */
  skipRedirectCallback?: boolean;
  context?: Context<AuthContextValue | null>;
}

export declare const AuthContext: Context<AuthContextValue | null>;
export declare function AuthProvider(props: AuthProviderProps): ReactElement;
export declare function useAuth(context?: Context<AuthContextValue | null>): AuthContextValue;

export interface WithAuthenticationRequiredOptions {
  onRedirecting?: () => ReactElement | null;
  returnTo?: string | (() => string);
  loginOptions?: RedirectLoginOptions;
  context?: Context<AuthContextValue | null>;
}
export declare function withAuthenticationRequired<P extends object>(Component: ComponentType<P>, options?: WithAuthenticationRequiredOptions): ComponentType<P>;

export { AuthProvider as Auth0Provider, useAuth as useAuth0, AuthContext as Auth0Context };
