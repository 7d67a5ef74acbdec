// Runs the demo: a local OpenID provider, the timesheets API (Rust, jsonwebtoken) and the
// demo page with the built package.
//   node examples/demo.mjs      provider 127.0.0.1:4000, API 127.0.0.1:3001, demo 127.0.0.1:3000
// To use a real Auth0 tenant instead, set SPA_AUTH_DOMAIN, SPA_AUTH_CLIENT_ID and
// SPA_AUTH_AUDIENCE (the API's identifier, with read:timesheets and create:timesheets
// permissions), and allow http://127.0.0.1:3000/ as callback URL, logout URL and web origin.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProvider, API_AUDIENCE, API_SCOPES } from './provider.mjs';
import { startStatic, send } from './support/static.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const API_BINARY = path.join(root, 'target/debug/timesheets-api');

async function waitForPort(port, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`timesheets-api exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); }).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timesheets-api did not start');
}

/** Starts the demo; `env` selects a real Auth0 tenant instead of the local provider. */
export async function startDemo({ demoPort = 3000, providerPort = 4000, apiPort = 3001, env = {} } = {}) {
  const origin = `http://127.0.0.1:${demoPort}`;
  let provider;
  let issuer;
  let config;
  if (env.SPA_AUTH_DOMAIN) {
    issuer = `https://${env.SPA_AUTH_DOMAIN}/`;
    config = { domain: env.SPA_AUTH_DOMAIN, clientId: env.SPA_AUTH_CLIENT_ID, audience: env.SPA_AUTH_AUDIENCE, scopes: API_SCOPES };
  } else {
    provider = await startProvider({
      port: providerPort,
      clientId: 'spa-demo',
      redirectUris: [`${origin}/`],
      postLogoutRedirectUris: [`${origin}/`],
      accessTokenTTL: 60,
    });
    issuer = provider.issuer;
    config = { domain: provider.issuer, clientId: 'spa-demo', audience: API_AUDIENCE, scopes: API_SCOPES };
  }
  config.api = `http://127.0.0.1:${apiPort}/timesheets`;
  const api = spawn(API_BINARY, [issuer, config.audience, String(apiPort), origin], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitForPort(apiPort, api);
  const site = await startStatic({
    port: demoPort,
    mounts: { '/pkg/': path.join(root, 'pkg'), '/': path.join(root, 'examples/demo') },
    routes: {
      '/config.js': (_req, res) => send(res, 200, 'text/javascript', `export default ${JSON.stringify(config)};`),
      '/favicon.ico': (_req, res) => send(res, 204, 'image/x-icon', ''),
    },
  });
  return {
    origin,
    provider,
    config,
    async close() {
      api.kill();
      await site.close();
      await provider?.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemo({
    demoPort: Number(process.env.DEMO_PORT ?? 3000),
    providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
    apiPort: Number(process.env.API_PORT ?? 3001),
    env: process.env,
  });
  console.log(`
spa-auth demo: timesheets
  provider  ${demo.provider ? `${demo.provider.issuer} (sign in with any name and password)` : demo.config.domain}
  API       ${demo.config.api}
  demo      ${demo.origin}/   <- open this
Press Ctrl+C to stop.`);
  const stop = async () => { await demo.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
