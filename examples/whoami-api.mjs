// A minimal resource server: validates the bearer JWT against the provider's JWKS
// (signature, iss, aud, exp) and answers RFC 6750 challenges. Used by the demo and the tests.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { send } from './support/static.mjs';
import { API_AUDIENCE } from './provider.mjs';

/**
 * @param {object} o
 * @param {() => string} o.issuer the provider's issuer, read at request time
 * @param {() => string} o.jwksUri where its signing keys are
 * @param {string} [o.audience]
 * @param {(token: string) => boolean} [o.isRevoked] lets tests revoke a token at the API
 */
export function whoamiRoute({ issuer, jwksUri, audience = API_AUDIENCE, isRevoked = () => false }) {
  let jwks;
  return async (req, res) => {
    const challenge = (error) => send(res, 401, 'application/json', JSON.stringify({ error }), {
      'WWW-Authenticate': `Bearer error="${error}"`,
    });
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return challenge('invalid_request');
    if (isRevoked(m[1])) return challenge('invalid_token');
    try {
      jwks ??= createRemoteJWKSet(new URL(jwksUri()));
      const { payload } = await jwtVerify(m[1], jwks, { issuer: issuer(), audience });
      send(res, 200, 'application/json', JSON.stringify({ sub: payload.sub, scope: payload.scope }));
    } catch {
      challenge('invalid_token');
    }
  };
}
