// The classifier worker: owns the WebAssembly module and the model, so
// decoding and inference never block the page. Messages:
//   {type:'init', modelUrl}            -> {type:'ready', info, loadMs, heapBytes} | {type:'init-error', error}
//   {type:'classify', id, bytes}       -> {type:'result', id, result, heapBytes}
// (The page hashes the file itself, in parallel with this work: the SHA-256
// is not on the way to the decision.)
// A wasm abort leaves the module unusable: it is reported as {type:'fatal'}
// and the page replaces this worker.
import createCxrModule from '../wasm/cxr.mjs';
import { quantize } from './lib/heatmap.js';

let cxr = null;
let classifier = null;
let dead = false;

function fatal(error) {
  if (dead) return;
  dead = true;
  self.postMessage({ type: 'fatal', error: String(error) });
}

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the ${what} could not be loaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function init(modelUrl) {
  const t0 = performance.now();
  const wasmUrl = new URL('../wasm/cxr.wasm', import.meta.url).href;
  try {
    const [module, modelBytes] = await Promise.all([
      createCxrModule({ locateFile: () => wasmUrl, onAbort: (what) => fatal(`the classifier stopped: ${what}`), print: () => {}, printErr: () => {} }),
      fetchBytes(new URL(modelUrl, self.location.href).href, 'model file'),
    ]);
    cxr = module;
    const c = new cxr.Classifier(modelBytes);
    const error = c.error();
    if (error) {
      c.delete();
      self.postMessage({ type: 'init-error', error: `The model file could not be loaded: ${error}` });
      return;
    }
    classifier = c;
    self.postMessage({ type: 'ready', info: c.info(), loadMs: performance.now() - t0, heapBytes: cxr.heapBytesInUse() });
  } catch (err) {
    self.postMessage({ type: 'init-error', error: `The classifier could not start: ${err?.message ?? err}` });
  }
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
