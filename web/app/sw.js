// Service worker: keeps the app on this device so the page loads and
// classifies with the network cut. The build writes PRECACHE (the app shell,
// each file with its SHA-256) and CACHE below; each file is fetched with that
// hash as its Subresource Integrity, so a changed or corrupted file fails the
// install instead of being served offline. The wasm module and the model are
// not fetched here: the page puts the responses it loaded (with their
// integrity checked) into this same cache (js/boot.js), so the first visit
// neither waits for this install nor downloads them twice. Everything in
// CACHE is served cache-first.
/* global self, caches */
const PRECACHE = /*PRECACHE*/[];
const CACHE = /*CACHE*/'cxr-dev';
const SCOPE = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // All at once, not one after another: the page's ready waits for this.
    // The page has just loaded most of these files: the browser's HTTP cache
    // has them, and its copy is taken when it matches the build's hash (no
    // second download); any other file comes from the network.
    await Promise.all(PRECACHE.map(async ({ url, integrity }) => {
      const target = new URL(url, SCOPE);
      let response = await fetch(new Request(target, { cache: 'force-cache', integrity })).catch(() => null);
      if (!response?.ok) response = await fetch(new Request(target, { cache: 'no-cache', integrity }));
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      await cache.put(target, response);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Older versions only: this version's cache holds the page's entries too.
    for (const key of await caches.keys()) if (key.startsWith('cxr-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const path = url.pathname === SCOPE.pathname ? new URL('index.html', SCOPE) : new URL(url.pathname, SCOPE);
    const hit = await cache.match(path);
    if (hit) return hit;
    return fetch(request);
  })());
});
