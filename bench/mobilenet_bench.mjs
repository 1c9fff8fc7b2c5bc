// Issue 13's side-by-side for MobileNetV2-0.35: the fixture `cxr-train
// pretrained-model` writes (the shared ImageNet weights, batch norm folded, a
// random 2-class head) at one input size, run by our wasm module, TF.js (wasm
// backend, XNNPACK) and ONNX Runtime Web in Chromium and in Node, and natively
// by our portable backend, our XNNPACK backend and LibTorch (cxr_bench ...
// peers). Every engine's logits are compared with ours on the same films;
// within each place the engines are interleaved in one run. Last line:
//   RESULT_MOBILENET size=S wasm_vs_tfjs=R1 wasm_vs_ort=R2 native_vs_xnnpack=R3 native_vs_libtorch=R4
// R = our median inference time / theirs (wasm ratios from Chromium; the Node
// ones on the line before). Numbers only, no pass/fail.
//   CXR_MODEL=build/bench/mobilenet224.cxrm CXR_ONNX=build/bench/mobilenet224.onnx \
//   CXR_NATIVE_BENCH=build/native/bench/cxr_bench node bench/mobilenet_bench.mjs [RUNS]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { MODEL, ONNX } from './node_libs.mjs';
import { table, pct } from './compare.mjs';
import { readCxrmMetadata } from './cxrm.mjs';
import { cxrmToOnnx } from './onnx.mjs';
import { fullResolutionFilms, nodeSideBySide } from './node_side.mjs';
import { runInChromium } from './web_peers.mjs';

const RUNS = Number(process.argv[2] ?? 50);
const NAMES = ['cxr', 'tfjs', 'ort'];
const NATIVE_BENCH = process.env.CXR_NATIVE_BENCH ?? 'build/native/bench/cxr_bench';
const films = fullResolutionFilms(process.env.CXR_DATA_DIR ?? '../shared/data');
if (!films.length || !existsSync(MODEL)) {
  console.log(`mobilenet bench: needs the full-resolution films and ${MODEL}; nothing to measure`);
  process.exit(0);
}
const meta = readCxrmMetadata(readFileSync(MODEL));
const size = meta.input.height;
mkdirSync(dirname(ONNX), { recursive: true });
writeFileSync(ONNX, cxrmToOnnx(readFileSync(MODEL)));
console.log(`\ncxr MobileNetV2 bench: ${meta.name} (${meta.input.height}x${meta.input.width}x${meta.input.channels}), `
  + `${RUNS} interleaved runs after 5 warm-up; 1 thread, wasm SIMD; the machine may be shared (ratios, not absolute times)`);

// Native: its own process, engines interleaved there.
const nativeOut = execFileSync(NATIVE_BENCH, [String(RUNS), MODEL, 'peers'], { encoding: 'utf8' });
console.log(nativeOut.trimEnd());
const nativeRatio = (peer) => nativeOut.match(new RegExp(`cxr_portable_vs_${peer}=([0-9.]+)`))?.[1] ?? 'n/a';

const node = { cold: {}, ...await nodeSideBySide(NAMES, films.map((f) => new Uint8Array(readFileSync(f))), RUNS, meta.temperature) };
console.log(table(`\nNode ${process.version} (ms)`, node));
const web = await runInChromium({ names: NAMES, films, runs: RUNS, coldRepeats: 0, endToEnd: false,
  inputSize: meta.input.height * meta.input.width * meta.input.channels, temperature: meta.temperature });
console.log(table('\nChromium headless (ms)', web));

const ratio = ({ ms }, n) => (pct(ms.cxr, 0.5) / pct(ms[n], 0.5)).toFixed(2);
console.log(`(Node: size=${size} wasm_vs_tfjs=${ratio(node, 'tfjs')} wasm_vs_ort=${ratio(node, 'ort')})`);
console.log(`RESULT_MOBILENET size=${size} wasm_vs_tfjs=${ratio(web, 'tfjs')} wasm_vs_ort=${ratio(web, 'ort')} `
  + `native_vs_xnnpack=${nativeRatio('xnnpack')} native_vs_libtorch=${nativeRatio('libtorch')}`);
