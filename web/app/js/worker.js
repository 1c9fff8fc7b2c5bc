// The classifier worker: owns the WebAssembly module and the model, so
// decoding and inference never block the page. Messages:
//   {type:'files', wasm, model} | {type:'files', error}   (from the page, which loads them: see boot.js)
//   {type:'init'}                      -> {type:'ready', info, loadMs, heapBytes} | {type:'init-error', error}
//   {type:'classify', id, bytes, site} -> {type:'result', id, result, heapBytes}
//     site: a site calibration's JSON to classify under ('' the model default)
//   {type:'classify', id, request}     -> {type:'result', id, result}: a calibration request
//     (lib/site-calibration.js) answered by the core instead of a classification
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

// Starts the classifier from the files the page sent; resolves with the
// 'ready' or 'init-error' message for the page.
async function start(files) {
  const t0 = performance.now();
  if (files.error) return { type: 'init-error', error: `The classifier could not start: ${files.error}` };
  try {
    cxr = await createCxrModule({ wasmBinary: new Uint8Array(files.wasm), onAbort: (what) => fatal(`the classifier stopped: ${what}`), print: () => {}, printErr: () => {} });
    const c = new cxr.Classifier(new Uint8Array(files.model));
    const error = c.error();
    if (error) {
      c.delete();
      return { type: 'init-error', error: `The model file could not be loaded: ${error}` };
    }
    classifier = c;
    return { type: 'ready', info: c.info(), loadMs: performance.now() - t0, heapBytes: cxr.heapBytesInUse() };
  } catch (err) {
    return { type: 'init-error', error: `The classifier could not start: ${err?.message ?? err}` };
  }
}

// The files may come before or after 'init': start as soon as they are here.
let filesArrived;
const starting = new Promise((resolve) => { filesArrived = resolve; }).then(start);

// The site calibration the classifier has now; a message names the one it wants.
let activeSite = '';
function useSite(site) {
  if (site === undefined || site === activeSite) return null;
  const answer = classifier.setSiteCalibration(site);
  if (!answer.ok) return answer;
  activeSite = site;
  return null;
}

// Calibration requests: the maths is the core's (cxr/calibration.h).
function answer(request) {
  if (request.type === 'calibrate') {
    const refused = useSite(request.site ?? '');
    return refused ?? classifier.calibrate(request.films, request.options);
  }
  if (request.type === 'check-site') {  // validate a record without keeping it
    const checked = classifier.setSiteCalibration(request.json);
    classifier.setSiteCalibration(activeSite);
    return checked;
  }
  return { ok: false, error: `unknown request ${request.type}` };
}

function classify(id, buffer, site, request) {
  if (request) {
    self.postMessage({ type: 'result', id, result: answer(request), heapBytes: cxr.heapBytesInUse() });
    return;
  }
  const refused = useSite(site);
  if (refused) {
    const error = `The site calibration in use was refused: ${refused.error}`;
    self.postMessage({ type: 'result', id, result: { ok: false, error }, heapBytes: cxr.heapBytesInUse() });
    return;
  }
  const bytes = new Uint8Array(buffer);
  let result;
  try {
    // Everything the model says, whatever the user's OOD policy: the page
    // applies it (result.verdicts) and can change it without reclassifying.
    result = classifier.classify(bytes, { heatmap: true, ood: 'warn' });
  } catch (err) {
    // The glue never throws on bad input; an exception here means the module
    // itself broke (e.g. a wasm trap): this worker must be replaced.
    fatal(`the classifier stopped: ${err?.message ?? err}`);
    return;
  }
  const transfer = [];
  if (result.ok && result.heatmap) {
    result.heatmap.values = quantize(result.heatmap.values);
    transfer.push(result.heatmap.values.buffer);
  }
  self.postMessage({ type: 'result', id, result, heapBytes: cxr.heapBytesInUse() }, transfer);
}

self.addEventListener('message', (event) => {
  const m = event.data ?? {};
  if (dead) return;
  if (m.type === 'files') filesArrived(m);
  else if (m.type === 'init') starting.then((answer) => self.postMessage(answer));
  else if (m.type === 'classify') {
    try {
      classify(m.id, m.bytes, m.site, m.request);
    } catch (err) {
      fatal(err?.message ?? err);
    }
  }
});
