// `cxr calibrate` and `cxr classify --site` (issue 16): a labelled folder of
// real films (with a corrupt file, a non-X-ray, a duplicate and a DICOM) gives
// a site calibration that classify then names in every output; bad labels,
// one class, too few films, a malformed file and another model's file are
// refused with a clear message. Run by ctest (cli/CMakeLists.txt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rgbPng } from '../support/fixtures.mjs';

const cli = process.env.CXR_CLI ?? 'build/native/cli/cxr';
const model = process.env.CXR_MODEL ?? 'models/pneumonia.cxrm';
const data = process.env.CXR_DATA_DIR ?? '../shared/data';
const films = join(data, 'chest_xray_224', 'test');
const skip = existsSync(films) ? false : `${films} not found: the calibration tests need real films`;

const root = mkdtempSync(join(tmpdir(), 'cxr-calibrate-'));
const run = (...args) => {
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};
const calibrate = (...args) => run('calibrate', '--model', model, '--date', '2026-12-07', ...args);

// `count` films of each class, the first ones in sorted order.
function labelledFolder(name, counts) {
  const dir = join(root, name);
  for (const [label, count] of Object.entries(counts)) {
    mkdirSync(join(dir, label), { recursive: true });
    for (const file of readdirSync(join(films, label)).sort().slice(0, count))
      copyFileSync(join(films, label, file), join(dir, label, file));
  }
  return dir;
}

// A DICOM copy of a real film (pydicom, as tests/dicom does); null without it.
function dicomOf(jpeg, out) {
  const script = `
import sys, numpy as np, pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
a = np.asarray(Image.open(sys.argv[1]).convert('L'), dtype=np.uint8)
m = FileMetaDataset(); m.TransferSyntaxUID = ExplicitVRLittleEndian
m.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1.1'; m.MediaStorageSOPInstanceUID = generate_uid()
d = Dataset(); d.file_meta = m; d.Modality = 'DX'; d.Rows, d.Columns = a.shape
d.SamplesPerPixel = 1; d.PhotometricInterpretation = 'MONOCHROME2'; d.BitsAllocated = 8; d.BitsStored = 8
d.HighBit = 7; d.PixelRepresentation = 0; d.PixelData = a.tobytes()
d.is_little_endian = True; d.is_implicit_VR = False
pydicom.dcmwrite(sys.argv[2], d, write_like_original=False)`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, jpeg, out], { encoding: 'utf8' });
  return r.status === 0 ? out : null;
}

test('calibrate a labelled folder, then classify with it', { skip }, () => {
  const dir = labelledFolder('site', { NORMAL: 30, PNEUMONIA: 40 });
  writeFileSync(join(dir, 'NORMAL', 'broken.jpeg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  writeFileSync(join(dir, 'PNEUMONIA', 'holiday.png'),
    rgbPng(300, 300, (x, y, c) => (c === 0 ? x % 256 : c === 1 ? 255 - (y % 256) : 40)));
  const first = readdirSync(join(dir, 'PNEUMONIA')).sort().find((f) => f.startsWith('person'));
  copyFileSync(join(dir, 'PNEUMONIA', first), join(dir, 'PNEUMONIA', 'copy-' + first));
  const dicom = dicomOf(join(films, 'PNEUMONIA', readdirSync(join(films, 'PNEUMONIA')).sort()[50]),
    join(dir, 'PNEUMONIA', 'film.dcm'));
  const out = join(root, 'site.json');
  const r = calibrate('--labels', dir, '--target-sensitivity', '0.9', '--out', out);
  assert.equal(r.status, 0, r.err + r.out);
  assert.match(r.out, /left out .*broken\.jpeg: /);
  assert.match(r.out, /left out .*holiday\.png: not like the films the model was trained on: .*colour/);
  assert.match(r.out, /left out .*: the same film as .*copy-.*; counted once/);
  if (dicom) assert.doesNotMatch(r.out, /film\.dcm: (?!not like)/, 'a DICOM film is read like any other');
  assert.match(r.out, /warning +fewer than 100 films of a class/);
  assert.match(r.out, /AUC +\d\.\d{3} \(95% CI \d\.\d{3} to \d\.\d{3}/);
  assert.match(r.out, /model default +threshold .*sensitivity .*specificity/);
  const record = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(record.schema, 'cxr-site-calibration');
  assert.equal(record.version, 1);
  assert.equal(record.date, '2026-12-07');
  assert.deepEqual(record.target, { kind: 'sensitivity', value: 0.9 });
  assert.ok(record.at_threshold.sensitivity >= 0.9);
  assert.match(record.films.sha256_of_sorted_sha256s, /^[0-9a-f]{64}$/);
  const used = record.films.count;
  assert.equal(record.films.per_class.NORMAL + record.films.per_class.PNEUMONIA, used);
  const label = `site calibration of 2026-12-07, ${used} films`;

  // The same calibration, run again, is the same file (fixed bootstrap seed).
  const again = join(root, 'again.json');
  assert.equal(calibrate('--labels', dir, '--target-sensitivity', '0.9', '--out', again).status, 0);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'));

  const json = run('classify', '--json', '--model', model, '--site', out, join(dir, 'NORMAL'));
  const lines = json.out.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.ok);
  assert.ok(lines.length > 20);
  for (const l of lines) {
    assert.equal(l.calibration, label);
    assert.equal(l.threshold, record.threshold);
  }
  const csv = run('classify', '--csv', '--model', model, '--site', out, join(dir, 'NORMAL')).out.trim().split('\n');
  assert.match(csv[0], /,calibration$/);
  assert.ok(csv[1].endsWith(`,"${label}"`), csv[1]);
  assert.match(run('classify', '--model', model, '--site', out, join(dir, 'NORMAL')).out, new RegExp(`operating point: ${label}`));
  assert.match(run('classify', '--model', model, join(dir, 'NORMAL')).out, /operating point: model default/);

  // --check measures it on other films without choosing anything.
  const held = labelledFolder('held', { NORMAL: 60, PNEUMONIA: 60 });
  const check = calibrate('--labels', held, '--check', out);
  assert.equal(check.status, 0, check.err);
  assert.match(check.out, new RegExp(`site +threshold ${record.threshold}`));
  assert.match(check.out, new RegExp(`checked +${label}`));
  // A fitted temperature changes the site's probabilities, never the films' model-default scores.
  const warm = join(root, 'warm.json');
  assert.equal(calibrate('--labels', dir, '--fit-temperature', '--out', warm).status, 0);
  assert.ok('temperature' in JSON.parse(readFileSync(warm, 'utf8')));
  const warmCheck = calibrate('--labels', held, '--check', warm);
  const defaultLine = (out) => /model default .*/.exec(out)[0];
  assert.equal(defaultLine(warmCheck.out), defaultLine(check.out));
  assert.match(warmCheck.out, /probabilities +temperature \S+, bias \S+: on these films the model's probabilities are/);
});

test('bad labels, one class and too few films are refused with a reason', { skip }, () => {
  const unlabelled = join(root, 'unlabelled');
  mkdirSync(unlabelled, { recursive: true });
  copyFileSync(join(films, 'NORMAL', readdirSync(join(films, 'NORMAL'))[0]), join(unlabelled, 'a.jpeg'));
  let r = calibrate('--labels', unlabelled, '--out', join(root, 'x.json'));
  assert.equal(r.status, 1);
  assert.match(r.err, /has no labels: put the films in subfolders named NORMAL\/ and PNEUMONIA\//);
  r = calibrate('--labels', labelledFolder('one-class', { PNEUMONIA: 25 }), '--out', join(root, 'x.json'));
  assert.equal(r.status, 1);
  assert.match(r.err, /only 0 NORMAL film\(s\)/);
  r = calibrate('--labels', labelledFolder('few', { NORMAL: 19, PNEUMONIA: 25 }), '--out', join(root, 'x.json'));
  assert.equal(r.status, 1);
  assert.match(r.err, /only 19 NORMAL film\(s\) \(25 PNEUMONIA\): a site calibration needs at least 20/);
  assert.ok(!existsSync(join(root, 'x.json')), 'nothing is written when refused');
  // A CSV of file,label with a header, an unknown label and a missing file.
  const dir = labelledFolder('csv', { NORMAL: 22, PNEUMONIA: 22 });
  const rows = ['file,label'];
  for (const label of ['NORMAL', 'PNEUMONIA'])
    for (const f of readdirSync(join(dir, label))) rows.push(`${label}/${f},${label.toLowerCase()}`);
  rows.push('NORMAL/ghost.jpeg,NORMAL', 'x.jpeg,cat');
  writeFileSync(join(dir, 'labels.csv'), rows.join('\n') + '\n');
  r = calibrate('--labels', join(dir, 'labels.csv'), '--target-specificity', '0.8', '--out', join(root, 'csv.json'));
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /ghost\.jpeg: cannot read the file/);
  assert.match(r.out, /x\.jpeg: its label "cat" is not NORMAL or PNEUMONIA/);
  assert.equal(JSON.parse(readFileSync(join(root, 'csv.json'), 'utf8')).target.kind, 'specificity');
  r = calibrate('--labels', dir, '--target-sensitivity', '1.5', '--out', join(root, 'y.json'));
  assert.equal(r.status, 2);
  assert.match(r.err, /takes a proportion between 0 and 1/);
});

test('a malformed site file or one made for another model is refused', { skip }, () => {
  const dir = labelledFolder('refuse', { NORMAL: 20, PNEUMONIA: 20 });
  const out = join(root, 'refuse.json');
  assert.equal(calibrate('--labels', dir, '--out', out).status, 0);
  const record = JSON.parse(readFileSync(out, 'utf8'));
  const other = join(root, 'other.json');
  writeFileSync(other, JSON.stringify({ ...record, model: { name: 'cxr-other', version: '9.9.9', crc32: '0badf00d' } }));
  let r = run('classify', '--model', model, '--site', other, join(dir, 'NORMAL'));
  assert.equal(r.status, 2);
  assert.match(r.err, /made for the model cxr-other 9\.9\.9 \(crc32 0badf00d\), but the model in use is cxr-pneumonia/);
  writeFileSync(other, '{"schema": "cxr-site-calibration", "version": 1');
  r = run('classify', '--model', model, '--site', other, join(dir, 'NORMAL'));
  assert.equal(r.status, 2);
  assert.match(r.err, /not a valid site calibration file \(not JSON/);
});
