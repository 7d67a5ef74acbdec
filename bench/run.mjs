// The benchmark: spa-auth, @auth0/auth0-spa-js and oidc-client-ts in one headless Chromium
// run against the same local oidc-provider (configured with Auth0's endpoint paths, which
// auth0-spa-js hard-codes). It prints one table and writes bench/results.json. It measures;
// it never fails on a figure.
//   node bench/run.mjs [RUNS]        medians over RUNS runs (default 9)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT, launchChromium, fillProviderForms, sleep } from '../tests/support/harness.mjs';
import { startProvider, API_AUDIENCE, API_SCOPES } from '../examples/provider.mjs';
import { startStatic, send } from '../examples/support/static.mjs';

const RUNS = Number(process.argv[2] ?? 9);
// Tokens live 10 minutes while the cache is timed; for the "after expiry" figure the
// provider then issues 2-second tokens, which every SDK sees as expired 2.5 s later.
const TTL = 600;
const SHORT_TTL = 2;
const SDKS = ['spa-auth', 'auth0', 'oidc-client'];
const NAMES = { 'spa-auth': 'spa-auth', auth0: '@auth0/auth0-spa-js 2.27.0', 'oidc-client': 'oidc-client-ts 3.5.0' };
const out = path.join(ROOT, 'target/bench');
await fs.mkdir(out, { recursive: true });

// gzip -9 of each file, exactly as scripts/size.sh counts.
const gz = (file) => execFileSync('gzip', ['-9c', file], { maxBuffer: 1 << 26 }).length;

// Bytes an app ships, gzip -9: spa-auth's package files; the others bundled and minified.
const sizes = {};
const spaFiles = ['spa_auth_bg.wasm', 'index.js'];
sizes['spa-auth'] = spaFiles.reduce((n, f) => n + gz(path.join(ROOT, 'pkg', f)), 0);
// With useDpop (and persistSession) the client also loads dpop.js; the others bundle theirs.
const withDpop = { 'spa-auth': sizes['spa-auth'] + gz(path.join(ROOT, 'pkg/dpop.js')) };
// Each adapter is bundled as an app bundles it: one module (spa-auth's with its wasm beside it).
await fs.copyFile(path.join(ROOT, 'pkg/spa_auth_bg.wasm'), path.join(out, 'spa_auth_bg.wasm'));
for (const sdk of SDKS) {
  await build({ entryPoints: [path.join(ROOT, `bench/entries/${sdk}.js`)], bundle: true, minify: true, format: 'esm', outfile: path.join(out, `${sdk}.js`), logLevel: 'warning' });
  if (sdk !== 'spa-auth') sizes[sdk] = gz(path.join(out, `${sdk}.js`));
}

// auth0-spa-js insists on an https issuer, so the provider gets a throwaway self-signed
// certificate, and Chromium is told to accept it. It serves HTTP/2, as hosted providers
// do: over HTTP/1.1 two requests at once take two connections, and the second one's TLS
// handshake, which no hosted provider makes a page wait for, would be timed as the SDK's.
// The table's last row shows the share of requests that came over HTTP/2.
const keyFile = path.join(out, 'key.pem');
const certFile = path.join(out, 'cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
  '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
const tls = { key: await fs.readFile(keyFile), cert: await fs.readFile(certFile) };

// One origin for the three pages; the provider with Auth0's paths.
let provider;
const app = await startStatic({
  mounts: { '/pkg/': path.join(ROOT, 'pkg'), '/bench/': out },
  routes: {
    '/bench-config.json': (_req, res) => send(res, 200, 'application/json', JSON.stringify({
      issuer: provider.issuer, clientId: provider.clientId, audience: API_AUDIENCE, scope: `openid profile email offline_access ${API_SCOPES}`,
    })),
    // Cross-origin isolated, for a 5 µs performance.now(); the provider is reached with CORS.
    ...Object.fromEntries(SDKS.map((sdk) => [`/bench/${sdk}.html`, async (_req, res) => send(res, 200, 'text/html', await fs.readFile(path.join(ROOT, 'bench/pages/page.html')), {
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
    })])),
  },
});
provider = await startProvider({
  redirectUris: SDKS.map((sdk) => `${app.origin}/bench/${sdk}.html`),
  postLogoutRedirectUris: [],
  accessTokenTTL: TTL,
  routes: { authorization: '/authorize', token: '/oauth/token', jwks: '/.well-known/jwks.json', end_session: '/v2/logout' },
  tls,
  http2: true,
});
const browser = await launchChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc', '--ignore-certificate-errors']);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function runOnce(sdk, run) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const r = {};
  const logStart = provider.log.length;
  // Cold start, on a page that is not a callback.
  await page.goto(`${app.origin}/bench/${sdk}.html`);
  await page.waitForFunction(() => window.bench);
  await page.evaluate(() => window.bench);
  r.coldStartMs = await page.evaluate(() => window.result.readyMs);
  r.initMs = await page.evaluate(() => window.result.initMs);
  r.createMs = await page.evaluate(() => window.result.createMs);
  // Login through the provider's forms; the callback is timed in the page.
  await Promise.all([page.waitForURL(/\/interaction\//), page.evaluate(() => { adapter.login(); })]);
  await fillProviderForms(page, `bench-${sdk}-${run}`);
  await page.waitForURL((u) => u.pathname.endsWith(`${sdk}.html`) && u.search.includes('code='));
  await page.waitForFunction(() => window.bench);
  await page.evaluate(() => window.bench);
  const cb = await page.evaluate(() => window.result);
  r.callbackMs = cb.callbackMs;
  r.callbackCpuMs = Math.max(0, cb.callbackMs - cb.callbackNetworkMs);
  // The provider's own time for the code exchange, from its request in to its answer out.
  r.exchangeServerMs = provider.log.slice(logStart).find((e) => e.path === '/oauth/token' && e.grant_type === 'authorization_code')?.ms ?? NaN;
  // JS heap after login, after a full GC.
  await page.evaluate(() => window.gc?.());
  r.heapKB = Math.round(await page.evaluate(() => performance.memory.usedJSHeapSize) / 1024);
  // Cached getTokenSilently. The page is cross-origin isolated, so performance.now() ticks
  // in 5 µs: the median is taken over 200 batches of 50 calls (the per-call mean of each),
  // the p99 over 1,000 single calls.
  const lat = await page.evaluate(async () => {
    await adapter.token();
    const batches = [];
    for (let b = 0; b < 200; b++) {
      const t = performance.now();
      for (let i = 0; i < 50; i++) await adapter.token();
      batches.push((performance.now() - t) / 50);
    }
    const singles = [];
    for (let i = 0; i < 1000; i++) { const t = performance.now(); await adapter.token(); singles.push(performance.now() - t); }
    return { batches, singles };
  });
  const sorted = [...lat.singles].sort((a, b) => a - b);
  r.cachedMedianUs = median(lat.batches) * 1000;
  r.cachedP99Us = sorted[Math.floor(sorted.length * 0.99)] * 1000;
  // Refresh round trip.
  r.refreshMs = await page.evaluate(async () => { const t = performance.now(); await adapter.refresh(); return performance.now() - t; });
  // 50 concurrent calls after expiry: token requests counted at the provider.
  provider.setAccessTokenTTL(SHORT_TTL);
  await page.evaluate(() => adapter.refresh());
  provider.setAccessTokenTTL(TTL);
  await sleep(SHORT_TTL * 1000 + 500);
  const since = provider.log.length;
  const errors = await page.evaluate(async () => (await Promise.allSettled(Array.from({ length: 50 }, () => adapter.token()))).filter((x) => x.status === 'rejected').length);
  r.tokenRequestsFor50 = provider.log.slice(since).filter((e) => e.path === '/oauth/token').length;
  r.failedOf50 = errors;
  // What the provider saw: the share of this run's requests that came over HTTP/2.
  const seen = provider.log.slice(logStart);
  r.http2Percent = (100 * seen.filter((e) => e.http === '2.0').length) / seen.length;
  await context.close();
  return r;
}

// The provider (Node's JIT, oidc-provider's caches) and the browser get faster over the
// first logins: the token endpoint answered spa-auth's first code exchanges in 40, 28, then
// 14 ms, the next SDK's in 11 to 8. So each SDK first makes one run that is not counted,
// and the counted runs are interleaved, each round in a rotated order: no SDK always goes
// first.
for (const sdk of SDKS) await runOnce(sdk, 'warm-up');
const runsOf = Object.fromEntries(SDKS.map((sdk) => [sdk, []]));
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < SDKS.length; j++) {
    const sdk = SDKS[(i + j) % SDKS.length];
    runsOf[sdk].push(await runOnce(sdk, i));
  }
}
const results = {};
for (const sdk of SDKS) {
  const runs = runsOf[sdk];
  const m = (k) => median(runs.map((x) => x[k]));
  results[sdk] = {
    name: NAMES[sdk], sizeGzipBytes: sizes[sdk], sizeWithDpopBytes: withDpop[sdk] ?? sizes[sdk], initMs: m('initMs'), createMs: m('createMs'), coldStartMs: m('coldStartMs'), callbackMs: m('callbackMs'), callbackCpuMs: m('callbackCpuMs'), exchangeServerMs: m('exchangeServerMs'),
    cachedMedianUs: m('cachedMedianUs'), cachedP99Us: m('cachedP99Us'), refreshMs: m('refreshMs'),
    tokenRequestsFor50: m('tokenRequestsFor50'), failedOf50: m('failedOf50'), heapKB: m('heapKB'), http2Percent: m('http2Percent'), runs,
  };
}
await browser.close();
await app.close();
await provider.close();

const rows = [
  ['shipped, gzip -9 (bytes)', (r) => r.sizeGzipBytes.toLocaleString('en')],
  ['  with DPoP on (bytes)', (r) => r.sizeWithDpopBytes.toLocaleString('en')],
  ['init(): load the SDK, create the client (ms)', (r) => r.initMs.toFixed(1)],
  ['  of which after the module loaded: create the client (ms)', (r) => r.createMs.toFixed(1)],
  ['SDK ready on a cold page: navigation → ready (ms)', (r) => r.coldStartMs.toFixed(1)],
  ['handleRedirectCallback (ms)', (r) => r.callbackMs.toFixed(1)],
  ['  of which not the token request (ms)', (r) => r.callbackCpuMs.toFixed(1)],
  ['  the provider\'s own time for the code exchange (ms)', (r) => r.exchangeServerMs.toFixed(1)],
  ['cached getTokenSilently median (µs)', (r) => r.cachedMedianUs.toFixed(2)],
  ['cached getTokenSilently p99 (µs)', (r) => r.cachedP99Us.toFixed(1)],
  ['refresh round trip (ms)', (r) => r.refreshMs.toFixed(1)],
  ['token requests for 50 calls after expiry', (r) => String(r.tokenRequestsFor50)],
  ['  of the 50 calls, failed', (r) => String(r.failedOf50)],
  ['JS heap after login (KB)', (r) => String(r.heapKB)],
  ['provider requests that came over HTTP/2 (%)', (r) => r.http2Percent.toFixed(0)],
];
const header = ['', ...SDKS.map((s) => NAMES[s])];
const table = [header, ...rows.map(([label, f]) => [label, ...SDKS.map((s) => f(results[s]))])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row) => `| ${row.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
console.log(`\nspa-auth bench: medians of ${RUNS} runs, headless Chromium, local oidc-provider, ${TTL}-second access tokens then 2-second ones for the expiry figure\n`);
console.log(line(table[0]));
console.log(`|${widths.map((w, i) => (i ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
// spa-auth as a ratio to each peer (below 1: spa-auth is smaller or faster).
const ratioKeys = [['shipped bytes', 'sizeGzipBytes'], ['init()', 'initMs'], ['create the client, module loaded', 'createMs'], ['SDK ready, cold page', 'coldStartMs'],
  ['handleRedirectCallback', 'callbackMs'], ['cached getTokenSilently median', 'cachedMedianUs'], ['cached getTokenSilently p99', 'cachedP99Us'],
  ['refresh round trip', 'refreshMs'], ['JS heap after login', 'heapKB']];
const peers = SDKS.filter((s) => s !== 'spa-auth');
const ratioTable = [['spa-auth ÷', ...peers.map((s) => NAMES[s])],
  ...ratioKeys.map(([label, k]) => [label, ...peers.map((s) => (results['spa-auth'][k] / results[s][k]).toFixed(2))])];
const rw = ratioTable[0].map((_, i) => Math.max(...ratioTable.map((row) => row[i].length)));
const rline = (row) => `| ${row.map((c, i) => (i ? c.padStart(rw[i]) : c.padEnd(rw[i]))).join(' | ')} |`;
console.log('');
console.log(rline(ratioTable[0]));
console.log(`|${rw.map((w, i) => (i ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
for (const row of ratioTable.slice(1)) console.log(rline(row));
const file = path.join(ROOT, 'bench/results.json');
await fs.writeFile(file, `${JSON.stringify({ runs: RUNS, date: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`\nwrote ${path.relative(ROOT, file)}`);
