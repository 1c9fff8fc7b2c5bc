// How the peers get their runtimes and model files in Node (see peers.mjs).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

export const BENCH_WASM = resolve(process.env.CXR_BENCH_WASM ?? 'build/wasm/bench/cxr_bench.mjs');
export const MODEL = resolve(process.env.CXR_MODEL ?? 'models/pneumonia.cxrm');
export const ONNX = resolve(process.env.CXR_ONNX ?? 'build/bench/model.onnx');

export const nodeLibs = {
  async cxr() {
    const { default: create } = await import(pathToFileURL(BENCH_WASM).href);
    return create({ wasmBinary: readFileSync(BENCH_WASM.replace(/\.mjs$/, '.wasm')) });
  },
  async tfjs() {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    return tf;
  },
  ort: () => import('onnxruntime-web'),
  async model(kind) { return new Uint8Array(readFileSync(kind === 'onnx' ? ONNX : MODEL)); },
};
