// `cxr classify --json --heatmap`: each result carries the core's heat map,
// {width, height, values}, sized to the model's input (not the image) with
// finite values in [0, 1]; a withheld film carries none, nor does a run
// without --heatmap; the table and CSV refuse it rather than drop it silently.
// Run by ctest (cli/CMakeLists.txt) with CXR_CLI and CXR_MODEL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grayPng, rgbPng } from '../support/fixtures.mjs';

const cli = process.env.CXR_CLI ?? 'build/native/cli/cxr';
const model = process.env.CXR_MODEL ?? 'models/pneumonia.cxrm';
const data = process.env.CXR_DATA_DIR ?? '../shared/data';

const folder = mkdtempSync(join(tmpdir(), 'cxr-heatmap-'));
function file(name, bytes) {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}
// Not the model's input size, so that a heat map sized to the image would show.
const film = file('film.png', grayPng(250, 200, (x, y) =>
  40 + ((Math.abs(x - 125) < 18 ? 150 : 60) + ((x * 7 + y * 13) % 23)) * (1 - Math.abs(y - 100) / 160)));
const colour = file('colour.png', rgbPng(250, 200, (x, y, c) => (c === 0 ? x : c === 1 ? 255 - y : 30)));

function classify(...args) {
  const run = spawnSync(cli, ['classify', '--model', model, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: run.status, stderr: run.stderr, lines: run.stdout.trim().split('\n') };
}
const jsonLines = (run) => run.lines.map((line) => JSON.parse(line));

// The model's input size, as `cxr info` prints it ("input 192x192x1").
function modelInput() {
  const info = spawnSync(cli, ['info', model], { encoding: 'utf8' });
  const match = /input\s+(\d+)x(\d+)x\d+/.exec(info.stdout);
  assert.ok(match, `cxr info printed no input size:\n${info.stdout}${info.stderr}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

function checkHeatmap(result, input) {
  const { heatmap } = result;
  assert.ok(heatmap, `no heatmap in ${result.file}`);
  assert.deepEqual(Object.keys(heatmap), ['width', 'height', 'values']);
  assert.equal(heatmap.width, input.width);
  assert.equal(heatmap.height, input.height);
  assert.equal(heatmap.values.length, input.width * input.height);
  let peak = 0;
  for (const v of heatmap.values) {
    assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `heat map value ${v} is not a finite number in [0, 1]`);
    peak = Math.max(peak, v);
  }
  return peak;
}

test('each JSON result carries the heat map, sized to the model input, finite', () => {
  const input = modelInput();
  const run = classify('--json', '--heatmap', '--ood', 'warn', film);
  assert.equal(run.status, 0, run.stderr);
  const [result] = jsonLines(run);
  assert.equal(result.ok, true);
  assert.equal(result.image.width, 250);
  const peak = checkHeatmap(result, input);
  // The core scales the positive evidence so that its peak is 1 (all zero when there is none).
  assert.ok(peak === 0 || peak === 1, `peak ${peak}`);
});

test('a real film gets a heat map with positive evidence', (t) => {
  const real = join(data, 'chest_xray_224', 'test', 'PNEUMONIA', 'person101_bacteria_483.jpeg');
  if (!existsSync(real)) return t.skip(`${real} not found (set CXR_DATA_DIR to the folder holding chest_xray_224)`);
  const run = classify('--json', '--heatmap', real);
  assert.equal(run.status, 0, run.stderr);
  const [result] = jsonLines(run);
  assert.notEqual(result.verdict, 'WITHHELD');
  assert.equal(checkHeatmap(result, modelInput()), 1);
});

test('no heat map for a withheld film, nor without --heatmap', () => {
  const withheld = jsonLines(classify('--json', '--heatmap', colour));
  assert.equal(withheld[0].verdict, 'WITHHELD');
  assert.equal('heatmap' in withheld[0], false);
  // The same colour film shown with --ood warn does carry one: what hides it is the withholding.
  assert.ok('heatmap' in jsonLines(classify('--json', '--heatmap', '--ood', 'warn', colour))[0]);
  const plain = jsonLines(classify('--json', '--ood', 'warn', film));
  assert.equal('heatmap' in plain[0], false);
});

test('CSV and the table are unchanged, and --heatmap outside --json is refused', () => {
  const csv = classify('--csv', '--ood', 'warn', film);
  assert.equal(csv.status, 0, csv.stderr);
  assert.equal(csv.lines[0], 'file,ok,verdict,decision,class,probability_positive,threshold,uncertain,ood_flagged,out_of_scope,' +
    'ood_score,model,model_version,total_ms,notes,error,calibration');
  assert.equal(csv.lines.length, 2);
  for (const format of [['--csv'], []]) {
    const refused = classify(...format, '--heatmap', film);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--heatmap adds the heat map to --json output/);
  }
});
