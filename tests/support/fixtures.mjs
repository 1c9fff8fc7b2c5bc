// Byte-level builders for test files (PNG, JPEG headers, DICOM), shared by the
// wasm and browser tests. Written out by hand so the tests need no image
// library and can make exactly the broken files they want.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const be32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
export const le16 = (v) => [v & 255, (v >>> 8) & 255];
export const le32 = (v) => [...le16(v & 0xffff), ...le16(v >>> 16)];
export const ascii = (s) => [...Buffer.from(s, 'latin1')];

export function pngChunk(type, data) {
  const body = [...ascii(type), ...data];
  return [...be32(data.length), ...body, ...be32(crc32(body))];
}

// PNG signature + IHDR of an 8-bit image: colour type 0 gray, 2 RGB.
export const pngHeader = (width, height, colourType = 0) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
  ...pngChunk('IHDR', [...be32(width), ...be32(height), 8, colourType, 0, 0, 0])];

// zlib stream of stored (uncompressed) deflate blocks.
function storedZlib(raw) {
  const zlib = [0x78, 0x01];
  for (let i = 0; i < raw.length; i += 65535) {
    const block = raw.subarray(i, i + 65535);
    zlib.push(i + 65535 >= raw.length ? 1 : 0, block.length & 255, block.length >> 8,
      ~block.length & 255, (~block.length >> 8) & 255, ...block);
  }
  let a = 1, b = 0;
  for (const v of raw) { a = (a + v) % 65521; b = (b + a) % 65521; }
  zlib.push(...be32(((b << 16) | a) >>> 0));
  return zlib;
}

// Rows of 8-bit samples (filter byte 0 each; `channels` 1 gray or 3 RGB) as
// a complete PNG whose header may claim more rows than there are.
function pngFromRows(width, height, rows, pixel, channels = 1) {
  const stride = width * channels + 1;
  const raw = new Uint8Array(rows * stride);
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < width * channels; x++) raw[y * stride + 1 + x] = pixel(x, y);
  return new Uint8Array([...pngHeader(width, height, channels === 3 ? 2 : 0), ...pngChunk('IDAT', storedZlib(raw)),
    ...pngChunk('IEND', [])]);
}

// An 8-bit gray PNG; pixel(x, y) gives each sample (0..255).
export const grayPng = (width, height, pixel) => pngFromRows(width, height, height, (x, y) => pixel(x, y) & 255);

// An 8-bit RGB PNG; pixel(x, y, c) gives each sample (0..255), c = 0, 1, 2.
export const rgbPng = (width, height, pixel) =>
  pngFromRows(width, height, height, (i, y) => pixel(Math.floor(i / 3), y, i % 3) & 255, 3);

// Complete chunks, but pixel data for only `rows` of the `height` the header claims.
export const shortPng = ({ width, height, rows = 16 }) => pngFromRows(width, height, rows, () => 128);

// SOI + a baseline frame header claiming width x height, and nothing else.
export const jpegHeader = (width, height) => new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, height >> 8, height & 255,
  width >> 8, width & 255, 1, 1, 0x11, 0]);

// An implicit-VR little-endian MONOCHROME2 DX dataset (PA view) with a
// gradient film, bare or with the Part 10 preamble and meta group.
// `pixelBytes` shorter than rows x columns x frames makes a truncated one.
export function dicom({ rows = 96, columns = 80, frames = '1', bits = 8, part10 = false, seed = 1,
  pixelBytes = rows * columns * (bits / 8) } = {}) {
  const out = [];
  const element = (group, elem, value) => {
    if (value.length % 2) value.push(0x20);
    out.push(...le16(group), ...le16(elem), ...le32(value.length), ...value);
  };
  element(0x0008, 0x0060, ascii('DX'));
  element(0x0018, 0x5101, ascii('PA'));
  element(0x0028, 0x0002, le16(1));
  element(0x0028, 0x0004, ascii('MONOCHROME2'));
  element(0x0028, 0x0008, ascii(frames));
  element(0x0028, 0x0010, le16(rows));
  element(0x0028, 0x0011, le16(columns));
  element(0x0028, 0x0100, le16(bits));
  element(0x0028, 0x0101, le16(bits));
  element(0x0028, 0x0102, le16(bits - 1));
  element(0x0028, 0x0103, le16(0));
  const px = new Array(pixelBytes);
  for (let i = 0; i < pixelBytes; i++) px[i] = ((i % columns) * 3 + Math.floor(i / columns) * seed) & 255;
  element(0x7fe0, 0x0010, px);
  const body = Buffer.from(out);
  if (!part10) return body;
  const meta = [];
  const explicit = (elem, vr, value) => {
    if (value.length % 2) value.push(vr === 'UI' ? 0 : 0x20);
    meta.push(...le16(0x0002), ...le16(elem), ...ascii(vr), ...le16(value.length), ...value);
  };
  explicit(0x0010, 'UI', ascii('1.2.840.10008.1.2'));
  const group = [...le16(0x0002), ...le16(0x0000), ...ascii('UL'), ...le16(4), ...le32(meta.length)];
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(group), Buffer.from(meta), body]);
}
