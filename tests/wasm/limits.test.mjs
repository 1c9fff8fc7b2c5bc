// Limits before allocation, in wasm (issue 5, item 6): the same hostile inputs
// as tests/test_limits.cpp, through the module's ES-module API as the browser
// worker calls it. Each is refused with its specific message, and the wasm
// memory (which never shrinks, so its size is the peak) stays bounded:
//  - header-only bombs, zero bytes, wrong-type files, bad model files: the
//    memory does not grow by more than 20 MB (any pixel buffer for these
//    claims is at least 32 MB, the 60000x60000 one 3.6 GB);
//  - PNG/JPEG within the limits (16384 x 2441 = 39.99 Mpx) but truncated: at
//    most +300 MB (a full decode of that size may reserve ~160 MB).
// Afterwards the heap in use returns to within 64 KB of where it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, ascii, pngHeader, shortPng, jpegHeader, dicom } from '../support/fixtures.mjs';

const wasmPath = process.env.CXR_WASM ?? 'build/wasm/wasm/cxr.mjs';
const fixtures = process.env.CXR_FIXTURES ?? 'build/fixtures';
const dataDir = process.env.CXR_DATA_DIR ?? '../shared/data';
const { default: createCxrModule } = await import(new URL(wasmPath, `file://${process.cwd()}/`).href);
const cxr = await createCxrModule({ wasmBinary: readFileSync(wasmPath.replace(/\.mjs$/, '.wasm')) });
const MB = 1024 * 1024;

// A real JPEG film whose frame header is rewritten to claim width x height.
function realJpegClaiming(width, height) {
  const dir = join(dataDir, 'chest_xray_224', 'val', 'NORMAL');
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort()[0];
  const jpeg = new Uint8Array(readFileSync(join(dir, name)));
  for (let i = 2; i + 8 < jpeg.length; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.set([height >> 8, height & 255, width >> 8, width & 255], i + 5);
      return jpeg;
    }
  }
  return null;
}

function measure(classifier, cases) {
  const base = cxr.HEAPU8.length;
  for (const [what, bytes, reason, boundMB] of cases) {
    const r = classifier.classify(bytes, {});
    assert.equal(r.ok, false, `${what}: classified`);
    assert.match(r.error, reason, what);
    const grown = (cxr.HEAPU8.length - base) / MB;
    console.log(`# [limits wasm] ${what}: memory ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB (bound ${boundMB} MB): ${r.error}`);
    assert.ok(grown <= boundMB, `${what}: wasm memory grew by ${grown.toFixed(1)} MB`);
  }
}

test('hostile images are refused with their reason and bounded wasm memory', () => {
  const c = new cxr.Classifier(new Uint8Array(readFileSync(join(fixtures, 'tiny.cxrm'))));
  try {
    assert.equal(c.error(), '');
    const warm = shortPng({ width: 64, height: 64, rows: 64 });
    assert.equal(c.classify(warm, {}).ok, true);
    const usedBefore = cxr.heapBytesInUse();
    measure(c, [
      ['PNG header claiming 60000x60000', new Uint8Array(pngHeader(60000, 60000)), /PNG is 60000x60000 pixels/, 20],
      ['JPEG header claiming 60000x60000', jpegHeader(60000, 60000), /JPEG is 60000x60000 pixels/, 20],
      ['PNG header claiming 16000x16000', new Uint8Array(pngHeader(16000, 16000)), /PNG is 16000x16000 pixels/, 20],
      ['DICOM 4000x4000 x 2147483647 frames', dicom({ rows: 4000, columns: 4000, frames: '2147483647', bits: 16, pixelBytes: 4096 }), /truncated DICOM pixel data/, 20],
      ['DICOM 4000x4000 x 4294967295 frames', dicom({ rows: 4000, columns: 4000, frames: '4294967295', bits: 16, pixelBytes: 4096 }), /truncated DICOM pixel data/, 20],
      ['DICOM 65535x65535', dicom({ rows: 65535, columns: 65535, bits: 16, pixelBytes: 4096 }), /DICOM image is 65535x65535 pixels/, 20],
      ['zero bytes', new Uint8Array(0), /empty file \(0 bytes\)/, 20],
      ['PDF renamed .jpg', new Uint8Array(ascii('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n')), /not an image: PDF document/, 20],
      ['ZIP renamed .jpg', new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, ...new Array(20).fill(0)]), /not an image: ZIP archive/, 20],
      ['text renamed .jpg', new Uint8Array(ascii('patient list\nname,age\n')), /not an image: text file/, 20],
    ]);
    const within = [
      ['PNG 16384x2441 whose data ends after 16 rows', shortPng({ width: 16384, height: 2441, rows: 16 }), /truncated or corrupt PNG/, 300],
      ['PNG header 16384x2441, no data', new Uint8Array(pngHeader(16384, 2441)), /truncated PNG/, 300],
    ];
    const jpeg = realJpegClaiming(16384, 2441);
    if (jpeg) {
      within.push(['real JPEG whose header claims 16384x2441', jpeg, /image data stops before the image is complete/, 300]);
      within.push(['the same, cut in its scan', jpeg.slice(0, jpeg.length - 2000), /truncated JPEG/, 300]);
    }
    measure(c, within);
    assert.equal(c.classify(warm, {}).ok, true);
    assert.ok(cxr.heapBytesInUse() <= usedBefore + 64 * 1024, `${cxr.heapBytesInUse()} vs ${usedBefore}`);
  } finally {
    c.delete();
  }
});

test('hostile model files are refused with their reason and bounded wasm memory', () => {
  const good = new Uint8Array(readFileSync(join(fixtures, 'tiny.cxrm')));
  const withCrc = (bytes) => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
    return b;
  };
  const patched = (offset, value) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(offset, value, true);
    return withCrc(b);
  };
  const base = cxr.HEAPU8.length;
  const cases = [
    ['truncated to half', good.slice(0, good.length >> 1), /checksum mismatch/],
    ['truncated inside the header', good.slice(0, 10), /too short/],
    ['format version 3', patched(4, 3), /format version 3, but this cxr reads versions 1 to 2; update cxr/],
    ['metadata length 4 GB', patched(8, 0xfffffff0), /metadata runs past the end/],
    ['tensor count 2^32-1', patched(12, 0xffffffff), /too many tensors/],
  ];
  for (const [what, bytes, reason] of cases) {
    const c = new cxr.Classifier(bytes);
    try {
      assert.match(c.error(), reason, what);
    } finally {
      c.delete();
    }
    const grown = (cxr.HEAPU8.length - base) / MB;
    console.log(`# [limits wasm] model ${what}: memory +${grown.toFixed(1)} MB (bound 20 MB)`);
    assert.ok(grown <= 20, `${what}: wasm memory grew by ${grown.toFixed(1)} MB`);
  }
});
