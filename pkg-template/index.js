// spa-auth: the package entry. Loads the wasm once, on first use, and hands out clients.
import init, { AuthClient } from './spa_auth.js';

let ready;

/**
 * Creates a client. Loads the WebAssembly module on first call; the app never
 * calls an init function. When another tab of this origin holds a session, the
 * new client takes it first (waiting at most 200 ms). Rejects with a GenericError
 * (`invalid_options`) when the options are wrong.
 * @param {import('./index.js').AuthClientOptions} options
 * @returns {Promise<AuthClient>}
 */
export async function createAuthClient(options) {
  ready ??= init();
  await ready;
  return AuthClient.create(options);
}

export { AuthClient };
