#!/usr/bin/env node
// A tiny static server for the built app (make run, and the browser tests).
// No dependencies. Serves one folder on 127.0.0.1 with the app's security
// headers and the right MIME types; GET and HEAD only; never leaves the
// folder; never logs or reads request bodies.
//
//   node web/serve.mjs [FOLDER]        (default build/web; PORT=8080, HOST=127.0.0.1)
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import { resolve, extname, sep, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SECURITY_HEADERS, MIME_TYPES } from './security.mjs';

const MAX_URL = 2048;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function send(res, status, text, extra = {}) {
  const body = `${text}\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

// Maps a request path to a file under root, or null. Refuses anything that
// decodes to a path outside root, NUL bytes, backslashes and hidden files.
export async function resolveFile(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\') || !path.startsWith('/')) return null;
  const parts = path.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return null;
  let file = resolve(root, ...parts);
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    let st = await stat(file);
    if (st.isDirectory()) {
      file = join(file, 'index.html');
      st = await stat(file);
    }
    if (!st.isFile()) return null;
    // Symbolic links must not lead out of the folder either.
    const real = await realpath(file);
    if (!real.startsWith(root + sep)) return null;
    return { file: real, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

export async function createServer({ root, onRequest = () => {}, checkHost = true } = {}) {
  const base = await realpath(resolve(root));
  const server = http.createServer(async (req, res) => {
    onRequest(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
    if (req.url.length > MAX_URL) return send(res, 414, 'URI too long');
    // DNS-rebinding guard: answer only to the loopback names we listen on.
    if (checkHost) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK.has(host)) return send(res, 421, 'Misdirected request');
    }
    const urlPath = req.url.split('?')[0].split('#')[0];
    const found = await resolveFile(base, urlPath);
    if (!found) return send(res, 404, 'Not found');
    const etag = `"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
    const headers = {
      ...SECURITY_HEADERS,
      'Content-Type': MIME_TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    res.writeHead(200, { ...headers, 'Content-Length': found.size });
    if (req.method === 'HEAD') return res.end();
    // Large reads: the model goes out in a few event-loop turns rather than
    // dozens of 64 KiB ones (this server often shares its process with a
    // busy test driver, and the page waits for the model).
    const stream = createReadStream(found.file, { highWaterMark: 1 << 20 });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
  // Bounded: slow or idle clients are dropped, and there are only so many.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  server.maxConnections = 128;
  return server;
}

// Starts serving; resolves with {server, url, close()}. port 0 picks a free one.
export async function serve({ root = 'build/web', port = 8080, host = '127.0.0.1', onRequest } = {}) {
  const server = await createServer({ root, onRequest, checkHost: ['127.0.0.1', '::1', 'localhost'].includes(host) });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: actual } = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`;
  const close = () => new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections?.();
  });
  return { server, url, close };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = process.argv[2] ?? 'build/web';
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  try {
    await stat(join(root, 'index.html'));
  } catch {
    console.error(`cxr: ${root}/index.html not found — build the app first (make web).`);
    process.exit(1);
  }
  try {
    const { url, close } = await serve({ root, port, host });
    console.log(`cxr: serving ${root} at ${url}  (Ctrl+C to stop)`);
    console.log(`     kiosk: chromium --kiosk --app=${url}`);
    const stop = () => close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (err) {
    console.error(`cxr: cannot serve on ${host}:${port}: ${err.message}${err.code === 'EADDRINUSE' ? ' (set PORT to use another port)' : ''}`);
    process.exit(1);
  }
}
