// web/serve.mjs: MIME types, security headers, GET/HEAD only, no way out of
// the served folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../../web/serve.mjs';
import { CSP, CSP_META } from '../../web/security.mjs';

let dir, server;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cxr-serve-'));
  const root = join(dir, 'site');
  mkdirSync(join(root, 'wasm'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(root, 'wasm', 'cxr.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(root, 'wasm', 'cxr.mjs'), 'export default 1;');
  writeFileSync(join(root, 'manifest.webmanifest'), '{}');
  writeFileSync(join(root, '.secret'), 'hidden');
  writeFileSync(join(dir, 'outside.txt'), 'outside');
  symlinkSync(join(dir, 'outside.txt'), join(root, 'link.txt'));
  server = await serve({ root, port: 0 });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Raw requests (fetch would normalise "..", which is the point of the test).
function request(method, path, headers = {}) {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves files with the right MIME types and the security headers', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const index = await request('GET', '/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['content-security-policy'], CSP);
  assert.match(CSP, /connect-src 'self'/);
  assert.match(CSP, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(CSP, /'unsafe-inline'|'unsafe-eval'|\*|https?:|data:/);
  assert.ok(!CSP_META.includes('frame-ancestors'));
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal(index.headers['referrer-policy'], 'no-referrer');
  assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
  assert.match(index.headers['permissions-policy'], /camera=\(\).*microphone=\(\).*geolocation=\(\)/);
  assert.equal((await request('GET', '/wasm/cxr.wasm')).headers['content-type'], 'application/wasm');
  assert.equal((await request('GET', '/wasm/cxr.mjs')).headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await request('GET', '/manifest.webmanifest')).headers['content-type'], 'application/manifest+json; charset=utf-8');
  const head = await request('HEAD', '/index.html');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const again = await request('GET', '/index.html', { 'If-None-Match': index.headers.etag });
  assert.equal(again.status, 304);
});

test('only GET and HEAD', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await request(method, '/index.html');
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
});

test('never leaves the folder: traversal, encoded traversal, hidden files, symlinks out', async () => {
  for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/wasm/..%2f..%2foutside.txt', '/.secret', '/link.txt',
    '/%00index.html', '/..%5coutside.txt', '/%E0%A4%A', '/nope.html']) {
    const r = await request('GET', path);
    assert.equal(r.status, 404, path);
    assert.ok(!r.body.toString().includes('outside') && !r.body.toString().includes('hidden'), path);
  }
  assert.equal((await request('GET', `/${'a'.repeat(3000)}`)).status, 414);
});

test('answers only to loopback host names (DNS rebinding)', async () => {
  assert.equal((await request('GET', '/', { Host: 'evil.example:80' })).status, 421);
  assert.equal((await request('GET', '/', { Host: `localhost:${new URL(server.url).port}` })).status, 200);
});

test('the command line server prints its URL and serves until stopped', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['web/serve.mjs', join(dir, 'site')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-security-policy'), CSP);
  } finally {
    child.kill('SIGTERM');
  }
  const missing = spawn(process.execPath, ['web/serve.mjs', join(dir, 'nothing-here')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  missing.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((resolve) => missing.on('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /not found — build the app first/);
});
