// A small reader of our model file (CXRM v1 and v2, core/model/model_file.h)
// for the JS peers: metadata, layers and tensors (f32, f16 and the symmetric
// triangles, widened to full f32 tensors as the core does). The bench trusts
// its own model file: no checksum or bounds checking here (the core does that).
function header(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const version = view.getUint32(4, true);
  if (new TextDecoder().decode(u8.subarray(0, 4)) !== 'CXRM' || (version !== 1 && version !== 2))
    throw new Error('not a CXRM v1/v2 model file');
  const metaLength = view.getUint32(8, true), count = view.getUint32(12, true);
  const metadata = JSON.parse(new TextDecoder().decode(u8.subarray(16, 16 + metaLength)));
  return { u8, view, version, metaLength, count, metadata };
}

// IEEE binary16 -> number (exact).
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export const readCxrmMetadata = (bytes) => header(bytes).metadata;

// dtype: 1 f32, 2 f16, 3 f32 upper triangle, 4 f16 upper triangle after an f32
// scale. Version 2 stores the elements byte-planar, most significant bytes first.
function readTensor(u8, view, version, dtype, dims, offset) {
  const half = dtype === 2 || dtype === 4, triangle = dtype >= 3, size = half ? 2 : 4;
  const scale = dtype === 4 ? view.getFloat32(offset, true) : 1;
  const start = offset + (dtype === 4 ? 4 : 0);
  const n = dims[0], stored = triangle ? n * (n + 1) / 2 : dims.reduce((a, b) => a * b, 1);
  const word = new DataView(new ArrayBuffer(4));
  const value = (k) => {
    for (let b = 0; b < size; b++)
      word.setUint8(b, u8[start + (version === 2 ? (size - 1 - b) * stored + k : k * size + b)]);
    return scale * (half ? halfToFloat(word.getUint16(0, true)) : word.getFloat32(0, true));
  };
  if (!triangle) return Float32Array.from({ length: stored }, (_, k) => value(k));
  const data = new Float32Array(n * n);
  for (let row = 0, k = 0; row < n; row++)
    for (let col = row; col < n; col++, k++) data[row * n + col] = data[col * n + row] = value(k);
  return data;
}

export function readCxrm(bytes) {
  const { u8, view, version, metaLength, count, metadata } = header(bytes);
  const tensors = new Map();
  let pos = 16 + metaLength;
  const u32 = () => { pos += 4; return view.getUint32(pos - 4, true); };
  for (let i = 0; i < count; i++) {
    const nameLength = u32();
    const name = new TextDecoder().decode(u8.subarray(pos, pos + nameLength));
    pos += nameLength;
    const dtype = u32();
    const dims = Array.from({ length: u32() }, u32);
    const offset = Number(view.getBigUint64(pos, true));
    pos += 16;
    tensors.set(name, { dims, data: readTensor(u8, view, version, dtype, dims, offset) });
  }
  // Each layer with its resolved input names ("input" is the network input)
  // and its weight and bias tensors, if any.
  let previous = 'input';
  const layers = metadata.layers.map((l) => {
    const layer = { ...l, inputs: l.inputs?.length ? l.inputs : [previous],
      weight: tensors.get(`${l.name}.weight`), bias: tensors.get(`${l.name}.bias`) };
    previous = l.name;
    return layer;
  });
  // The logits: the input of a final softmax, else the last layer's output.
  const last = layers[layers.length - 1];
  const logits = last.type === 'softmax' ? last.inputs[0] : last.name;
  return { metadata, layers, logits };
}
