// The bench page (web_peers.mjs drives it in headless Chromium, under the
// app's security headers): the peers of peers.mjs loaded the browser's way,
// and our app's own module for the end-to-end time.
import { PEERS } from './peers.mjs';
import { agreement, latency } from './compare.mjs';

const here = (path) => new URL(path, location.href).href;
const loadScript = (src) => new Promise((ok, fail) => {
  const s = Object.assign(document.createElement('script'), { src, onload: ok, onerror: () => fail(new Error(`cannot load ${src}`)) });
  document.head.append(s);
});
const fetchBytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());

const libs = {
  cxr: async () => (await import('./cxr/cxr_bench.mjs')).default(),
  async tfjs() {
    await loadScript('tfjs/tf-core.min.js');
    await loadScript('tfjs/tf-backend-wasm.min.js');
    window.tf.wasm.setWasmPaths(here('tfjs/'));
    return window.tf;
  },
  async ort() {
    const ort = await import('./ort/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = here('ort/');
    return ort;
  },
  model: (kind) => fetchBytes(`model.${kind}`),
};

window.bench = {
  // Fetch + compile + load model + first logits, in a fresh browser context.
  async cold(name, inputSize) {
    const t0 = performance.now();
    const net = await PEERS[name](libs);
    await net.run(new Float32Array(inputSize));
    return performance.now() - t0;
  },
  // Our app's module: fetch + compile + load model + first classified film.
  async coldApp(film) {
    const t0 = performance.now();
    const [{ default: create }, model, image] = await Promise.all([import('./app/cxr.mjs'), fetchBytes('model.cxrm'), fetchBytes(film)]);
    const c = new (await create()).Classifier(model);
    const r = c.classify(image, {});
    if (!r.ok) throw new Error(r.error);
    return performance.now() - t0;
  },
  async sideBySide(names, films, runs, temperature) {
    const nets = {};
    for (const n of names) nets[n] = await PEERS[n](libs);
    const inputs = [];
    for (const f of films) inputs.push(nets.cxr.preprocess(await fetchBytes(f)));
    return { agree: await agreement(nets, inputs, temperature), ms: await latency(nets, inputs[0], runs) };
  },
  // Full-resolution JPEG bytes -> result (decode, preprocess, inference) with
  // the app's module, films in turn; wall times in ms.
  async endToEnd(films, runs) {
    const { default: create } = await import('./app/cxr.mjs');
    const c = new (await create()).Classifier(await fetchBytes('model.cxrm'));
    const images = await Promise.all(films.map(fetchBytes));
    const ms = [];
    for (let i = -2; i < runs; i++) {
      const t0 = performance.now();
      const r = c.classify(images[(i + images.length) % images.length], {});
      if (!r.ok) throw new Error(r.error);
      if (i >= 0) ms.push(performance.now() - t0);
    }
    return ms;
  },
};
document.body.dataset.ready = 'true';
