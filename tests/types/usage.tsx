// Every export used the way the README shows, compiled with `tsc --strict`: the types
// must accept what an auth0-spa-js, auth0-react or auth0-vue app writes.
import {
  createAuthClient, AuthClient, GenericError, AuthenticationError, TimeoutError, PopupTimeoutError, PopupCancelledError,
  PopupOpenError, MfaRequiredError, MissingRefreshTokenError, type User, type ErrorCode,
} from 'spa-auth';
import { AuthProvider, Auth0Provider, useAuth, useAuth0, withAuthenticationRequired } from 'spa-auth/react';
import { createAuth, createAuth0, useAuth as useVueAuth, createAuthGuard, authGuard } from 'spa-auth/vue';
import { createApp } from 'vue';

async function plain(): Promise<void> {
  const auth: AuthClient = await createAuthClient({
    domain: 'tenant.auth0.com',
    clientId: 'c',
    cacheLocation: 'memory',
    useDpop: true,
    persistSession: true,
    usePar: false,
    allowedOrigins: ['https://api.example.com'],
    authorizationParams: { redirect_uri: location.origin, audience: 'https://api.example.com', scope: 'openid' },
  });
  const { appState } = await auth.handleRedirectCallback<{ to: string }>();
  const to: string | undefined = appState?.to;
  await auth.loginWithRedirect({ appState: { to: location.pathname }, fragment: 'x' });
  const maybe: string | undefined = await auth.getTokenSilently({ cacheMode: 'cache-only' });
  const token: string = await auth.getTokenSilently({ timeoutInSeconds: 5, authorizationParams: { organization: 'org_1' } });
  const detailed = await auth.getTokenSilently({ detailedResponse: true });
  const expires: number = detailed.expires_in;
  const user = await auth.getUser();
  const roles = user?.['https://example.com/roles'] as string[] | undefined;
  const can: boolean = auth.hasScope('create:timesheets');
  const res: Response = await auth.fetchWithAuth('https://api.example.com/timesheets');
  const kind: 'Bearer' | 'DPoP' = detailed.token_type;
  const proof: string = await auth.generateDpopProof({ url: 'https://api.example.com/x', method: 'GET', accessToken: token });
  const nonce: string | undefined = await auth.getDpopNonce('https://api.example.com');
  await auth.setDpopNonce(nonce ?? 'n', 'https://api.example.com');
  await auth.loginWithPopup({}, { timeoutInSeconds: 30, closePopup: false });
  await auth.logout({ logoutParams: { returnTo: location.origin, federated: true, ui_locales: 'fr' }, clientId: null });
  try {
    await auth.getTokenSilently();
  } catch (e) {
    if (e instanceof MissingRefreshTokenError) console.log(e.audience, e.scope);
    if (e instanceof AuthenticationError) console.log(e.state, e.appState);
    if (e instanceof MfaRequiredError) console.log(e.mfa_token);
    if (e instanceof PopupTimeoutError || e instanceof PopupCancelledError) console.log(e.popup);
    if (e instanceof TimeoutError || e instanceof PopupOpenError) console.log(e.error);
    if (e instanceof GenericError) {
      const code: ErrorCode | (string & {}) = e.error;
      console.log(code, e.error_description, e.check);
    }
  }
  auth.addEventListener('sessionchange', (e) => console.log(e.detail.reason, e.detail.otherTab));
  console.log(to, maybe, token, expires, roles, can, res, (user as User | undefined)?.email);
}

function Profile() {
  const { isLoading, isAuthenticated, user, loginWithRedirect, logout, getAccessTokenSilently, hasScope } = useAuth();
  if (isLoading) return <p>Loading…</p>;
  void getAccessTokenSilently;
  return isAuthenticated
    ? <button onClick={() => logout()}>Sign out {user?.name} {hasScope('read') ? 'r' : ''}</button>
    : <button onClick={() => loginWithRedirect()}>Sign in</button>;
}
const Timesheets = withAuthenticationRequired(() => <p>private</p>, { onRedirecting: () => <p>…</p>, returnTo: '/x' });
export const app = (
  <AuthProvider domain="tenant.auth0.com" clientId="c" authorizationParams={{ redirect_uri: location.origin }}
    onRedirectCallback={(appState) => history.replaceState({}, '', appState?.returnTo ?? '/')}>
    <Profile /><Timesheets />
  </AuthProvider>
);
export const migrated = <Auth0Provider domain="t" clientId="c"><Profile /></Auth0Provider>;
void useAuth0;

const vueApp = createApp({});
vueApp.use(createAuth({ domain: 'tenant.auth0.com', clientId: 'c' }));
vueApp.use(createAuth0({ domain: 't', clientId: 'c' }, { skipRedirectCallback: true }));
const guard = createAuthGuard(vueApp);
void [guard, authGuard, useVueAuth, plain];
export function useInComponent(): boolean {
  const { isAuthenticated, user } = useVueAuth();
  return isAuthenticated.value && !!user.value?.sub;
}
