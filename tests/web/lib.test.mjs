// Unit tests for the web app's pieces that need no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, toCsv, parseCsv, resultsCsv, RESULT_COLUMNS, auditCsv } from '../../web/app/js/lib/csv.js';
import { sniffKind, browserCanShow, skipName } from '../../web/app/js/lib/sniff.js';
import { sortItems, nextSort } from '../../web/app/js/lib/sort.js';
import { percent, duration, EtaEstimator, batchSummary, hex } from '../../web/app/js/lib/format.js';
import { thresholdMeaning, resultSentence, isTestModel, verdict, checksSentence, uncertainSentence, calibrationSentence, oodNote } from '../../web/app/js/lib/wording.js';
import { heatmapPlacement, heatmapRgba, quantize, colour } from '../../web/app/js/lib/heatmap.js';
import { walkEntry, filesFromDataTransfer, filesFromInput } from '../../web/app/js/lib/files.js';
import { auditEntry, modelId } from '../../web/app/js/lib/audit.js';

// The core decides the verdict (cxr_verdict) and sends it for both OOD
// policies; a film the gate passed reads the same under either.
const both = (word) => ({ withhold: word, warn: word });

const info = {
  name: 'pneumonia-net', version: '1.2', checksum: '0badc0de', classes: ['NORMAL', 'PNEUMONIA'], positiveClass: 1,
  threshold: 0.31, validationSensitivity: 0.97, validationSpecificity: 0.91,
};

test('CSV cells are quoted per RFC 4180 and formulas are defused', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell(-0.5), '-0.5', 'numbers are not defused');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(NaN), '');
  const text = toCsv(['a', 'b'], [['x,y', 'q"z'], ['=1', 2]]);
  assert.ok(text.endsWith('\r\n'));
  assert.deepEqual(parseCsv(text), [['a', 'b'], ['x,y', 'q"z'], ["'=1", '2']]);
});

test('results CSV has one row per file with model id, hash, probability, decision, warnings', () => {
  const items = [
    { name: 'dir/a,b.jpeg', sha256: 'ab'.repeat(32), finishedAt: '2026-01-01T00:00:00.000Z',
      result: { ok: true, verdicts: both('PNEUMONIA'), positive_probability: 0.8765432, threshold: 0.31, decision: 'PNEUMONIA', warnings: ['low contrast', 'small'], timings_ms: { total: 41.26 } } },
    { name: 'report.pdf', sha256: 'cd'.repeat(32), error: 'not an image: PDF document', finishedAt: '2026-01-01T00:00:01.000Z', result: null },
  ];
  const rows = parseCsv(resultsCsv(items, info));
  assert.deepEqual(rows[0], RESULT_COLUMNS);
  assert.equal(rows.length, 3);
  const row = Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, rows[1][i]]));
  assert.equal(row.file, 'dir/a,b.jpeg');
  assert.equal(row.model_name, 'pneumonia-net');
  assert.equal(row.model_version, '1.2');
  assert.equal(row.model_checksum, '0badc0de');
  assert.equal(row.positive_class, 'PNEUMONIA');
  assert.equal(row.probability, '0.876543');
  assert.equal(row.decision, 'PNEUMONIA');
  assert.equal(row.warnings, 'low contrast; small');
  assert.equal(row.total_ms, '41.3');
  const bad = Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, rows[2][i]]));
  assert.equal(bad.decision, '');
  assert.equal(bad.probability, '');
  assert.equal(bad.error, 'not an image: PDF document');
});

// A result the OOD gate flagged, and one in the uncertain band.
const flagged = { ok: true, verdicts: { withhold: 'WITHHELD', warn: 'PNEUMONIA' }, positive_probability: 0.93, threshold: 0.54, decision: 'PNEUMONIA', warnings: [], uncertain: false,
  ood: { flagged: true, available: true, score: 7.5, threshold: 1.68, reasons: ['it is a colour image (X-rays are gray)'] } };
const unsure = { ok: true, verdicts: both('UNCERTAIN'), positive_probability: 0.6, threshold: 0.54, decision: 'PNEUMONIA', warnings: [], uncertain: true,
  uncertain_low: 0.2, uncertain_high: 0.8, ood: { flagged: false, available: true, score: 0.9, threshold: 1.68, reasons: [] } };

test('verdict: a flagged film is withheld unless the user chose to see it; the band says UNCERTAIN', () => {
  assert.deepEqual(verdict(flagged, info), { label: 'WITHHELD', kind: 'withheld', showOutput: false });
  assert.deepEqual(verdict(flagged, info, 'warn'), { label: 'PNEUMONIA', kind: 'pos', showOutput: true });
  assert.deepEqual(verdict(unsure, info), { label: 'UNCERTAIN', kind: 'uncertain', showOutput: true });
  assert.deepEqual(verdict({ ...unsure, verdicts: both('NORMAL'), uncertain: false, decision: 'NORMAL' }, info), { label: 'NORMAL', kind: 'neg', showOutput: true });
  assert.equal(verdict({ ok: false, error: 'x' }, info).kind, 'error');
  assert.equal(checksSentence(flagged),
    'This does not look like a frontal chest X-ray of the kind the model was trained on: it is a colour image (X-rays are gray). The result is withheld.');
  assert.match(checksSentence(flagged, 'warn'), /shown anyway: do not rely on it\.$/);
  assert.match(checksSentence(unsure), /^Checks passed/);
  assert.match(checksSentence({ ...unsure, ood: { flagged: false, available: false, reasons: [] } }), /cannot check whether the film resembles/);
  assert.equal(uncertainSentence(unsure, info),
    'The pneumonia probability, 60%, is inside the uncertain band (20% to 80%): the model does not give a label. At the threshold it would say PNEUMONIA.');
  assert.equal(uncertainSentence(flagged, info), '');
});

// An adult's film: the core puts the out-of-scope reason first (cxr.h).
const adult = { ...flagged, ood: { ...flagged.ood, out_of_scope: true, reasons: [
  'it looks like an adult chest X-ray: the model was made for children aged about 1 to 5, and its answer would not mean anything here',
  'its image features are far from those of the training films (distance 3.3, limit 2.1)'] } };

test('an out-of-scope film says so in its own words, first, in the sentence, the table note, the CSV and the audit log', () => {
  assert.deepEqual(verdict(adult, info), { label: 'WITHHELD', kind: 'withheld', showOutput: false });
  assert.equal(checksSentence(adult), 'It looks like an adult chest X-ray: the model was made for children aged about 1 '
    + 'to 5, and its answer would not mean anything here. It is also unlike the training films: its image features are '
    + 'far from those of the training films (distance 3.3, limit 2.1). The result is withheld.');
  assert.match(checksSentence(adult, 'warn'), /^It looks like an adult.*shown anyway: do not rely on it\.$/);
  assert.match(oodNote(adult.ood), /^Out of scope: it looks like an adult chest X-ray.*; Unlike the training X-rays: its image features/);
  assert.equal(oodNote(flagged.ood), 'Unlike the training X-rays: it is a colour image (X-rays are gray)');
  assert.equal(oodNote(unsure.ood), '');
  const items = [{ name: 'a.png', result: adult }, { name: 'b.png', result: flagged }];
  const rows = parseCsv(resultsCsv(items, info)).slice(1).map((r) => Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, r[i]])));
  assert.deepEqual(rows.map((r) => r.out_of_scope), ['true', 'false']);
  assert.equal(auditEntry({ item: items[0], info, recordNames: false, time: 't' }).outOfScope, true);
  assert.equal(auditEntry({ item: items[1], info, recordNames: false, time: 't' }).outOfScope, false);
});

test('what a probability meant on test comes from the reliability bins in the model file', () => {
  const bins = [{ lower: 0, upper: 0.5, count: 40, fraction_positive: 0.1 }, { lower: 0.5, upper: 1, count: 1, fraction_positive: 1 }];
  const withBins = { ...info, metadata: JSON.stringify({ metrics: { test: { calibration: { ece: 0.1, bins } } } }) };
  assert.equal(calibrationSentence({ ok: true, positive_probability: 0.2 }, withBins),
    'Of the 40 test films the model scored between 0% and 50%, 10% had pneumonia.');
  assert.equal(calibrationSentence({ ok: true, positive_probability: 1 }, withBins),
    'Of the 1 test film the model scored between 50% and 100%, 100% had pneumonia.');
  assert.equal(calibrationSentence({ ok: true, positive_probability: 0.2 }, info), '');  // no bins: nothing invented
});

test('results CSV and audit log carry the verdict and the OOD reasons, and never a withheld output', () => {
  const items = [{ name: 'cat.jpeg', sha256: '11'.repeat(32), result: flagged }, { name: 'u.png', sha256: '22'.repeat(32), result: unsure }];
  const rows = parseCsv(resultsCsv(items, info)).slice(1).map((r) => Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, r[i]])));
  assert.equal(rows[0].verdict, 'WITHHELD');
  assert.equal(rows[0].probability, '');
  assert.equal(rows[0].decision, '');
  assert.equal(rows[0].ood_flagged, 'true');
  assert.equal(rows[0].ood_score, '7.5');
  assert.equal(rows[0].ood_reasons, 'it is a colour image (X-rays are gray)');
  assert.equal(rows[1].verdict, 'UNCERTAIN');
  assert.equal(rows[1].uncertain, 'true');
  assert.equal(rows[1].probability, '0.6');
  const shown = parseCsv(resultsCsv(items, info, 'warn'))[1];
  assert.equal(shown[RESULT_COLUMNS.indexOf('probability')], '0.93');
  const e = auditEntry({ item: items[0], info, recordNames: false, time: 't' });
  assert.equal(e.verdict, 'WITHHELD');
  assert.equal(e.probability, null);
  assert.deepEqual(e.oodReasons, ['it is a colour image (X-rays are gray)']);
  assert.equal(auditEntry({ item: items[0], info, recordNames: false, policy: 'warn' }).probability, 0.93);
});

test('audit records keep the hash, never the name unless opted in', () => {
  const item = { name: 'Smith_John_chest.jpeg', sha256: 'ef'.repeat(32), result: { ok: true, verdicts: both('NORMAL'), positive_probability: 0.25, threshold: 0.31, decision: 'NORMAL', warnings: [] } };
  const e = auditEntry({ item, info, recordNames: false, time: 't' });
  assert.equal(e.fileName, undefined);
  assert.ok(!JSON.stringify(e).includes('Smith'));
  assert.equal(e.sha256, 'ef'.repeat(32));
  assert.equal(e.model, modelId(info));
  assert.equal(e.decision, 'NORMAL');
  assert.equal(auditEntry({ item, info, recordNames: true }).fileName, 'Smith_John_chest.jpeg');
  const failed = auditEntry({ item: { name: 'x', sha256: '00', error: 'truncated' }, info, recordNames: false });
  assert.equal(failed.ok, false);
  assert.equal(failed.error, 'truncated');
  const csv = parseCsv(auditCsv([e]));
  assert.equal(csv[1][2], '');
});

test('sniffing goes by content, not by name', () => {
  assert.equal(sniffKind(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0])), 'jpeg');
  assert.equal(sniffKind(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'png');
  const dcm = new Uint8Array(140);
  dcm.set([0x44, 0x49, 0x43, 0x4d], 128);
  assert.equal(sniffKind(dcm), 'dicom');
  assert.equal(sniffKind(new Uint8Array([0x08, 0x00, 0x05, 0x00, 0x43, 0x53])), 'dicom');
  assert.equal(sniffKind(new TextEncoder().encode('%PDF-1.7')), 'pdf');
  assert.equal(sniffKind(new TextEncoder().encode('hello')), 'unknown');
  assert.equal(sniffKind(new Uint8Array(0)), 'empty');
  assert.ok(browserCanShow('jpeg') && browserCanShow('png') && !browserCanShow('dicom') && !browserCanShow('pdf'));
  assert.ok(skipName('.DS_Store') && skipName('Thumbs.db') && !skipName('IM0001'));
});

test('sorting: by probability, errors and pending rows last, stable; header clicks flip', () => {
  const mk = (seq, name, p, status = 'done') => ({ seq, name, status, result: status === 'done' ? { ok: true, verdicts: both(p >= 0.5 ? 'PNEUMONIA' : 'NORMAL'), positive_probability: p, decision: p >= 0.5 ? 'PNEUMONIA' : 'NORMAL', warnings: [] } : null });
  const items = [mk(1, 'b10', 0.2), mk(2, 'b9', 0.9), mk(3, 'bad', 0, 'error'), mk(4, 'a', 0.5), mk(5, 'wait', 0, 'queued')];
  assert.deepEqual(sortItems(items, 'probability', 'descending').map((i) => i.seq), [2, 4, 1, 3, 5]);
  assert.deepEqual(sortItems(items, 'probability', 'ascending').map((i) => i.seq), [1, 4, 2, 3, 5]);
  assert.deepEqual(sortItems(items, 'name', 'ascending').map((i) => i.name), ['a', 'b9', 'b10', 'bad', 'wait']);
  assert.deepEqual(sortItems(items, 'order', 'descending').map((i) => i.seq), [5, 4, 3, 2, 1]);
  assert.deepEqual(nextSort({ key: 'order', direction: 'ascending' }, 'probability'), { key: 'probability', direction: 'descending' });
  assert.deepEqual(nextSort({ key: 'name', direction: 'ascending' }, 'name'), { key: 'name', direction: 'descending' });
});

test('threshold and result wording come from the model file', () => {
  assert.equal(thresholdMeaning(info),
    'The model calls a film PNEUMONIA when its pneumonia probability is at least 31%. At this threshold the model found 97% of pneumonia cases and flagged 9% of normal films as pneumonia in validation.');
  assert.match(thresholdMeaning({ ...info, validationSensitivity: undefined, validationSpecificity: undefined }), /does not say how the threshold performed/);
  // The test split's numbers follow the validation ones when the model carries them.
  const metadata = JSON.stringify({ metrics: { test: { count: 624, sensitivity: { value: 0.995, ci95: [0.98, 1] }, specificity: { value: 0.671 } } } });
  assert.match(thresholdMeaning({ ...info, metadata }),
    /in validation\. On the separate test set \(624 films\) it found 99\.5% of pneumonia cases and flagged 33% of normal films\.$/);
  // The report half (held out, nothing chosen on it) wins over the whole split, whose tune half chose.
  const halves = JSON.stringify({ metrics: { test: { count: 624, sensitivity: 0.946, specificity: 0.936 },
    report: { count: 311, sensitivity: { value: 0.944 }, specificity: { value: 0.948 } } } });
  assert.match(thresholdMeaning({ ...info, metadata: halves }),
    /On the separate test set \(311 films\) it found 94% of pneumonia cases and flagged 5% of normal films\.$/);
  assert.equal(resultSentence({ ok: true, positive_probability: 0.2, threshold: 0.31, decision: 'NORMAL' }, info),
    'Pneumonia probability 20% is below the threshold of 31%: NORMAL.');
  assert.equal(resultSentence({ ok: false, error: 'The file is truncated.' }, info), 'The file is truncated.');
  assert.ok(isTestModel({ name: 'random-resnet18' }) && !isTestModel(info));
});

test('formatting: percent, durations, ETA, batch line, hex', () => {
  assert.equal(percent(0.97), '97%');
  assert.equal(percent(0.9996), '99.9%', 'never 100% unless certain');
  assert.equal(percent(0.00001), '0.1%', 'never 0% unless zero');
  assert.equal(percent(0), '0%');
  assert.equal(percent(0.5, { digits: 1 }), '50.0%');
  assert.equal(percent(undefined), '—');
  assert.equal(duration(65_000), '1 min 5 s');
  assert.equal(duration(400), '1 s');
  const eta = new EtaEstimator(0.5);
  assert.equal(eta.remainingMs(3), null);
  eta.add(100);
  eta.add(300);
  assert.equal(eta.remainingMs(4), 800);
  // Laps: the time between files finishing. One worker: each gap is a file.
  const one = new EtaEstimator(0.5);
  for (const t of [0, 100, 400]) one.lap(t);
  assert.equal(one.remainingMs(4), 800);
  one.reset();
  one.lap(1000);
  assert.equal(one.remainingMs(2), null, 'the first lap only starts the clock');
  // Two workers finishing in pairs (2 files per 100 ms): 50 ms a file, steadily.
  const two = new EtaEstimator(0.5, 2);
  two.lap(0);
  for (let k = 1; k <= 8; k++) [100 * k, 100 * k + 1].forEach((t) => two.lap(t));
  assert.ok(Math.abs(two.remainingMs(10) - 500) <= 10, String(two.remainingMs(10)));
  two.lap(900);
  assert.ok(Math.abs(two.remainingMs(10) - 500) <= 10, String(two.remainingMs(10)));
  assert.equal(batchSummary({ total: 10, done: 4, errors: 1, etaMs: 6000 }), '4 of 10 done · 1 could not be read · about 6 s left');
  assert.equal(batchSummary({ total: 2, done: 2, errors: 0, etaMs: null }), '2 of 2 done');
  assert.equal(hex(new Uint8Array([0, 15, 255]).buffer), '000fff');
});

test('heat map placement follows the preprocessing resize policy', () => {
  assert.deepEqual(heatmapPlacement({ resize: 'stretch', width: 224, height: 224 }, 1300, 1000, 224, 224),
    { sx: 0, sy: 0, sw: 224, sh: 224, dx: 0, dy: 0, dw: 1, dh: 1 });
  // Letterbox: a 2:1 film fills the width, 112 rows tall, centred.
  const lb = heatmapPlacement({ resize: 'letterbox', width: 224, height: 224 }, 2000, 1000, 224, 224);
  assert.deepEqual([lb.sx, lb.sy, lb.sw, lb.sh], [0, 56, 224, 112]);
  // ... and a heat map at a coarser resolution scales with it.
  const lb7 = heatmapPlacement({ resize: 'letterbox', width: 224, height: 224 }, 2000, 1000, 7, 7);
  assert.deepEqual([lb7.sy, lb7.sh], [1.75, 3.5]);
  // Centre crop: a 2:1 film shows its middle half.
  const cc = heatmapPlacement({ resize: 'center_crop', width: 224, height: 224 }, 2000, 1000, 224, 224);
  assert.deepEqual([cc.dx, cc.dy, cc.dw, cc.dh], [0.25, 0, 0.5, 1]);
  assert.deepEqual(heatmapPlacement(null, 0, 0, 7, 7).sw, 7);
});

test('heat map colours: low values transparent, high values opaque and bright', () => {
  const q = quantize(new Float32Array([0, 0.5, 1, NaN, 2]));
  assert.deepEqual([...q], [0, 128, 255, 0, 255]);
  const rgba = heatmapRgba(q);
  assert.equal(rgba[3], 0);
  assert.ok(rgba[7] > 0 && rgba[11] > rgba[7]);
  assert.deepEqual(colour(1), [252, 255, 164]);
});

// Fake FileSystemEntry trees, as Chromium hands them to a drop handler.
function fakeFile(name) {
  return { name, isFile: true, isDirectory: false, file: (ok) => ok({ name, size: 1 }) };
}
function fakeDir(name, children, batch = 2) {
  return {
    name, isFile: false, isDirectory: true,
    createReader() {
      let i = 0;
      return { readEntries: (ok) => { const part = children.slice(i, i + batch); i += batch; setTimeout(() => ok(part)); } };
    },
  };
}

test('dropped folders are walked in name order, in batches, skipping hidden files', async () => {
  const tree = fakeDir('study', [fakeFile('img10'), fakeFile('img2'), fakeFile('.DS_Store'),
    fakeDir('series', [fakeFile('a.dcm'), fakeFile('b.jpeg'), fakeFile('c.png')]), fakeFile('notes.pdf')]);
  const out = await walkEntry(tree, []);
  assert.deepEqual(out.map((f) => f.path), ['study/img2', 'study/img10', 'study/notes.pdf', 'study/series/a.dcm', 'study/series/b.jpeg', 'study/series/c.png']);
  assert.equal((await walkEntry(tree, [], { limit: 2 })).length, 2);
  const broken = { name: 'gone', isFile: true, file: (_, fail) => fail(new Error('NotFoundError')) };
  assert.match((await walkEntry(broken, []))[0].error, /could not be opened/);
});

test('a DataTransfer with entries, plain files, or only .files all work', async () => {
  const item = (entry, file) => ({ kind: 'file', webkitGetAsEntry: () => entry, getAsFile: () => file });
  const dt = { items: [item(fakeDir('d', [fakeFile('x')]), null), item(null, { name: 'loose.jpeg' }), { kind: 'string' }], files: [] };
  assert.deepEqual((await filesFromDataTransfer(dt)).map((f) => f.path), ['loose.jpeg', 'd/x']);
  assert.deepEqual((await filesFromDataTransfer({ items: [], files: [{ name: 'p.png' }] })).map((f) => f.path), ['p.png']);
  const picked = filesFromInput([{ name: 'a', webkitRelativePath: 'dir/a' }, { name: '.hidden', webkitRelativePath: 'dir/.hidden' }, { name: 'b', webkitRelativePath: '' }]);
  assert.deepEqual(picked.map((f) => f.path), ['dir/a', 'b']);
});
