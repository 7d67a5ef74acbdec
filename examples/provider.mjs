// A real OpenID provider for tests and the demo: panva's oidc-provider on 127.0.0.1,
// configured like an Auth0 tenant as far as spa-auth can tell:
// - public client, PKCE required, rotating refresh tokens, short access-token TTL;
// - Auth0's `audience` accepted and mapped to a resource indicator, so the code
//   exchange yields a JWT access token for that API;
// - profile claims in the ID token; RP-initiated logout; revocation.
// Every request is logged, so tests count requests at the provider, not in the page.
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

export const API_AUDIENCE = 'https://api.timesheets.test';
export const API_SCOPES = 'read:timesheets create:timesheets';

/**
 * @param {object} o
 * @param {string[]} o.redirectUris
 * @param {string[]} o.postLogoutRedirectUris
 * @param {number} [o.port] 0 picks a free one
 * @param {number} [o.accessTokenTTL] seconds
 * @param {string} [o.clientId]
 * @param {boolean} [o.webMessage] offer response_mode=web_message (for iframe and popup logins)
 * @param {object} [o.routes] endpoint paths, e.g. Auth0's for SDKs that do not read discovery
 * @param {{key: Buffer, cert: Buffer}} [o.tls] serve https (for SDKs that insist on an https issuer)
 * @param {boolean} [o.http2] with `tls`: HTTP/2 (and HTTP/1.1 for clients that do not offer it), as hosted providers serve
 * @param {boolean} [o.dpopNonce] require a server nonce in DPoP proofs (RFC 9449 §8)
 * @param {boolean} [o.requirePar] require pushed authorization requests (RFC 9126)
 */
export async function startProvider({
  redirectUris, postLogoutRedirectUris, port = 0, accessTokenTTL = 3, clientId = 'spa-test', webMessage = false, routes, tls,
  dpopNonce = false, requirePar = false, http2: h2 = false,
}) {
  const server = tls ? (h2 ? http2.createSecureServer({ ...tls, allowHTTP1: true }) : https.createServer(tls)) : http.createServer();
  // An HTTP/2 server has no closeAllConnections: its sessions are kept to end them on close.
  const sessions = new Set();
  server.on('session', (session) => { sessions.add(session); session.on('close', () => sessions.delete(session)); });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  const log = [];
  let rotate = true; // settable: a provider that does not rotate refresh tokens
  let tokenTTL = accessTokenTTL; // settable, for benchmarks that need tokens to expire soon

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }, {
      // The hybrid flow (OIDC Core 3.3) for the front-channel ID token checks. A separate,
      // 'native' client: oidc-provider allows http://127.0.0.1 redirect URIs with implicit
      // response types only for native clients (OIDC Registration §2), and native clients
      // never get prompt=none, so the main client stays 'web'.
      client_id: `${clientId}-hybrid`,
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code', 'refresh_token', 'implicit'],
      response_types: ['code', 'code id_token'],
    }],
    responseTypes: ['code', 'code id_token'],
    pkce: { required: () => true },
    ...(routes ? { routes } : {}),
    // Like Auth0: a client allowed to refresh gets a refresh token without prompt=consent.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => rotate,
    extraParams: ['audience'],
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['name', 'nickname', 'picture'],
      email: ['email', 'email_verified'],
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: sub, nickname: sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    ttl: { AccessToken: () => tokenTTL, IdToken: 3600, RefreshToken: 24 * 3600, Session: 3600, Grant: 24 * 3600, Interaction: 600 },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      webMessageResponseMode: { enabled: webMessage, ack: webMessage ? 'individual-draft-01' : undefined },
      rpInitiatedLogout: { enabled: true },
      // DPoP (RFC 9449), as oidc-provider 9 has it on by default; with `dpopNonce`, every
      // proof must carry a nonce the provider issued (DPoP-Nonce).
      dPoP: { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => dpopNonce },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: requirePar },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx) => ctx.oidc.params?.audience || undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_AUDIENCE) throw new Provider.errors.InvalidTarget();
          return { scope: API_SCOPES, audience: resource, accessTokenTTL: tokenTTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });
  provider.proxy = false;

  // Tests may hold token requests for a while before the provider sees them, to close
  // a tab mid-refresh; a request whose client went away meanwhile is dropped unprocessed.
  let tokenDelayMs = 0;
  let gate = null; // while set, token requests wait for it before the provider sees them
  const received = [];
  provider.use(async (ctx, next) => {
    const start = performance.now();
    if (ctx.path === '/token' && gate) {
      received.push(Date.now());
      await gate;
    }
    if (ctx.path === '/token' && tokenDelayMs > 0) {
      received.push(Date.now());
      await new Promise((r) => setTimeout(r, tokenDelayMs));
      if (ctx.req.socket.destroyed) {
        log.push({ method: ctx.method, path: ctx.path, dropped: true, at: Date.now() });
        return;
      }
    }
    await next();
    const entry = {
      method: ctx.method, path: ctx.path, grant_type: ctx.oidc?.params?.grant_type, status: ctx.status, fault: ctx.state.fault, at: Date.now(),
      dpop: ctx.get('dpop') || undefined, query: ctx.method === 'GET' ? ctx.query : undefined,
      http: ctx.req.httpVersion, ms: performance.now() - start,
    };
    // What a pushed authorization request carried (RFC 9126), by name.
    if (ctx.path === '/request' && ctx.oidc?.params) entry.pushed = Object.keys(ctx.oidc.params).filter((k) => ctx.oidc.params[k] !== undefined);
    // What the token endpoint issued, so tests can look for these tokens where they must not be.
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      const { access_token: access, refresh_token: refresh, id_token: id, token_type: type } = ctx.body;
      entry.issued = { access, refresh, id, type };
    }
    log.push(entry);
  });

  // Faults a real provider will not produce on demand, for tests: each armed fault
  // answers (or alters) the next request to its path, once. Logged as `fault`.
  const faults = [];
  provider.use(async (ctx, next) => {
    // A CORS preflight (OPTIONS, for a DPoP header) is the provider's to answer.
    const i = ctx.method === 'OPTIONS' ? -1 : faults.findIndex((f) => f.path === ctx.path);
    if (i < 0) return next();
    const [f] = faults.splice(i, 1);
    ctx.state.fault = f.kind;
    if (f.kind === 'reset') {
      // The answer starts, then the connection drops mid-body (a reset before any byte
      // on a reused connection is retried by the browser itself).
      ctx.respond = false;
      const socket = ctx.req.socket;
      socket.write('HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"access_token":"');
      setTimeout(() => socket.resetAndDestroy?.() ?? socket.destroy(), 50);
      return undefined;
    }
    if (f.kind === 'status') {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.set('Access-Control-Expose-Headers', 'Retry-After');
      for (const [k, v] of Object.entries(f.headers ?? {})) ctx.set(k, v);
      ctx.status = f.status;
      ctx.body = f.body ?? '';
      return undefined;
    }
    if (f.kind === 'delay') await new Promise((r) => setTimeout(r, f.ms));
    await next();
    if (f.kind === 'strip' && ctx.body && typeof ctx.body === 'object') for (const m of f.members) delete ctx.body[m];
    return undefined;
  });

  const callback = provider.callback();
  server.on('request', callback);
  return {
    issuer,
    clientId,
    provider,
    log,
    received,
    delayTokenRequests(ms) { tokenDelayMs = ms; },
    /** Holds every token request until the returned function is called; then the provider answers them. */
    holdTokenRequests() {
      let release;
      gate = new Promise((r) => { release = r; });
      return () => { gate = null; release(); };
    },
    setAccessTokenTTL(seconds) { tokenTTL = seconds; },
    /** Whether refresh grants rotate the refresh token (default true). */
    setRotation(on) { rotate = on; },
    /**
     * Arms one fault for the next request to `path`: `{ kind: 'status', status, headers, body }`
     * answers instead of the provider, `{ kind: 'reset' }` drops the connection,
     * `{ kind: 'delay', ms }` answers late, `{ kind: 'strip', members }` removes members
     * from the provider's JSON answer.
     */
    injectFault(path, fault) { faults.push({ path, ...fault }); },
    /** Requests to `path` (and `grant_type`) since `since` entries. */
    count(path, grantType, since = 0) {
      return log.slice(since).filter((e) => e.path === path && (!grantType || e.grant_type === grantType)).length;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      for (const session of sessions) session.destroy();
      server.close(resolve);
    }),
  };
}
