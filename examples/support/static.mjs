// A tiny static server on 127.0.0.1 for test pages and the built package, plus an
// optional JSON route table. It serves files; it never answers for the provider.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * @param {object} o
 * @param {Record<string, string>} o.mounts URL prefix → directory, longest prefix wins
 * @param {Record<string, (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => any>} [o.routes]
 * @param {number} [o.port]
 */
export async function startStatic({ mounts, routes = {}, port = 0 }) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  // Large headers allowed: the adversarial suite sends callback URLs over 100 KB.
  const server = http.createServer({ maxHeaderSize: 512 * 1024 }, async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
      const route = routes[url.pathname];
      if (route) return await route(req, res, url);
      const prefix = prefixes.find((p) => url.pathname.startsWith(p));
      if (!prefix) return send(res, 404, 'text/plain', 'not found');
      let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
      if (rel.endsWith('/')) rel += 'index.html';
      const root = path.resolve(mounts[prefix]);
      const file = path.resolve(root, rel);
      if (!file.startsWith(root + path.sep)) return send(res, 403, 'text/plain', 'forbidden');
      const body = await fs.readFile(file);
      send(res, 200, TYPES[path.extname(file)] ?? 'application/octet-stream', body);
    } catch (e) {
      send(res, e.code === 'ENOENT' || e.code === 'EISDIR' ? 404 : 500, 'text/plain', String(e.code ?? 'error'));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

export function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}
