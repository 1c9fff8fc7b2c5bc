// What each peer ships to a browser (runtime JS + wasm + model file), as
// [source, path in the bench page's folder]; web_peers.mjs stages them there
// and peers_bench.mjs counts their bytes. Ours is the app's module, not the
// bench module (which only the benchmark uses).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { BENCH_WASM, MODEL, ONNX } from './node_libs.mjs';

export const APP_WASM = resolve(process.env.CXR_WASM ?? 'build/wasm/wasm/cxr.mjs');
const npm = (p) => resolve('bench/node_modules', p);
const TFJS = npm('@tensorflow/tfjs-backend-wasm/dist'), ORT = npm('onnxruntime-web/dist');

export const SHIPPED = {
  cxr: [[APP_WASM, 'app/cxr.mjs'], [APP_WASM.replace(/\.mjs$/, '.wasm'), 'app/cxr.wasm'], [MODEL, 'model.cxrm']],
  tfjs: [[npm('@tensorflow/tfjs-core/dist/tf-core.min.js'), 'tfjs/tf-core.min.js'], [join(TFJS, 'tf-backend-wasm.min.js'), 'tfjs/tf-backend-wasm.min.js'],
    [join(TFJS, 'tfjs-backend-wasm-simd.wasm'), 'tfjs/tfjs-backend-wasm-simd.wasm'], [resolve('bench/cxrm.mjs'), 'cxrm.mjs'], [MODEL, 'model.cxrm']],
  ort: [[join(ORT, 'ort.wasm.min.mjs'), 'ort/ort.wasm.min.mjs'], [join(ORT, 'ort-wasm-simd-threaded.mjs'), 'ort/ort-wasm-simd-threaded.mjs'],
    [join(ORT, 'ort-wasm-simd-threaded.wasm'), 'ort/ort-wasm-simd-threaded.wasm'], [ONNX, 'model.onnx']],
};
// The page itself and what only the benchmark loads.
export const BENCH_PAGE = [[resolve('bench/web/index.html'), 'index.html'], [resolve('bench/web/page.mjs'), 'page.mjs'],
  [resolve('bench/peers.mjs'), 'peers.mjs'], [resolve('bench/compare.mjs'), 'compare.mjs'],
  [BENCH_WASM, 'cxr/cxr_bench.mjs'], [BENCH_WASM.replace(/\.mjs$/, '.wasm'), 'cxr/cxr_bench.wasm']];

// {raw, gzip} bytes of files (gzip -9 each, as a server would send them).
export function bytes(paths) {
  let raw = 0, gzip = 0;
  for (const p of paths) {
    const b = readFileSync(p);
    raw += b.length;
    gzip += gzipSync(b, { level: 9 }).length;
  }
  return { raw, gzip };
}

// Every file of a built app folder (hidden ones aside): what a first visit
// downloads and the service worker keeps for offline use.
export function appFiles(dir) {
  return readdirSync(dir, { recursive: true }).map((f) => join(dir, f))
    .filter((p) => !p.split('/').some((part) => part.startsWith('.')) && statSync(p).isFile());
}
