// The first script the page runs: an async module with no imports, so it runs
// as soon as it arrives, while the rest of the page is still loading. It
// starts the classifier worker and hands it the wasm module and the model,
// which the page's <link rel=preload> hints have been downloading since the
// HTML arrived. app.js imports this same module instance.
//
// Offline: the service worker precaches only the small app shell. The wasm
// module and the model are stored here, from the very responses the page
// loaded, in the service worker's cache (CACHE: its name and the files' SRI
// hashes, written by the build), which then serves them. So they cross the
// network once, and the first visit waits for no service-worker install.
// Both the service worker's registration and these puts wait until the page
// calls storeOffline() (app.js: once the classifier is ready), so that they
// do not compete with starting it.
// The install never touches these two entries and activation deletes only
// other versions' caches, so the two cannot undo each other. (A page of an
// old version still loading while a new one activates may re-create its old
// cache; the next activation deletes it.)
/* global caches */
performance.mark('cxr-boot');
const CACHE = /*CACHE*/null;
const WASM = 'wasm/cxr.wasm', MODEL = 'model.cxrm';
const ROOT = new URL('../', import.meta.url);
const why = (err) => err?.message ?? String(err);

// This version's cache, or why there is none (no Cache Storage in a private
// window or an insecure context, storage refused...).
async function openCache() {
  if (!CACHE) return { why: 'this is not a built app' };
  try {
    if (!self.caches) throw new Error('this browser keeps no offline storage here');
    return { cache: await caches.open(CACHE.name) };
  } catch (err) {
    return { why: why(err) };
  }
}

// One file, checked against the build's hash: from the service worker's cache
// after the first visit, else from the network, and then stored. stored:
// resolves with null once the file is in the cache, or with why it is not.
async function load(path, what, storage) {
  const url = new URL(path, ROOT).href;
  // The same URL, mode and integrity as the page's preload hint, so this takes
  // that response, already on its way, rather than downloading it again.
  const response = await fetch(url, { integrity: CACHE?.integrity[path] ?? '', priority: 'high' }).catch((err) => {
    throw new Error(`the ${what} could not be loaded (${why(err)})`);
  });
  if (!response.ok) throw new Error(`the ${what} could not be loaded (HTTP ${response.status})`);
  const copy = response.clone();
  const stored = storage.then(async ({ cache, why: noCache }) => {
    // Nowhere to store it, or served from the cache (stored already).
    if (!cache || await cache.match(url)) {
      copy.body?.cancel();
      return cache ? null : noCache;
    }
    await cache.put(url, copy);
    return null;
  }).catch((err) => `the ${what} could not be stored on this device: ${why(err)}`);
  return { bytes: await response.arrayBuffer(), stored };
}

// Released by storeOffline(): until then nothing is stored.
let release;
const storing = new Promise((resolve) => { release = resolve; });

// A classifier worker and, as soon as they are loaded, its files.
function create() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'cxr-classifier' });
  const storage = storing.then(openCache);
  const files = Promise.all([load(WASM, 'classifier module', storage), load(MODEL, 'model file', storage)]);
  files.then(([wasm, model]) => {
    performance.mark('cxr-files');
    worker.postMessage({ type: 'files', wasm: wasm.bytes, model: model.bytes }, [wasm.bytes, model.bytes]);
  }, (err) => worker.postMessage({ type: 'files', error: why(err) }));
  const stored = files.then((both) => Promise.all(both.map((f) => f.stored)), (err) => [why(err)]);
  return { worker, stored: stored.then((whys) => whys.find((w) => w) ?? null) };
}

// Resolves with null once the service worker is active, or with why not.
async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return 'this browser has no service workers';
  try {
    const reg = await navigator.serviceWorker.register(new URL('sw.js', ROOT), { scope: ROOT.href });
    const worker = reg.installing ?? reg.waiting;
    const failed = worker ? new Promise((resolve) => worker.addEventListener('statechange', () => {
      if (worker.state === 'redundant') resolve('the offline copy of the app could not be stored');
    })) : new Promise(() => {});
    return await Promise.race([navigator.serviceWorker.ready.then(() => null), failed]);
  } catch (err) {
    return why(err);
  }
}

// If the worker cannot even be created, app.js's classifier client tries
// again through classifierWorker() and tells the user why.
let early = null;
try {
  early = create();
} catch {
  // see above
}

// Registers the service worker and stores the first worker's files; resolves
// with why offline use is not available, or null once it is (the service
// worker is active and the files are stored). Once is enough: later calls
// get the same answer.
const firstStored = early?.stored ?? Promise.resolve('the classifier could not start');
const offline = storing.then(() => Promise.all([registerServiceWorker(), firstStored])).then(([sw, files]) => sw ?? files);
export function storeOffline() {
  release();
  return offline;
}

// The early worker once, then a fresh one (with freshly loaded files, from the
// cache) for each restart.
export function classifierWorker() {
  const { worker } = early ?? create();
  early = null;
  return worker;
}
