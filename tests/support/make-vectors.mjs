// Regenerates tests/vectors: one key pair per algorithm the SDK verifies, its public JWK,
// and a token it signed. The outputs are committed; the private keys are test-only.
//   node tests/support/make-vectors.mjs
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, exportJWK, exportPKCS8, SignJWT } from 'jose';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vectors');
const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const vectors = [];
for (const alg of ALGS) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
  const kid = `test-${alg.toLowerCase()}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  await fs.writeFile(path.join(dir, 'keys', `${alg}.pem`), await exportPKCS8(privateKey));
  const token = await new SignJWT({ nonce: 'n-0S6_WzA2Mj', name: 'Vector' })
    .setProtectedHeader({ alg, kid })
    .setIssuer('https://issuer.test/')
    .setSubject('user-1')
    .setAudience('client-1')
    .setIssuedAt(1700000000)
    .setExpirationTime(4102444800)
    .sign(privateKey);
  vectors.push({ alg, jwk, token });
}
await fs.writeFile(path.join(dir, 'signatures.json'), `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors to ${dir}`);
