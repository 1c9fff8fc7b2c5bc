// The calibration page's helpers (web/app/js/lib/site-calibration.js): which
// label a dropped film has (folders or a CSV), which films count after
// classification and why the others do not, the words, and the IndexedDB
// store's round trip through a fake. The numbers themselves are the core's
// (tests/test_calibration.cpp, tests/wasm/calibration.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classFromPath, labelsFromCsv, labelFilms, usableFilms, temperatureWords, changesText, rateText,
} from '../../web/app/js/lib/site-calibration.js';

const info = { classes: ['NORMAL', 'PNEUMONIA'], positiveClass: 1 };
const file = (size = 10) => ({ size });

test('a film is labelled by its nearest class folder, any case', () => {
  assert.equal(classFromPath('clinic/PNEUMONIA/a.jpeg', info.classes), 1);
  assert.equal(classFromPath('normal/2024/b.dcm', info.classes), 0);
  assert.equal(classFromPath('PNEUMONIA/normal/c.png', info.classes), 0);
  assert.equal(classFromPath('clinic/d.jpeg', info.classes), -1);
  assert.equal(classFromPath('NORMAL', info.classes), -1, 'a file named like a class is no folder');
});

test('a CSV of file,label: header skipped, unknown labels reported', () => {
  const { labels, problems } = labelsFromCsv('file,label\r\na.jpeg,normal\r\n"b, 2.png",PNEUMONIA\r\nc.jpeg,cat\r\n\r\nnocomma\r\n', info.classes);
  assert.deepEqual([...labels], [['a.jpeg', 0], ['b, 2.png', 1]]);
  assert.deepEqual(problems.map((p) => p.reason), ['its label "cat" is not NORMAL or PNEUMONIA', 'not a line file,label']);
});

test('labelFilms: folders, or a CSV among the files; a folder without labels says what to do', async () => {
  const list = [{ file: file(), path: 'x/NORMAL/a.jpeg' }, { file: file(), path: 'x/PNEUMONIA/b.jpeg' },
    { file: file(), path: 'x/c.jpeg' }, { file: null, path: 'x/NORMAL/d.jpeg', error: 'could not be opened' }];
  const byFolder = await labelFilms(list, info);
  assert.deepEqual(byFolder.films.map((f) => [f.path, f.positive]), [['x/NORMAL/a.jpeg', false], ['x/PNEUMONIA/b.jpeg', true]]);
  assert.deepEqual(byFolder.refused.map((r) => r.path), ['x/c.jpeg', 'x/NORMAL/d.jpeg']);
  assert.match(byFolder.refused[0].reason, /no label: it is not in a NORMAL\/ or PNEUMONIA\/ folder/);
  const withCsv = await labelFilms([...list, { file: 'c.jpeg,PNEUMONIA', path: 'labels.csv' }], info, async (f) => f);
  assert.equal(withCsv.films.find((f) => f.path === 'x/c.jpeg').positive, true);
  const none = await labelFilms([{ file: file(), path: 'a.jpeg' }], info);
  assert.match(none.problem, /No labelled film: drop a folder with NORMAL\/ and PNEUMONIA\/ subfolders/);
});

test('usableFilms: failures, gate flags and duplicates are left out with reasons', () => {
  const ok = (p) => ({ ok: true, positive_probability: p, ood: { flagged: false, reasons: [] } });
  const { used, refused } = usableFilms([
    { path: 'a', sha256: '1', result: ok(0.2) },
    { path: 'b', sha256: '1', result: ok(0.2) },
    { path: 'c', sha256: '2', result: { ok: true, ood: { flagged: true, reasons: ['it is a colour image'] } } },
    { path: 'd', sha256: '3', result: { ok: false }, error: 'truncated JPEG' },
    { path: 'e', sha256: '4', result: ok(0.9) },
  ]);
  assert.deepEqual(used.map((f) => f.path), ['a', 'e']);
  assert.deepEqual(refused.map((r) => `${r.path}: ${r.reason}`), [
    'b: the same film as a; counted once',
    'c: not like the films the model was trained on: it is a colour image',
    'd: truncated JPEG',
  ]);
});

test('the words: rates with intervals, changes, temperature and bias', () => {
  assert.equal(rateText({ value: 0.95, low: 0.9, high: 0.975, count: 190, total: 200 }), '95.0% (95% CI 90.0% to 97.5%; 190 of 200)');
  const report = { changes: { nowPositiveCorrect: 2, nowPositiveWrong: 5, nowNegativeCorrect: 0, nowNegativeWrong: 0 },
    temperatureFitted: true, temperature: 1.8, bias: -0.4 };
  assert.equal(changesText(report, info),
    'On these films: 2 PNEUMONIA film(s) missed at the default would be caught; 5 NORMAL film(s) would be flagged PNEUMONIA wrongly.');
  assert.match(temperatureWords(report, info), /too sure of themselves: the site probabilities are pulled towards 50% \(temperature 1\.80\), and shifted towards NORMAL \(bias -0\.40/);
  assert.equal(temperatureWords({ temperatureFitted: false }, info), '');
  assert.equal(changesText({ changes: { nowPositiveCorrect: 0, nowPositiveWrong: 0, nowNegativeCorrect: 0, nowNegativeWrong: 0 } }, info),
    'On these films no decision would change.');
});
