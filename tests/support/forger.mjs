// A forging OpenID provider for the adversarial suite: a small HTTP server on 127.0.0.1
// that signs with its own keys and, told a case name, answers with exactly the forgery or
// fault a real provider would never produce. It counts every request it gets.
import http from 'node:http';
import { randomBytes, createHash } from 'node:crypto';
import { generateKeyPair, exportJWK, exportSPKI, SignJWT } from 'jose';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

export async function startForger() {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const ghost = await generateKeyPair('RS256', { extractable: true }); // never published
  const next = await generateKeyPair('RS256', { extractable: true }); // published only after a rotation
  const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' };
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' };
  // One more key for each other algorithm the SDK verifies, for the honest controls.
  const others = {};
  for (const alg of ['PS256', 'ES384', 'EdDSA']) {
    const pair = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    others[alg] = { key: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: alg.toLowerCase(), alg, use: 'sig' } };
  }
  const otherJwks = Object.values(others).map((o) => o.jwk);
  const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'rsa-next', alg: 'RS256', use: 'sig' };
  const rsaPem = await exportSPKI(rsa.publicKey);

  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const log = [];
  const codes = new Map(); // code -> { nonce, clientId }
  const hung = new Set();
  let current = 'good';

  const now = () => Math.floor(Date.now() / 1000);

  /** A signed ID token; `edit` changes claims and header per case. */
  async function idToken({ nonce, clientId, sub = 'victim', code }, edit = {}) {
    const claims = { iss: issuer, sub, aud: clientId, iat: now(), exp: now() + 300, nonce, ...edit.claims };
    if (code) claims.c_hash = b64u(createHash('sha256').update(code).digest().subarray(0, 16));
    for (const [k, v] of Object.entries(edit.claims ?? {})) if (v === undefined) delete claims[k];
    const header = { alg: 'RS256', kid: 'rsa', ...edit.header };
    const key = edit.key ?? rsa.privateKey;
    return new SignJWT(claims).setProtectedHeader(header).sign(key);
  }

  /** What each case does to the ID token of a code exchange. */
  const idTokenCases = {
    'bad-signature': async (ctx) => {
      const t = await idToken(ctx);
      const [h, p, s] = t.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[0] ^= 1;
      return `${h}.${p}.${b64u(sig)}`;
    },
    'unknown-key': (ctx) => idToken(ctx, { header: { kid: 'ghost' }, key: ghost.privateKey }),
    'alg-none': async (ctx) => {
      const [, p] = (await idToken(ctx)).split('.');
      return `${b64u(JSON.stringify({ alg: 'none' }))}.${p}.`;
    },
    'hs256-confusion': async (ctx) => {
      const [, p] = (await idToken(ctx)).split('.');
      const h = b64u(JSON.stringify({ alg: 'HS256', kid: 'rsa' }));
      const { createHmac } = await import('node:crypto');
      const sig = createHmac('sha256', rsaPem).update(`${h}.${p}`).digest();
      return `${h}.${p}.${b64u(sig)}`;
    },
    'kid-wrong-type': (ctx) => idToken(ctx, { header: { kid: 'ec' } }),
    'jku-header': (ctx) => idToken(ctx, { header: { jku: `${issuer}/evil-jwks` } }),
    'embedded-jwk': (ctx) => idToken(ctx, { header: { jwk: rsaJwk } }),
    'wrong-iss': (ctx) => idToken(ctx, { claims: { iss: 'http://127.0.0.1:1' } }),
    'wrong-aud': (ctx) => idToken(ctx, { claims: { aud: 'someone-else' } }),
    'multi-aud-no-azp': (ctx) => idToken(ctx, { claims: { aud: [ctx.clientId, 'other'] } }),
    'multi-aud-wrong-azp': (ctx) => idToken(ctx, { claims: { aud: [ctx.clientId, 'other'], azp: 'other' } }),
    expired: (ctx) => idToken(ctx, { claims: { exp: now() - 3600, iat: now() - 7200 } }),
    'iat-future': (ctx) => idToken(ctx, { claims: { iat: now() + 86400, exp: now() + 90000 } }),
    'nbf-future': (ctx) => idToken(ctx, { claims: { nbf: now() + 3600 } }),
    'nonce-missing': (ctx) => idToken(ctx, { claims: { nonce: undefined } }),
    'nonce-wrong': (ctx) => idToken(ctx, { claims: { nonce: 'not-the-one' } }),
    'auth-time-old': (ctx) => idToken(ctx, { claims: { auth_time: now() - 3600 } }),
    'wrong-org': (ctx) => idToken(ctx, { claims: { org_id: 'org_evil' } }),
    'jwks-not-json': (ctx) => idToken(ctx),
    'jwks-1000-keys': (ctx) => idToken(ctx),
    'at-hash-wrong': (ctx) => idToken(ctx, { claims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } }),
    'es256-good': (ctx) => idToken(ctx, { header: { alg: 'ES256', kid: 'ec' }, key: ec.privateKey }),
    ...Object.fromEntries(Object.entries(others).map(([alg, o]) => [
      `${alg.toLowerCase()}-good`, (ctx) => idToken(ctx, { header: { alg, kid: o.jwk.kid }, key: o.key }),
    ])),
    // The provider rotated its keys: tokens are signed by a key the client has not seen yet.
    rotated: (ctx) => idToken(ctx, { header: { kid: 'rsa-next' }, key: next.privateKey }),
  };

  function cors(res) {
    res.setHeader('Access-Control-Allow-Origin', '*');
  }
  function json(res, status, body) {
    cors(res);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    log.push({ method: req.method, path: url.pathname, grant_type: form.get('grant_type') ?? undefined, case: current });

    if (url.pathname === '/__case') {
      current = body;
      return json(res, 200, { case: current });
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        authorization_response_iss_parameter_supported: true,
        id_token_signing_alg_values_supported: ['RS256', 'ES256', 'PS256', 'ES384', 'EdDSA', 'HS256', 'none'],
      });
    }
    if (url.pathname === '/jwks') {
      if (current === 'jwks-not-json') return json(res, 200, '<html>keys</html>');
      if (current === 'jwks-1000-keys') return json(res, 200, { keys: Array.from({ length: 1000 }, (_, i) => ({ ...rsaJwk, kid: `k${i}` })) });
      return json(res, 200, { keys: current === 'rotated' ? [rsaJwk, ecJwk, nextJwk, ...otherJwks] : [rsaJwk, ecJwk, ...otherJwks] });
    }
    if (url.pathname === '/authorize') {
      const p = url.searchParams;
      const code = b64u(randomBytes(24));
      codes.set(code, { nonce: p.get('nonce'), clientId: p.get('client_id') });
      const state = p.get('state');
      const out = new URLSearchParams({ code, state, iss: issuer });
      if (current === 'iss-missing') out.delete('iss');
      if (current === 'iss-wrong') out.set('iss', 'http://127.0.0.1:1');
      // An error response with the real state, as an attacker who can steer the browser to
      // the callback would craft it: with another issuer, or with the provider's own.
      if (current === 'error-iss-wrong' || current === 'error-without-iss') {
        out.delete('code');
        out.set('error', 'access_denied');
        out.set('error_description', 'Your account is locked: call +1 555 0100');
        if (current === 'error-iss-wrong') out.set('iss', 'https://evil.example/'); else out.delete('iss');
      }
      if (current === 'dup-state') out.append('state', state);
      if (current === 'dup-code') out.append('code', 'another');
      if (current === 'huge-url') out.set('padding', 'x'.repeat(101 * 1024));
      let location;
      if (p.get('response_type') === 'code id_token') {
        out.delete('iss');
        const wrongCode = current === 'c-hash-wrong' ? 'a-different-code' : code;
        out.set('id_token', await idToken({ ...codes.get(code), code: wrongCode }));
        location = `${p.get('redirect_uri')}#${out}`;
      } else {
        location = `${p.get('redirect_uri')}${p.get('redirect_uri').includes('?') ? '&' : '?'}${out}`;
      }
      // Test control: `__json` answers the redirect's target as JSON, so a page can drive
      // several callbacks within one client.
      if (p.has('__json')) return json(res, 200, { location });
      res.writeHead(302, { Location: location });
      return res.end();
    }
    if (url.pathname === '/token') {
      const grant = form.get('grant_type');
      const ctx = grant === 'authorization_code' ? codes.get(form.get('code')) : { clientId: form.get('client_id') };
      if (!ctx) return json(res, 400, { error: 'invalid_grant' });
      const tokens = { access_token: b64u(randomBytes(24)), token_type: 'Bearer', expires_in: 300, refresh_token: b64u(randomBytes(24)), scope: 'openid' };
      switch (current) {
        case 'token-type-mac': return json(res, 200, { ...tokens, token_type: 'mac', id_token: await idToken(ctx) });
        case 'expires-in-negative': return json(res, 200, { ...tokens, expires_in: -60, id_token: await idToken(ctx) });
        case 'expires-in-huge': return json(res, 200, { ...tokens, expires_in: 1e12, id_token: await idToken(ctx) });
        case 'response-over-1mb': return json(res, 200, { ...tokens, padding: 'x'.repeat(1100 * 1024) });
        case 'response-over-1mb-chunked': {
          cors(res);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write(`{"padding":"`);
          for (let i = 0; i < 11; i++) res.write('x'.repeat(100 * 1024));
          return res.end('"}');
        }
        case 'error-utf8-split': {
          // A BOM, then "naïve" with the two bytes of its ï in two chunks, 150 ms apart so
          // that the browser reads them apart: decoded as the browser decodes text, the
          // description arrives whole.
          cors(res);
          res.writeHead(400, { 'Content-Type': 'application/json' });
          const body = Buffer.from('\uFEFF{"error":"access_denied","error_description":"na\u00efve"}');
          const split = body.indexOf(0xc3) + 1;
          res.write(body.subarray(0, split));
          return setTimeout(() => res.end(body.subarray(split)), 150);
        }
        case 'not-json': cors(res); res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end('access_token=abc&token_type=bearer');
        case 'wrong-types': return json(res, 200, { ...tokens, access_token: 12345, expires_in: '5 minutes' });
        case 'html-500': cors(res); res.writeHead(500, { 'Content-Type': 'text/html' }); return res.end('<html><h1>Internal Server Error</h1></html>');
        case 'hung': hung.add(res); return undefined; // never answers
        default: break;
      }
      if (grant === 'refresh_token') {
        const sub = current === 'refresh-other-sub' ? 'someone-else' : 'victim';
        return json(res, 200, { ...tokens, id_token: await idToken({ ...ctx, sub }) });
      }
      const forge = idTokenCases[current];
      const id = forge ? await forge(ctx) : await idToken(ctx);
      return json(res, 200, { ...tokens, id_token: id });
    }
    json(res, 404, { error: 'not_found' });
  });

  return {
    issuer,
    log,
    setCase: (name) => { current = name; },
    count: (path, since = 0) => log.slice(since).filter((e) => e.path === path).length,
    close: () => new Promise((resolve) => {
      for (const r of hung) r.destroy();
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}
