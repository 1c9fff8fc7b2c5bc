// The classifier worker: owns the WebAssembly module and the model, so
// decoding and inference never block the page. Messages:
//   {type:'init', modelUrl}            -> {type:'ready', info, loadMs, heapBytes, offline} | {type:'init-error', error}
//   {type:'classify', id, bytes}       -> {type:'result', id, result, heapBytes}
// (The page hashes the file itself, in parallel with this work: the SHA-256
// is not on the way to the decision.)
// A wasm abort leaves the module unusable: it is reported as {type:'fatal'}
// and the page replaces this worker.
import { quantize } from './lib/heatmap.js';

// Written by the build: the service worker's cache for this version and the
// SRI hashes of the files this worker stores there itself (the wasm module and
// the model), so that the first visit downloads them once and need not wait
// for the service worker. null when run unbuilt: nothing is stored.
const CACHE = /*CACHE*/null;
const ROOT = new URL('../', import.meta.url);
const INTEGRITY = new Map(Object.entries(CACHE?.integrity ?? {}).map(([path, hash]) => [new URL(path, ROOT).href, hash]));

let cxr = null;
let classifier = null;
let dead = false;

function fatal(error) {
  if (dead) return;
  dead = true;
  self.postMessage({ type: 'fatal', error: String(error) });
}

const why = (err) => err?.message ?? String(err);

// This version's cache, or why there is none (no Cache Storage in a private
// window or an insecure context, storage refused...).
async function openCache() {
  if (!CACHE) return { why: 'this is not a built app' };
  try {
    if (!self.caches) throw new Error('this browser keeps no offline storage here');
    return { cache: await self.caches.open(CACHE.name) };
  } catch (err) {
    return { why: why(err) };
  }
}

// The file's bytes, checked against the build's hash. After the first visit
// the service worker answers from the cache; otherwise the network does and
// a copy is stored in the cache. stored: resolves with null once the file is
// in the cache, or with why it is not.
async function load(url, what, storage) {
  const response = await fetch(url, { integrity: INTEGRITY.get(url) ?? '' }).catch((err) => {
    throw new Error(`the ${what} could not be loaded (${why(err)})`);
  });
  if (!response.ok) throw new Error(`the ${what} could not be loaded (HTTP ${response.status})`);
  const copy = response.clone();
  const stored = storage.then(async ({ cache, why: noCache }) => {
    if (!cache) return noCache;
    if (await cache.match(url)) {
      copy.body?.cancel(); // served from the cache: stored already
      return null;
    }
    await cache.put(url, copy);
    return null;
  }).catch((err) => `the ${what} could not be stored on this device: ${why(err)}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), stored };
}

// Loads the wasm module and the model; resolves with the 'ready' or
// 'init-error' message for the page.
async function start(modelUrl) {
  const t0 = performance.now();
  try {
    // All at once: the files, the cache they go to and the module's glue.
    const storage = openCache();
    const [wasm, model, { default: createCxrModule }] = await Promise.all([
      load(new URL('../wasm/cxr.wasm', import.meta.url).href, 'classifier module', storage),
      load(new URL(modelUrl, self.location.href).href, 'model file', storage),
      import('../wasm/cxr.mjs'),
    ]);
    cxr = await createCxrModule({ wasmBinary: wasm.bytes, onAbort: (what) => fatal(`the classifier stopped: ${what}`), print: () => {}, printErr: () => {} });
    const c = new cxr.Classifier(model.bytes);
    const error = c.error();
    if (error) {
      c.delete();
      return { type: 'init-error', error: `The model file could not be loaded: ${error}` };
    }
    classifier = c;
    // Why offline use is not available (null: both files are stored).
    const offline = (await Promise.all([wasm.stored, model.stored])).find((w) => w) ?? null;
    return { type: 'ready', info: c.info(), loadMs: performance.now() - t0, heapBytes: cxr.heapBytesInUse(), offline };
  } catch (err) {
    return { type: 'init-error', error: `The classifier could not start: ${why(err)}` };
  }
}

// The page creates this worker before its own scripts have loaded (see
// boot.js), so the app's own model starts loading now, not on 'init'.
const APP_MODEL = new URL('../model.cxrm', import.meta.url).href;
const starting = start(APP_MODEL);

async function init(modelUrl) {
  const url = new URL(modelUrl, self.location.href).href;
  self.postMessage(await (url === APP_MODEL ? starting : start(url)));
}

function classify(id, buffer) {
  const bytes = new Uint8Array(buffer);
  let result;
  try {
    result = classifier.classify(bytes, { heatmap: true });
  } catch (err) {
    // The glue never throws on bad input; an exception here means the module
    // itself broke (e.g. a wasm trap): this worker must be replaced.
    fatal(`the classifier stopped: ${err?.message ?? err}`);
    return;
  }
  const transfer = [];
  if (result.ok && result.heatmap) {
    result.heatmap = quantize(result.heatmap);
    transfer.push(result.heatmap.buffer);
  }
  self.postMessage({ type: 'result', id, result, heapBytes: cxr.heapBytesInUse() }, transfer);
}

self.addEventListener('message', (event) => {
  const m = event.data ?? {};
  if (dead) return;
  if (m.type === 'init') init(m.modelUrl);
  else if (m.type === 'classify') {
    try {
      classify(m.id, m.bytes);
    } catch (err) {
      fatal(err?.message ?? err);
    }
  }
});
