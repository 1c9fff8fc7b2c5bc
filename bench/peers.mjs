// The peers of issue 6, one interface in Node and in the browser:
//   const net = await PEERS[name](libs);      // runtime + model -> ready
//   const logits = await net.run(inputHWC);   // Float32Array in, logits out
// `libs` says how each runtime and model file is obtained where this runs
// (node_libs.mjs, web/page.mjs): libs.cxr() -> our bench wasm module,
// libs.tfjs() -> tf with the wasm backend registered, libs.ort() ->
// onnxruntime-web, libs.model('cxrm' | 'onnx') -> the model file's bytes (the
// ONNX file converted beforehand by onnx.mjs, as a deployment would ship it).
// One thread everywhere.
import { readCxrm, readCxrmMetadata } from './cxrm.mjs';

export const PEERS = {
  async cxr(libs) {
    const [module, modelBytes] = await Promise.all([libs.cxr(), libs.model('cxrm')]);
    const net = new module.Net(modelBytes);
    if (net.error()) throw new Error(net.error());
    // preprocess: image bytes -> the input tensor, as the app computes it.
    return { run: (x) => net.run(x), preprocess: (bytes) => net.preprocess(bytes), dispose: () => net.delete() };
  },

  async tfjs(libs) {
    const [tf, modelBytes] = await Promise.all([libs.tfjs(), libs.model('cxrm')]);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // the single-thread SIMD build
    if (tf.getBackend() !== 'wasm') {
      await tf.setBackend('wasm');
      await tf.ready();
    }
    const { metadata, layers, logits } = readCxrm(modelBytes);
    const { height, width, channels } = metadata.input;
    // Depthwise: one group per channel, one filter per group (MobileNetV2's
    // 3x3 layers); TF.js runs it as depthwiseConv2d.
    const depthwise = (l) => l.type === 'conv2d' && (l.groups ?? 1) > 1 && l.groups === l.filters && l.weight.dims[3] === 1;
    // Weights in TF.js's layouts, once: conv OHWI -> HWIO, depthwise [C][h][w][1]
    // -> [h][w][C][1], dense [units][in] -> [in][units].
    const weights = new Map();
    for (const l of layers.filter((l) => l.weight)) {
      const w = tf.tensor(l.weight.data, l.weight.dims);
      const perm = depthwise(l) ? [1, 2, 0, 3] : l.type === 'conv2d' ? [1, 2, 3, 0] : [1, 0];
      weights.set(l.name, { w: tf.transpose(w, perm), b: tf.tensor1d(l.bias.data) });
      w.dispose();
    }
    const activation = (l) => l.activation ?? 'linear';
    const forward = (x) => {
      const values = new Map([['input', x]]);
      for (const l of layers) {
        const [a, b] = l.inputs.map((n) => values.get(n));
        const p = weights.get(l.name);
        let y;
        if (l.type === 'conv2d') {
          if ((l.groups ?? 1) !== 1 && !depthwise(l)) throw new Error(`tfjs peer: grouped conv ${l.name} not mapped`);
          // Explicit (possibly asymmetric) padding goes to the fused op itself,
          // which hands all four sides to XNNPACK: no separate pad copy.
          const [top, left, bottom, right] = l.padding;
          y = (depthwise(l) ? tf.fused.depthwiseConv2d : tf.fused.conv2d)({ x: a, filter: p.w, bias: p.b, strides: l.stride,
            activation: activation(l), pad: [[0, 0], [top, bottom], [left, right], [0, 0]] });
        } else if (l.type === 'add') {
          y = tf.add(a, b);
          if (l.activation === 'relu') y = tf.relu(y);
          if (l.activation === 'relu6') y = tf.relu6(y);
        } else if (l.type === 'global_avg_pool') {
          y = tf.mean(a, [1, 2], true);
        } else if (l.type === 'dense') {
          y = tf.fused.matMul({ a: tf.reshape(a, [1, -1]), b: p.w, bias: p.b, activation: activation(l) });
        } else if (l.type === 'softmax') {
          y = tf.softmax(tf.reshape(a, [1, -1]));
        } else {
          throw new Error(`tfjs peer: no mapping for layer type ${l.type}`);
        }
        values.set(l.name, y);
      }
      return values.get(logits);
    };
    return {
      run(input) {
        const out = tf.tidy(() => forward(tf.tensor4d(input, [1, height, width, channels])));
        const data = out.dataSync();
        out.dispose();
        return data;
      },
      dispose: () => { for (const { w, b } of weights.values()) { w.dispose(); b.dispose(); } },
    };
  },

  async ort(libs) {
    const [ort, onnx, cxrm] = await Promise.all([libs.ort(), libs.model('onnx'), libs.model('cxrm')]);
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const { input } = readCxrmMetadata(cxrm);  // the shapes the app knows anyway
    const dims = input.channels === 1 ? [1, 1, input.height, input.width] : [1, input.height, input.width, input.channels];
    const [inputName] = session.inputNames, [outputName] = session.outputNames;
    return {
      async run(x) {
        const out = await session.run({ [inputName]: new ort.Tensor('float32', x, dims) });
        return out[outputName].data;
      },
      dispose: () => session.release(),
    };
  },
};
