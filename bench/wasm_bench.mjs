// The wasm module's per-image latency in Node for the reference architectures
// (random weights, models written by `make fixtures`), same image and phases
// as the native bench. Numbers only.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pct } from './compare.mjs';

const wasmPath = process.env.CXR_WASM ?? 'build/wasm/wasm/cxr.mjs';
const fixtures = process.env.CXR_FIXTURES ?? 'build/fixtures';
const data = process.env.CXR_DATA_DIR ?? '../shared/data';
const runs = Number(process.argv[2] ?? 50);

const t0 = performance.now();
const { default: createCxrModule } = await import(new URL(wasmPath, `file://${process.cwd()}/`).href);
const cxr = await createCxrModule({ wasmBinary: readFileSync(wasmPath.replace(/\.mjs$/, '.wasm')) });
const startupMs = performance.now() - t0;

const samples = join(data, 'chest_xray_fullres_samples');
let image, label;
if (existsSync(samples)) {
  const first = readdirSync(samples, { recursive: true }).filter((f) => f.endsWith('.jpeg')).sort()[0];
  image = new Uint8Array(readFileSync(join(samples, first)));
  label = `chest_xray_fullres_samples/${first}`;
} else {
  console.log(`wasm bench: ${samples} not found; nothing to measure`);
  process.exit(0);
}

const cell = (v) => `${pct(v, 0.5).toFixed(2).padStart(5)} / ${pct(v, 0.9).toFixed(2).padStart(5)}`;

console.log(`cxr wasm bench (Node ${process.version}, SIMD128, 1 thread): ${runs} runs after 3 warm-up, input ${label} (${image.length} bytes); module start ${startupMs.toFixed(1)} ms`);
console.log(`${'arch'.padEnd(10)} ${'backend'.padEnd(9)} ${'decode'.padStart(13)} ${'preprocess'.padStart(13)} ${'inference'.padStart(13)} ${'total'.padStart(13)}   (ms: median / p90)`);
for (const arch of ['study_cnn', 'resnet18']) {
  const loadStart = performance.now();
  const c = new cxr.Classifier(new Uint8Array(readFileSync(join(fixtures, `${arch}.cxrm`))));
  if (c.error()) throw new Error(c.error());
  const loadMs = performance.now() - loadStart;
  const t = { decode: [], preprocess: [], inference: [], total: [] };
  for (let i = -3; i < runs; i++) {
    const r = c.classify(image, {});
    if (!r.ok) throw new Error(r.error);
    if (i >= 0) for (const k of Object.keys(t)) t[k].push(r.timings_ms[k]);
  }
  c.delete();
  console.log(`${arch.padEnd(10)} ${'wasm'.padEnd(9)} ${cell(t.decode)} ${cell(t.preprocess)} ${cell(t.inference)} ${cell(t.total)}   model load ${loadMs.toFixed(1)} ms`);
}
