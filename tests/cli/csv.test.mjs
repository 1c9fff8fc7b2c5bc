// One CSV rule for the CLI and the page: `cxr classify --csv` writes each text
// cell as the page's csvCell (web/app/js/lib/csv.js) does — a cell that a
// spreadsheet would run as a formula starts with an apostrophe, and a cell
// with a comma, quote or line break is quoted. File names a user could drop
// in are the cells here; the CLI is run in their folder so that the name as
// given is the cell. Run by ctest (cli/CMakeLists.txt) with CXR_CLI and
// CXR_MODEL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvCell, parseCsv } from '../../web/app/js/lib/csv.js';
import { grayPng } from '../support/fixtures.mjs';

const cli = process.env.CXR_CLI ?? 'build/native/cli/cxr';
const model = process.env.CXR_MODEL ?? 'models/pneumonia.cxrm';

const names = ['plain.png', '=HYPERLINK("x").png', '+1.png', '-2.png', '@sum.png', '\ttab.png',
  'a,b.png', 'say "hi".png', '=a,"b".png'];

test('the CLI CSV quotes and guards file names as the page CSV does', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cxr-csv-'));
  const film = grayPng(64, 64, (x, y) => (x * 5 + y * 3) & 255);
  for (const name of names) writeFileSync(join(folder, name), film);
  writeFileSync(join(folder, '=broken.png'), film.subarray(0, 40));
  const run = spawnSync(cli, ['classify', '--csv', '--model', model, ...names, '=broken.png'],
    { cwd: folder, encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);  // the truncated film fails; the rest complete
  const lines = run.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, names.length + 2);
  for (const [i, name] of [...names, '=broken.png'].entries()) {
    assert.ok(lines[i + 1].startsWith(`${csvCell(name)},`), `${lines[i + 1]} should start with ${csvCell(name)}`);
  }
  const rows = parseCsv(run.stdout);
  const header = rows[0];
  const broken = Object.fromEntries(header.map((h, i) => [h, rows.at(-1)[i]]));
  assert.equal(broken.file, "'=broken.png");
  assert.equal(broken.ok, 'false');
  assert.match(broken.error, /truncated|corrupt/i);
  assert.equal(csvCell(broken.error), broken.error.includes(',') ? `"${broken.error}"` : broken.error);
});
