// The model card's reader (web/app/js/lib/metrics.js): metadata schema 1
// exactly as cxr-train writes it, "not recorded" for what it leaves out, and
// a refusal, not a guess, for a newer schema or another shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readEvaluations, readMetric, readConfusion, readRoc, trapezoidAuc, readOodGate, schemaProblem, METADATA_SCHEMA }
  from '../../web/app/js/lib/metrics.js';

const CLASSES = ['NORMAL', 'PNEUMONIA'];
const SHIPPED = new URL('../../models/pneumonia.cxrm', import.meta.url);

// The metadata JSON of a .cxrm file (core/model/model_file.h: u32 length at byte 8, the JSON from byte 16).
function metadataOf(path) {
  const bytes = readFileSync(path);
  return JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(8)).toString('utf8'));
}

// One split as trainer/metrics.cpp's evaluation_report lays it out (a few members).
const split = (auc) => ({
  count: 624, positives: 390, threshold: 0.56, auc: { value: auc, ci95: [auc - 0.01, auc + 0.01] }, accuracy: { value: 0.92 },
  confusion_threshold: [[200, 34], [10, 380]], roc: [[0, 0, 1], [0.1, 0.9, 0.5], [1, 1, 0.01]],
  calibration: { ece: 0.03, bins: [{ lower: 0, upper: 0.5, count: 0 }, { lower: 0.5, upper: 1, count: 3, mean_probability: 0.8, fraction_positive: 0.67 }] },
});

test('schema 1 members are read in exactly their layout', () => {
  assert.deepEqual(readMetric({ value: 0.9, ci95: [0.85, 0.93] }), { value: 0.9, lo: 0.85, hi: 0.93 });
  assert.deepEqual(readMetric({ value: 0.9, count: 9, of: 10 }), { value: 0.9 });
  for (const other of [0.9, 'high', { estimate: 0.9 }, { value: 0.9, ci95: [0.8] }, { point: 0.9, ci_low: 0.8, ci_high: 0.95 }]) {
    assert.equal(readMetric(other), null, JSON.stringify(other));
  }
  assert.deepEqual(readConfusion([[200, 34], [10, 380]], CLASSES), { labels: CLASSES, matrix: [[200, 34], [10, 380]] });
  assert.equal(readConfusion({ tn: 200, fp: 34, fn: 10, tp: 380 }, CLASSES), null);
  assert.equal(readConfusion([[1, 2]], CLASSES), null);
  const roc = readRoc([[0, 0, 1], [0.1, 0.9, 0.5], [1, 1, 0]]);
  assert.ok(Math.abs(trapezoidAuc(roc.points) - 0.9) < 1e-9);
  assert.equal(readRoc({ fpr: [0, 0.1, 1], tpr: [0, 0.9, 1] }), null);
  assert.equal(readRoc([[0, 0], [1, 1]]), null);
  assert.equal(readRoc([[0, 0, 1], [2, 1, 0]]), null);
});

test('splits come report, tune, test, validation; what a file leaves out is not recorded', () => {
  const { evaluations, unreadable } = readEvaluations({ metrics: { validation: split(0.99), test: split(0.97), report: split(0.98) } }, CLASSES);
  assert.deepEqual(unreadable, []);
  assert.deepEqual(evaluations.map((e) => e.split), ['report', 'test', 'validation']);
  const [report] = evaluations;
  assert.equal(report.n, 624);
  assert.deepEqual(report.metrics.map((m) => [m.key, m.value, m.lo]), [['auc', 0.98, 0.97], ['accuracy', 0.92, undefined]]);
  assert.deepEqual(report.confusion.matrix, [[200, 34], [10, 380]]);
  assert.equal(report.roc.points.length, 3);
  assert.deepEqual(report.calibration.bins.map((b) => b.observed), [undefined, 0.67]);
  const bare = readEvaluations({ metrics: { test: { count: 10 } } }, CLASSES).evaluations[0];
  assert.deepEqual([bare.metrics, bare.confusion, bare.roc, bare.calibration], [[], undefined, undefined, undefined]);
  assert.deepEqual(readEvaluations({ provenance: { note: 'random' } }, CLASSES), { evaluations: [], unreadable: [] });
});

test('another layout is named, not guessed at', () => {
  // Spellings older readers accepted are not schema 1: nothing is read from them.
  assert.deepEqual(readEvaluations({ evaluation: { test: split(0.9) }, test_metrics: split(0.9), metrics: { val: split(0.9) } }, CLASSES),
    { evaluations: [], unreadable: [] });
  const test = { ...split(0.97), auc: 0.97, roc: { fpr: [0, 1], tpr: [0, 1] }, confusion_threshold: { tn: 1, fp: 2, fn: 3, tp: 4 } };
  const { evaluations, unreadable } = readEvaluations({ metrics: { test, tune: [1, 2] } }, CLASSES);
  assert.deepEqual(unreadable, ['metrics.tune', 'metrics.test.auc', 'metrics.test.confusion_threshold', 'metrics.test.roc']);
  assert.deepEqual(evaluations[0].metrics.map((m) => m.key), ['accuracy']);
  const gateProblems = [];
  assert.equal(readOodGate({ ood: { threshold: '2.1' } }, gateProblems), null);
  assert.deepEqual(gateProblems, ['ood.threshold']);
  assert.equal(readOodGate({ ood: { method: 'mahalanobis', layers: ['a'] } }), null, 'defined but not fitted');
});

test('a newer metadata schema is refused with a sentence; none stated is schema 1', () => {
  assert.equal(METADATA_SCHEMA, 1);
  assert.equal(schemaProblem({}), null);
  assert.equal(schemaProblem({ metadata_schema: 1 }), null);
  assert.match(schemaProblem({ metadata_schema: 3 }), /^The model card cannot be shown: this model's metadata is schema 3, and this page reads schema 1\. Update/);
  for (const odd of [0, 1.5, '1', null]) assert.match(schemaProblem({ metadata_schema: odd }), /cannot be shown/, JSON.stringify(odd));
});

test('the shipped model (schema 1, from before the number was written) reads whole', { skip: existsSync(SHIPPED) ? false : 'no models/pneumonia.cxrm' }, () => {
  const meta = metadataOf(SHIPPED);
  assert.equal(meta.metadata_schema, undefined);
  assert.equal(schemaProblem(meta), null);
  const { evaluations, unreadable } = readEvaluations(meta, meta.classes);
  assert.deepEqual(unreadable, []);
  assert.deepEqual(evaluations.map((e) => e.split), ['report', 'tune', 'test', 'validation']);
  for (const e of evaluations) {
    assert.equal(e.n, meta.metrics[e.split].count);
    assert.deepEqual(e.metrics.map((m) => m.key), ['auc', 'accuracy', 'sensitivity', 'specificity', 'precision', 'npv', 'f1_pneumonia']);
    assert.ok(e.metrics.every((m) => m.lo <= m.value && m.value <= m.hi), e.split);
    assert.deepEqual(e.confusion.matrix, meta.metrics[e.split].confusion_threshold);
    assert.ok(e.roc.points.length >= 2 && e.calibration.bins.length === 10, e.split);
  }
  const problems = [];
  const gate = readOodGate(meta, problems);
  assert.deepEqual(problems, []);
  assert.equal(gate.threshold, meta.ood.threshold);
  assert.ok(gate.adult && gate.ages && gate.benchmark.sets.length > 0 && gate.benchmark.adult.withheld);
  assert.ok(gate.benchmark.sets.every((s) => s.name && s.rejected));
});
