// Issue 6's side-by-side benchmark: the shipped model's weights run by our
// wasm module, TF.js (wasm backend, XNNPACK) and ONNX Runtime Web, in Node and
// in headless Chromium, one thread each. Prints a table per place (cold start,
// per-image latency median / p90 over interleaved runs, agreement with ours on
// the full-resolution films), the bytes each ships, and a last line
//   RESULT wasm_vs_tfjs=R1 wasm_vs_ort=R2 e2e_ms=T cold_ms=C bytes=B
// R = our median inference time / theirs in Chromium, same run; T = a
// full-resolution JPEG to result with the app's module in Chromium (median);
// C = the app module's cold start there (fetch, compile, load model, first
// film); B = every file of the built app, gzip. Numbers only, no pass/fail.
//   node bench/peers_bench.mjs [RUNS]   (make bench sets the paths)
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { MODEL, ONNX } from './node_libs.mjs';
import { table, pct } from './compare.mjs';
import { fullResolutionFilms, nodeSideBySide } from './node_side.mjs';
import { readCxrmMetadata } from './cxrm.mjs';
import { cxrmToOnnx } from './onnx.mjs';
import { SHIPPED, bytes, appFiles } from './files.mjs';
import { runInChromium } from './web_peers.mjs';

const RUNS = Number(process.argv[2] ?? 50);
const NAMES = ['cxr', 'tfjs', 'ort'];
const DATA = process.env.CXR_DATA_DIR ?? '../shared/data';
const WEB_DIR = process.env.CXR_WEB_DIR;
const samples = join(DATA, 'chest_xray_fullres_samples');
const films = fullResolutionFilms(DATA);
if (!films.length || !existsSync(MODEL)) {
  console.log(`peers bench: needs ${samples} and ${MODEL}; nothing to measure`);
  process.exit(0);
}
const meta = readCxrmMetadata(readFileSync(MODEL));
const inputSize = meta.input.height * meta.input.width * meta.input.channels;
mkdirSync(dirname(ONNX), { recursive: true });
writeFileSync(ONNX, cxrmToOnnx(readFileSync(MODEL)));
const versions = ['@tensorflow/tfjs-backend-wasm', 'onnxruntime-web']
  .map((p) => `${p} ${JSON.parse(readFileSync(`bench/node_modules/${p}/package.json`)).version}`).join(', ');
console.log(`cxr peers bench: ${meta.name} ${meta.version} (${meta.input.height}x${meta.input.width}x${meta.input.channels}), `
  + `${RUNS} interleaved runs after 5 warm-up on ${films[0].slice(samples.length + 1)}, agreement on ${films.length} films (Node) / 12 (Chromium); `
  + `1 thread, wasm SIMD; ${versions}`);

// Node: cold starts in fresh processes (interleaved, median of 3), then all
// peers in this one.
const colds = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < 3; i++)
  for (const n of NAMES) colds[n].push(Number(execFileSync(process.execPath, ['bench/cold.mjs', n], { encoding: 'utf8' })));
const node = {
  cold: Object.fromEntries(NAMES.map((n) => [n, pct(colds[n], 0.5)])),
  ...await nodeSideBySide(NAMES, films.map((f) => new Uint8Array(readFileSync(f))), RUNS, meta.temperature),
};
console.log(table(`\nNode ${process.version} (cold: fresh process, import + read model + compile + load + first logits; ms)`, node));

const web = await runInChromium({ names: NAMES, films, runs: RUNS, inputSize, temperature: meta.temperature });
console.log(table('\nChromium headless (cold: fresh context, fetch + compile + load + first logits; ms)', web));

const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
console.log('\nbytes shipped (runtime JS + wasm + model file; gzip -9 per file):');
for (const [n, files] of Object.entries(SHIPPED)) {
  const b = bytes(files.map(([from]) => from));
  console.log(`  ${n.padEnd(5)} ${kb(b.raw).padStart(9)} raw ${kb(b.gzip).padStart(9)} gzip   ${files.map(([, to]) => to).join(' ')}`);
}
const app = WEB_DIR && existsSync(WEB_DIR) ? bytes(appFiles(WEB_DIR)) : bytes(SHIPPED.cxr.map(([from]) => from));
console.log(`  the whole app${WEB_DIR ? ` (${WEB_DIR})` : ' (module + model only)'}: ${kb(app.raw)} raw, ${kb(app.gzip)} gzip`);
const e2e = pct(web.e2e, 0.5);
console.log(`\nChromium, app module: full-resolution JPEG -> result median ${e2e.toFixed(1)} ms (p90 ${pct(web.e2e, 0.9).toFixed(1)}) over ${web.e2e.length} classifications of 12 films; `
  + `cold start (fetch + compile + model + first film) ${web.cold.app.toFixed(0)} ms`);
const ratio = (n) => (pct(web.ms.cxr, 0.5) / pct(web.ms[n], 0.5)).toFixed(2);
const nodeRatio = (n) => (pct(node.ms.cxr, 0.5) / pct(node.ms[n], 0.5)).toFixed(2);
console.log(`(Node: wasm_vs_tfjs=${nodeRatio('tfjs')} wasm_vs_ort=${nodeRatio('ort')})`);
console.log(`RESULT wasm_vs_tfjs=${ratio('tfjs')} wasm_vs_ort=${ratio('ort')} e2e_ms=${e2e.toFixed(1)} cold_ms=${web.cold.app.toFixed(0)} bytes=${app.gzip}`);
