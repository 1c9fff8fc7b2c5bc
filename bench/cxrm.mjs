// A small reader of our model file (CXRM v1, core/model/model_file.h) for the
// JS peers: metadata, layers and tensors (f32, or f16 widened to f32 as the
// core does). The bench trusts its own model file: no checksum or bounds
// checking here (the core does that).
function header(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (new TextDecoder().decode(u8.subarray(0, 4)) !== 'CXRM' || view.getUint32(4, true) !== 1)
    throw new Error('not a CXRM v1 model file');
  const metaLength = view.getUint32(8, true), count = view.getUint32(12, true);
  const metadata = JSON.parse(new TextDecoder().decode(u8.subarray(16, 16 + metaLength)));
  return { u8, view, metaLength, count, metadata };
}

// IEEE binary16 -> number (exact).
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export const readCxrmMetadata = (bytes) => header(bytes).metadata;

export function readCxrm(bytes) {
  const { u8, view, metaLength, count, metadata } = header(bytes);
  const tensors = new Map();
  let pos = 16 + metaLength;
  const u32 = () => { pos += 4; return view.getUint32(pos - 4, true); };
  for (let i = 0; i < count; i++) {
    const nameLength = u32();
    const name = new TextDecoder().decode(u8.subarray(pos, pos + nameLength));
    pos += nameLength;
    const dtype = u32();  // 1 = f32, 2 = f16
    const dims = Array.from({ length: u32() }, u32);
    const offset = Number(view.getBigUint64(pos, true)), length = Number(view.getBigUint64(pos + 8, true));
    pos += 16;
    let data;
    if (dtype === 2) {
      data = Float32Array.from({ length: length / 2 }, (_, k) => halfToFloat(view.getUint16(offset + 2 * k, true)));
    } else {
      // Copied out: the file's offsets are 64-byte aligned, but its bytes need not be.
      data = new Float32Array(length / 4);
      new Uint8Array(data.buffer).set(u8.subarray(offset, offset + length));
    }
    tensors.set(name, { dims, data });
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
