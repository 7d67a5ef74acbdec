// Runs the demo: a local OpenID provider, the demo page with the built package, and an API.
//   node examples/demo.mjs            local provider on 127.0.0.1:4000, demo on 127.0.0.1:3000
// To use a real Auth0 tenant instead, set SPA_AUTH_DOMAIN, SPA_AUTH_CLIENT_ID and
// SPA_AUTH_AUDIENCE (and allow http://127.0.0.1:3000/ as callback, logout URL and web origin).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProvider, API_AUDIENCE, API_SCOPES } from './provider.mjs';
import { startStatic, send } from './support/static.mjs';
import { whoamiRoute } from './whoami-api.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the demo; `env` selects a real Auth0 tenant instead of the local provider. */
export async function startDemo({ demoPort = 3000, providerPort = 4000, env = {} } = {}) {
  const origin = `http://127.0.0.1:${demoPort}`;
  let config;
  let provider;
  let api;
  if (env.SPA_AUTH_DOMAIN) {
    config = {
      domain: env.SPA_AUTH_DOMAIN,
      clientId: env.SPA_AUTH_CLIENT_ID,
      audience: env.SPA_AUTH_AUDIENCE,
      scopes: env.SPA_AUTH_SCOPES ?? '',
      api: '/api/whoami',
    };
    api = whoamiRoute({
      issuer: () => `https://${config.domain}/`,
      jwksUri: () => `https://${config.domain}/.well-known/jwks.json`,
      audience: config.audience,
    });
  } else {
    provider = await startProvider({
      port: providerPort,
      clientId: 'spa-demo',
      redirectUris: [`${origin}/`],
      postLogoutRedirectUris: [`${origin}/`],
      accessTokenTTL: 60,
    });
    config = { domain: provider.issuer, clientId: 'spa-demo', audience: API_AUDIENCE, scopes: API_SCOPES, api: '/api/whoami' };
    api = whoamiRoute({ issuer: () => provider.issuer, jwksUri: () => `${provider.issuer}/jwks` });
  }
  const site = await startStatic({
    port: demoPort,
    mounts: { '/pkg/': path.join(root, 'pkg'), '/': path.join(root, 'examples/demo') },
    routes: {
      '/config.js': (_req, res) => send(res, 200, 'text/javascript', `export default ${JSON.stringify(config)};`),
      '/api/whoami': api,
      '/favicon.ico': (_req, res) => send(res, 204, 'image/x-icon', ''),
    },
  });
  return {
    origin,
    provider,
    config,
    async close() {
      await site.close();
      await provider?.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemo({
    demoPort: Number(process.env.DEMO_PORT ?? 3000),
    providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
    env: process.env,
  });
  console.log(`
spa-auth demo
  provider  ${demo.provider ? `${demo.provider.issuer} (sign in with any name and password)` : demo.config.domain}
  demo      ${demo.origin}/   <- open this
Press Ctrl+C to stop.`);
}
