// Golden check of the MobileNetV2-0.35 architecture itself: the core's pooled
// features against the ORIGINAL Keras topology (model.json, run by TF.js
// layers) on the same real film. The core's own parity tests compare our
// engines with each other, which would all agree on a wrong padding or layer
// order; TF.js builds the network from the checkpoint's own description.
//
// The core's side comes from build/native/trainer/cxr_pretrained_features
// (core decode + preprocessing + the reference backend); TF.js gets the very
// same input tensor as RGB with R = G = B (the core sums Conv1's RGB kernel
// over its inputs, which is the same function). TF.js comes from bench's
// node_modules (`npm ci --prefix bench`): the app and its tests never depend
// on it, so this file lives beside the other wasm tests but skips, with a
// message, when those packages, the native helper, the pretrained folder or
// the data are absent.
//
// Tolerance, derived: both sides compute in float32 (the helper's reference
// backend accumulates in double but rounds every layer's output to float).
// First-order error at unit gain, as tests/test_backends.cpp: each layer adds
// at most (K + 2) * FLT_EPSILON * scale, K its reduction size (kh*kw*in for a
// conv, 9 for a depthwise, 2 for an add, H*W for the pooling, +3 where TF.js
// applies an unfolded batch norm: subtract, multiply, add); summed over the
// layers, doubled for the two engines, at the scale max(1, max |feature|).
// A padding or layer-order error moves features by O(0.1); the negative
// control (the core with the stride-2 layers padded symmetrically) must land
// far outside the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const pretrained = process.env.CXR_PRETRAINED_DIR ?? resolve(root, '../shared/pretrained/mobilenet_v2_0.35_imagenet');
const data = process.env.CXR_DATA_DIR ?? resolve(root, '../shared/data');
const helper = process.env.CXR_PRETRAINED_FEATURES ?? join(root, 'build/native/trainer/cxr_pretrained_features');
const SIZE = 224;
const FLT_EPSILON = 2 ** -23;

function missing() {
  if (!existsSync(join(pretrained, 'model.json'))) return `pretrained weights not found at ${pretrained} (set CXR_PRETRAINED_DIR)`;
  if (!existsSync(join(data, 'chest_xray_224'))) return `${data}/chest_xray_224 not found (set CXR_DATA_DIR)`;
  if (!existsSync(helper)) return `${helper} not built (it needs the trainer: LibTorch; cmake --build build/native --target cxr_pretrained_features)`;
  if (!existsSync(join(root, 'bench/node_modules/@tensorflow/tfjs-layers'))) return 'TF.js not installed for the bench (npm ci --prefix bench)';
  return '';
}

// The Keras backbone and its global average pooling: the export's outer
// Sequential is [Sequential [MobileNetV2 functional model, GAP], dense head];
// keep the first and only the backbone's weights.
async function kerasBackbone() {
  const require = createRequire(join(root, 'bench/package.json'));
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-wasm');
  const tfl = require('@tensorflow/tfjs-layers');
  await tf.setBackend('wasm');
  const json = JSON.parse(readFileSync(join(pretrained, 'model.json'), 'utf8'));
  const outer = json.modelTopology.config;
  const [mobilenet, pooling] = outer.layers[0].config.layers;
  assert.equal(mobilenet.config.output_layers[0][0], 'out_relu');
  assert.equal(pooling.class_name, 'GlobalAveragePooling2D');
  const topology = { ...json.modelTopology, config: { ...outer, layers: outer.layers.slice(0, 1) } };
  // weights.bin holds the tensors in manifest order, trainable ones first:
  // the head's three sit in the middle (manifest entries 156-158), before the
  // batch norms' moving statistics, so its bytes are cut out by offset.
  const bin = readFileSync(join(pretrained, 'weights.bin'));
  const backbone = [], pieces = [];
  let offset = 0;
  for (const w of json.weightsManifest[0].weights) {
    const bytes = 4 * w.shape.reduce((a, b) => a * b, 1);
    if (!w.name.startsWith('dense_')) backbone.push(w), pieces.push(bin.subarray(offset, offset + bytes));
    offset += bytes;
  }
  assert.equal(offset, bin.length, 'the manifest describes every byte of weights.bin');
  assert.equal(backbone.length, 260, 'the README says 260 backbone tensors');
  const joined = Buffer.concat(pieces);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length);
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: backbone, weightData }));
  return { tf, model, backbone, layers: mobilenet.config.layers };
}

// Sum over the layers of (K + 2), TF.js's batch norms included (see the top).
function summedReductions(backbone, layers) {
  let terms = 0;
  for (const w of backbone) {
    const [kh, kw, inputs] = w.shape;
    if (w.name.endsWith('/depthwise_kernel')) terms += kh * kw + 2;
    else if (w.name.endsWith('/kernel')) terms += kh * kw * inputs + 2;
    else if (w.name.endsWith('/gamma')) terms += 3 + 2;
  }
  terms += layers.filter((l) => l.class_name === 'Add').length * (2 + 2);
  return terms + (SIZE / 32) ** 2 + 2;
}

function films() {
  const pick = (cls) => {
    const dir = join(data, 'chest_xray_224/val', cls);
    return join(dir, readdirSync(dir).filter((f) => f.endsWith('.jpeg')).sort()[0]);
  };
  return [pick('NORMAL'), pick('PNEUMONIA')];
}

const maxDifference = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('MobileNetV2-0.35: the core computes what the original Keras topology computes (TF.js)', async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const { tf, model, backbone, layers } = await kerasBackbone();
  const terms = summedReductions(backbone, layers);
  const dir = mkdtempSync(join(tmpdir(), 'cxr-golden-'));
  try {
    for (const film of films()) {
      const out = join(dir, 'features.f32');
      execFileSync(helper, [film, out, String(SIZE)], { env: { ...process.env, CXR_PRETRAINED_DIR: pretrained } });
      const bytes = readFileSync(out);
      const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      assert.equal(all.length, SIZE * SIZE + 2 * 1280, 'the helper writes input, features, control');
      const input = all.subarray(0, SIZE * SIZE);
      const core = all.subarray(SIZE * SIZE, SIZE * SIZE + 1280);
      const control = all.subarray(SIZE * SIZE + 1280);
      const rgb = new Float32Array(SIZE * SIZE * 3).map((_, i) => input[Math.floor(i / 3)]);
      const x = tf.tensor4d(rgb, [1, SIZE, SIZE, 3]);
      const y = model.predict(x);
      const keras = y.dataSync();
      tf.dispose([x, y]);
      assert.equal(keras.length, 1280);
      const scale = Math.max(1, ...keras.map(Math.abs));
      const tolerance = 2 * FLT_EPSILON * terms * scale;
      const error = maxDifference(core, keras), controlError = maxDifference(control, keras);
      t.diagnostic(`${film.slice(data.length + 1)}: max |core - keras| ${error.toExponential(3)} ` +
        `(tolerance ${tolerance.toExponential(3)}: 2 eps * ${terms} terms * ${scale.toFixed(2)}); ` +
        `symmetric stride-2 padding ${controlError.toExponential(3)}; mean feature ${(keras.reduce((a, b) => a + b) / 1280).toFixed(4)}`);
      assert.ok(error <= tolerance, `${film}: the core's pooled features differ from Keras' by ${error} > ${tolerance}`);
      assert.ok(controlError > 10 * tolerance, `the negative control (symmetric padding) is within ${controlError}: the check is blind`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
