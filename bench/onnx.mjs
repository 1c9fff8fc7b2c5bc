// Our model file's layers as an ONNX model (opset 13, NCHW), for the ONNX
// Runtime peers: a converter over a minimal protobuf writer, so that no
// Python or onnx package is needed. Field numbers from onnx/onnx.proto.
import { readCxrm } from './cxrm.mjs';

// Protobuf wire format: varints (0), length-delimited (2), fixed32 (5).
class Message {
  constructor() { this.parts = []; }
  varint(field, value) { return this.raw(field, 0, varint(BigInt(value))); }
  float(field, value) { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, value, true); return this.raw(field, 5, b); }
  bytes(field, value) { return this.raw(field, 2, [...varint(BigInt(value.length)), ...[]], value); }
  string(field, value) { return this.bytes(field, new TextEncoder().encode(value)); }
  message(field, m) { return this.bytes(field, m.encode()); }
  raw(field, wire, head, body) {
    this.parts.push(Uint8Array.from(varint(BigInt(field * 8 + wire))), Uint8Array.from(head));
    if (body) this.parts.push(body);
    return this;
  }
  encode() {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}
function varint(v) {
  const out = [];
  if (v < 0n) v += 1n << 64n;
  do { out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0)); v >>= 7n; } while (v > 0n);
  return out;
}

const FLOAT = 1;  // TensorProto.DataType
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 };

const tensor = (name, dims, data) => {
  const t = new Message();
  for (const d of dims) t.varint(1, d);
  return t.varint(2, FLOAT).string(8, name).bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
};
const attribute = (name, value) => {
  const a = new Message().string(1, name);
  if (Array.isArray(value)) { for (const v of value) a.varint(8, v); return a.varint(20, ATTR.INTS); }
  return Number.isInteger(value) ? a.varint(3, value).varint(20, ATTR.INT) : a.float(2, value).varint(20, ATTR.FLOAT);
};
const valueInfo = (name, dims) => {
  const shape = new Message();
  for (const d of dims) shape.message(1, new Message().varint(1, d));
  const type = new Message().message(1, new Message().varint(1, FLOAT).message(2, shape));
  return new Message().string(1, name).message(2, type);
};

// OHWI -> OIHW.
function ohwiToOihw({ dims: [o, h, w, i], data }) {
  const out = new Float32Array(data.length);
  for (let a = 0; a < o; a++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < i; c++)
    out[((a * i + c) * h + y) * w + x] = data[((a * h + y) * w + x) * i + c];
  return { dims: [o, i, h, w], data: out };
}

export function cxrmToOnnx(modelBytes) {
  const { metadata, layers, logits } = readCxrm(modelBytes);
  const { height, width, channels } = metadata.input;
  const graph = new Message().string(2, metadata.name);
  const node = (op, inputs, output, attrs = {}) => {
    const n = new Message();
    for (const i of inputs) n.string(1, i);
    n.string(2, output).string(3, output).string(4, op);
    for (const [k, v] of Object.entries(attrs)) n.message(5, attribute(k, v));
    graph.message(1, n);
    return output;
  };
  const init = (name, { dims, data }) => { graph.message(5, tensor(name, dims, data)); return name; };
  // The input is HWC as everywhere in cxr; with one channel that is also CHW.
  const input = channels === 1 ? 'input' : node('Transpose', ['input_nhwc'], 'input', { perm: [0, 3, 1, 2] });
  const activate = (l, x) => (l.activation === 'relu' ? node('Relu', [x], l.name)
    : l.activation === 'relu6' ? node('Clip', [x, init(`${l.name}.lo`, { dims: [], data: Float32Array.of(0) }),
      init(`${l.name}.hi`, { dims: [], data: Float32Array.of(6) })], l.name) : node('Identity', [x], l.name));
  for (const l of layers) {
    const [a, b] = l.inputs.map((n) => (n === 'input' ? input : n));
    const pre = `${l.name}.pre`;
    if (l.type === 'conv2d') {
      const w = ohwiToOihw(l.weight);
      activate(l, node('Conv', [a, init(`${l.name}.weight`, w), init(`${l.name}.bias`, l.bias)], pre, {
        kernel_shape: l.kernel, strides: l.stride, pads: l.padding, group: l.groups ?? 1 }));
    } else if (l.type === 'add') {
      activate(l, node('Add', [a, b], pre));
    } else if (l.type === 'global_avg_pool') {
      node('GlobalAveragePool', [a], l.name);
    } else if (l.type === 'dense') {
      // Flattened in HWC order, as the core does.
      const flat = node('Flatten', [node('Transpose', [a], `${l.name}.nhwc`, { perm: [0, 2, 3, 1] })], `${l.name}.flat`, { axis: 1 });
      activate(l, node('Gemm', [flat, init(`${l.name}.weight`, l.weight), init(`${l.name}.bias`, l.bias)], pre, { transB: 1 }));
    } else if (l.type === 'softmax') {
      node('Softmax', [a], l.name, { axis: 1 });
    } else {
      throw new Error(`onnx: no conversion for layer type ${l.type} (${l.name})`);
    }
  }
  graph.message(11, valueInfo(channels === 1 ? 'input' : 'input_nhwc',
    channels === 1 ? [1, channels, height, width] : [1, height, width, channels]));
  graph.message(12, valueInfo(logits, [1, metadata.classes.length]));
  return new Message().varint(1, 8).string(2, 'cxr bench/onnx.mjs').message(7, graph)
    .message(8, new Message().string(1, '').varint(2, 13)).encode();
}
