// The wasm module, as a browser worker would use it, run under Node:
// loads models from bytes, agrees with the native CLI, refuses bad bytes
// without dying, and does not leak across calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { grayPng } from '../support/fixtures.mjs';

const wasmPath = process.env.CXR_WASM ?? 'build/wasm/wasm/cxr.mjs';
const fixtures = process.env.CXR_FIXTURES ?? 'build/fixtures';
const { default: createCxrModule } = await import(new URL(wasmPath, `file://${process.cwd()}/`).href);
// Node's fetch cannot load a file path: hand the module its binary.
const cxr = await createCxrModule({ wasmBinary: readFileSync(wasmPath.replace(/\.mjs$/, '.wasm')) });

const fixture = (name) => new Uint8Array(readFileSync(join(fixtures, name)));

function withClassifier(modelName, fn) {
  const c = new cxr.Classifier(fixture(modelName));
  try {
    assert.equal(c.error(), '');
    return fn(c);
  } finally {
    c.delete();
  }
}

const film = grayPng(96, 80, (x, y) => (x * 7 + y * 3 + ((x * y) % 13) * 9) & 255);

test('loads a model from bytes and describes it', () => {
  withClassifier('resnet18.cxrm', (c) => {
    const info = c.info();
    assert.equal(info.name, 'random-resnet18');
    assert.deepEqual(info.classes, ['NORMAL', 'PNEUMONIA']);
    assert.equal(info.inputWidth, 224);
    assert.equal(info.backend, 'portable');
    assert.equal(JSON.parse(info.metadata).layers.length > 10, true);
  });
});

test('classifies and returns a plain result with a heat map', () => {
  withClassifier('tiny.cxrm', (c) => {
    const r = c.classify(film, { heatmap: true, ood: 'warn' });
    assert.equal(r.ok, true, r.error);
    assert.ok(Math.abs(r.probabilities.NORMAL + r.probabilities.PNEUMONIA - 1) < 1e-6);
    assert.equal(r.decision, r.positive_probability >= r.threshold ? 'PNEUMONIA' : 'NORMAL');
    assert.equal(r.image.width, 96);
    assert.ok(r.heatmap.values instanceof Float32Array);
    assert.equal(r.heatmap.values.length, r.heatmap.width * r.heatmap.height);
    assert.ok([0, 1].includes(Math.max(...r.heatmap.values))); // scaled to 1, or no positive evidence
    assert.ok(r.timings_ms.total >= r.timings_ms.inference);
    assert.equal(r.verdict, r.verdicts.warn);
    // Withheld (the door's default policy, as the CLI's): the model's output is left out.
    const withheld = c.classify(film, { heatmap: true });
    assert.equal(withheld.verdicts.withhold, withheld.ood.flagged ? 'WITHHELD' : withheld.verdicts.warn);
    if (withheld.ood.flagged) {
      assert.equal(withheld.decision, null);
      assert.equal(withheld.probabilities, undefined);
      assert.equal(withheld.heatmap, undefined);
    }
  });
});

test('refuses bad bytes with a reason and keeps working', () => {
  withClassifier('tiny.cxrm', (c) => {
    const before = c.classify(film, {});
    const cases = [
      [new TextEncoder().encode('%PDF-1.4\n%âãÏÓ\n1 0 obj'), /PDF/],
      [new Uint8Array(0), /empty/i],
      [film.slice(0, film.length / 2), /truncated|corrupt/i],
      [new TextEncoder().encode('hello, this is a text file\n'), /text/i],
    ];
    for (const [bytes, reason] of cases) {
      const r = c.classify(bytes, {});
      assert.equal(r.ok, false);
      assert.match(r.error, reason);
    }
    assert.deepEqual(c.classify(film, {}).logits, before.logits);
    // Bytes as an ArrayBuffer work too; anything else is refused, not thrown.
    assert.deepEqual(c.classify(film.buffer.slice(film.byteOffset, film.byteOffset + film.byteLength), {}).logits, before.logits);
    for (const notBytes of ['a film', 42, null, [1, 2, 3]]) {
      const r = c.classify(notBytes, {});
      assert.equal(r.ok, false);
      assert.match(r.error, /must be given as bytes/);
    }
  });
  const notAModel = new cxr.Classifier('model.cxrm');
  assert.match(notAModel.error(), /must be given as bytes/);
  notAModel.delete();
  const broken = new cxr.Classifier(new Uint8Array([1, 2, 3]));
  assert.match(broken.error(), /not a cxr model|too short/);
  assert.equal(broken.classify(film, {}).ok, false);
  broken.delete();
});

// The native CLI's answers, written by `make fixtures`. Tolerance on a
// probability: 1e-3. For MobileNetV2 at 224 px that is the derived bound: the
// summed-reduction bound on its logits is 1.15e-3 per engine
// (trainer/test_pretrained.cpp), and a 2-class probability moves by at most a
// quarter of the change in the logit gap, so two engines differ by <= 1.15e-3.
// Every member's path, sorted: the schema of a result without its values.
const members = (v, at = '') => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.keys(v).flatMap((k) => [`${at}${k}`, ...members(v[k], `${at}${k}.`)]).sort() : []);

const goldens = [
  { model: 'resnet18.cxrm', golden: 'golden-resnet18.jsonl', ood: 'withhold', absent: '../shared/data is absent' },
  {
    model: 'mobilenet_v2_035.cxrm', golden: 'golden-mobilenet_v2_035.jsonl', ood: 'warn',  // as make fixtures asks the CLI
    absent: 'make fixtures writes it only with cxr-train (LibTorch), ../shared/pretrained and ../shared/data',
  },
];
for (const { model, golden: name, ood, absent } of goldens) {
  test(`agrees with the native CLI on real films: ${model}`, (t) => {
    const goldenPath = join(fixtures, name);
    if (!existsSync(goldenPath)) return t.skip(`no ${name}: ${absent}`);
    const golden = readFileSync(goldenPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(golden.filter((g) => g.ok).length >= 50);
    let worst = 0;
    withClassifier(model, (c) => {
      for (const g of golden) {
        const r = c.classify(new Uint8Array(readFileSync(g.file)), { ood });
        assert.equal(r.ok, g.ok, `${g.file}: ${r.error ?? ''}`);
        // One result schema (cxr_outcome_json): the same members, at every depth, as the CLI's line.
        const { file, ...cli } = g;
        assert.deepEqual(members(r), members(cli), file);
        if (!g.ok) { assert.equal(r.error, g.error); continue; }
        assert.equal(r.class, g.class, g.file);
        for (const [name, p] of Object.entries(g.probabilities)) {
          worst = Math.max(worst, Math.abs(r.probabilities[name] - p));
          assert.ok(Math.abs(r.probabilities[name] - p) < 1e-3, `${g.file} ${name}: ${r.probabilities[name]} vs ${p}`);
        }
      }
    });
    t.diagnostic(`${model}: ${golden.length} files, max |wasm - native| probability ${worst.toExponential(2)}`);
  });
}

test('memory stays flat over 1,000 calls', () => {
  withClassifier('tiny.cxrm', (c) => {
    const bad = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    for (let i = 0; i < 20; i++) { c.classify(film, { heatmap: true }); c.classify(bad, {}); }
    const heapBefore = cxr.HEAPU8.length, usedBefore = cxr.heapBytesInUse();
    for (let i = 0; i < 500; i++) {
      assert.equal(c.classify(film, { heatmap: i % 2 === 0 }).ok, true);
      assert.equal(c.classify(bad, {}).ok, false);
    }
    assert.equal(cxr.HEAPU8.length, heapBefore);
    assert.ok(cxr.heapBytesInUse() <= usedBefore + 64 * 1024, `${cxr.heapBytesInUse()} vs ${usedBefore}`);
  });
});
