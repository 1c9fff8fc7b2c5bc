// The first visit, each in a fresh browser profile: the classifier starts
// without waiting for the service worker, yet the wasm module and the model
// cross the network once and are kept for offline use (once the classifier
// is ready, the page stores the responses it loaded, from the HTML's preload
// hints, in the service worker's cache); with no room
// to store them, the app still works online and says offline use is not
// available.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../web/serve.mjs';
import { WEB_DIR, browserSkipReason, grayPng, launchBrowser } from './helpers.mjs';

const skip = browserSkipReason();
const T = { timeout: 120_000 };
const LARGE = ['/wasm/cxr.wasm', '/model.cxrm'];
let manifest;
const opened = [];

before(async () => {
  if (skip) return;
  manifest = JSON.parse(readFileSync(join(WEB_DIR, 'precache-manifest.json'), 'utf8'));
});

after(async () => {
  for (const close of opened.reverse()) await close();
});

// A server that logs what reaches it, and a browser with a new profile.
async function fresh() {
  const log = [];
  const server = await serve({ root: WEB_DIR, port: 0, onRequest: (req) => log.push(req.url) });
  const { context, page, close: closeBrowser } = await launchBrowser({ profile: 'cxr-first-', serviceWorkers: 'allow' });
  const state = { open: true };
  const close = async () => {
    if (!state.open) return;
    state.open = false;
    await closeBrowser();
    await server.close().catch(() => {});
  };
  opened.push(close);
  return { server, context, page, log, close };
}

async function classifyOne(page, name) {
  await page.setInputFiles('#file-input', { name, mimeType: 'image/png', buffer: grayPng(300, 300, 5) });
  await page.waitForFunction(() => document.body.dataset.busy === 'false'
    && document.querySelector('#results-body tr[data-status=done]'), null, { timeout: 60_000 });
}

const fetches = (log, path) => log.filter((u) => u === path).length;

test('first visit: the wasm and the model are downloaded once, stored, and the app then works offline', { skip, ...T }, async () => {
  const { server, context, page, log, close } = await fresh();
  await page.goto(server.url);
  await page.waitForSelector('body[data-state=ready][data-offline=ready]', { timeout: 90_000 });
  assert.match(await page.textContent('#offline-status'), /Works offline/);
  for (const path of LARGE) assert.equal(fetches(log, path), 1, `${path} crossed the network once`);
  // The classifier worker's copies are in this version's cache, beside the shell.
  const stored = await page.evaluate(async ([name, paths]) => {
    const cache = await caches.open(name);
    return Promise.all(paths.map(async (p) => (await cache.match(new URL(p.slice(1), location.href)))?.status ?? null));
  }, [manifest.cache, LARGE]);
  assert.deepEqual(stored, [200, 200]);
  assert.deepEqual(await page.evaluate(() => caches.keys()), [manifest.cache], 'one cache, this version\'s');

  await context.setOffline(true);
  await server.close();
  const before = log.length;
  await page.reload();
  await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
  await classifyOne(page, 'offline-first.png');
  assert.equal(log.length, before, 'nothing reached the server offline');
  for (const path of LARGE) assert.equal(fetches(log, path), 1, `${path} still downloaded once`);
  await close();
});

// Too little room for anything, or room for the app shell and the wasm
// module but not for the model: the classifier worker's store fails.
for (const room of ['none', 'the app shell']) {
  test(`no room to store the files (${room}): the app works online and says offline use is not available`, { skip, ...T }, async () => {
    const { server, context, page, close } = await fresh();
    const bytes = (lazy) => manifest.files.filter((f) => f.lazy === lazy).reduce((a, f) => a + f.bytes, 0);
    const quota = room === 'none' ? 64 * 1024 : bytes(false) + 2 ** 20 + manifest.files.find((f) => f.url === 'wasm/cxr.wasm').bytes;
    assert.ok(quota < bytes(true), 'the model does not fit');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(server.url).origin, quotaSize: quota });
    await page.goto(server.url);
    // The offline copy is stored after ready, so its verdict comes later.
    await page.waitForSelector('body[data-state=ready]:not([data-offline=pending])', { timeout: 90_000 });
    assert.equal(await page.getAttribute('body', 'data-offline'), 'unavailable');
    const line = await page.textContent('#offline-status');
    assert.match(line, room === 'none' ? /Offline use is not available here \(.+\); the app works while this server can be reached/
      : /Offline use is not available here \(the model file could not be stored on this device: .+\)/);
    await classifyOne(page, 'online.png');
    await close();
  });
}
