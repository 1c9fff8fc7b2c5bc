// Where the wasm module's inference time goes, layer by layer (the portable
// backend's kernels in SIMD128, 1 thread, Node): the wasm twin of
// `cxr_bench profile MODEL`.
//   CXR_BENCH_WASM=build/wasm/bench/cxr_bench.mjs node bench/profile.mjs MODEL [RUNS]
import { readFileSync } from 'node:fs';
import { nodeLibs } from './node_libs.mjs';

const [model, runs = '20'] = process.argv.slice(2);
if (!model) throw new Error('usage: node bench/profile.mjs MODEL.cxrm [RUNS]');
const module = await nodeLibs.cxr();
const net = new module.Net(new Uint8Array(readFileSync(model)));
if (net.error()) throw new Error(net.error());
console.log(`wasm (Node ${process.version}), per layer, 1 thread:\n${net.profile(Number(runs))}`);
net.delete();
