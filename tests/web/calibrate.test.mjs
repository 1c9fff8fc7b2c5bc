// "Check the model on your films" end to end in Chromium (issue 16), on the
// app built with the random-weight fixture: a labelled folder of real films
// (plus a damaged file and a colour photo) is measured, a threshold chosen
// and saved; the classifier then names the calibration in its result, CSV and
// audit log; the export is the CLI's record for the same films (threshold to
// 1e-6); a fresh browser profile imports it (and refuses a foreign or broken
// one); every request of both profiles is recorded: none carries film data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../../web/serve.mjs';
import { parseCsv, RESULT_COLUMNS, AUDIT_COLUMNS } from '../../web/app/js/lib/csv.js';
import { rgbPng } from '../support/fixtures.mjs';
import { WEB_DIR, DATA_DIR, SCREENSHOTS, HAVE_DATA, NO_DATA, browserSkipReason, launchBrowser } from './helpers.mjs';

const skip = browserSkipReason() || (HAVE_DATA ? false : NO_DATA);
const T = { timeout: 240_000 };
const CLI = process.env.CXR_CLI ?? 'build/native/cli/cxr';

let server, root, folder;
const profiles = [];
const serverLog = [], browserLog = [], problems = [];
const filmBytes = [];  // every film handed to the page, to look for in requests

async function openProfile() {
  const { context, page, close } = await launchBrowser({
    profile: 'cxr-chromium-site-', viewport: { width: 1280, height: 900 }, acceptDownloads: true, serviceWorkers: 'allow',
  });
  context.on('request', (r) => browserLog.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  profiles.push(close);
  return page;
}

const ready = (page) => page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });

before(async () => {
  if (skip) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await serve({
    root: WEB_DIR, port: 0,
    onRequest: (req) => serverLog.push({ method: req.method, url: req.url,
      body: Number(req.headers['content-length'] ?? 0) > 0 || 'transfer-encoding' in req.headers }),
  });
  // 30 films of each class from the test split, a damaged JPEG and a colour photo.
  root = mkdtempSync(join(tmpdir(), 'cxr-site-films-'));
  folder = join(root, 'clinic');
  for (const label of ['NORMAL', 'PNEUMONIA']) {
    mkdirSync(join(folder, label), { recursive: true });
    const dir = join(DATA_DIR, 'chest_xray_224', 'test', label);
    for (const f of readdirSync(dir).sort().slice(0, 30)) {
      copyFileSync(join(dir, f), join(folder, label, f));
      filmBytes.push(readFileSync(join(dir, f)));
    }
  }
  writeFileSync(join(folder, 'NORMAL', 'damaged.jpeg'), readFileSync(join(folder, 'NORMAL', readdirSync(join(folder, 'NORMAL'))[0])).subarray(0, 900));
  writeFileSync(join(folder, 'PNEUMONIA', 'holiday.png'), rgbPng(300, 300, (x, y, c) => (c === 0 ? x % 256 : c === 1 ? 255 - (y % 256) : 40)));
});

after(async () => {
  for (const close of profiles) await close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

let exported, label, page;

test('measure a labelled folder, choose the threshold, save it', { skip, ...T }, async () => {
  page = await openProfile();
  await page.goto(new URL('calibrate.html', server.url).href);
  await ready(page);
  assert.match(await page.textContent('#active-label'), /^model default$/);
  await page.setInputFiles('#folder-input', folder);
  await page.waitForSelector('body[data-calibrated=yes]', { timeout: 180_000 });
  const used = await page.textContent('#films-used');
  assert.match(used, /^60 films used \(PNEUMONIA 30, NORMAL 30\); 2 left out\.$/);
  const refused = await page.$$eval('#refused li', (lis) => lis.map((li) => li.textContent));
  assert.ok(refused.some((r) => /damaged\.jpeg: .*(truncated|corrupt|damaged)/i.test(r)), refused.join('\n'));
  assert.ok(refused.some((r) => /holiday\.png: not like the films the model was trained on: .*colour/.test(r)), refused.join('\n'));
  assert.ok(await page.isVisible('#few-films'), 'fewer than 100 films of a class: warned');
  assert.match(await page.textContent('#auc-text'), /^AUC \d\.\d{3} \(95% CI \d\.\d{3} to \d\.\d{3}, 2000 bootstrap resamples\)/);
  assert.match(await page.textContent('#default-sens'), /^\d+\.\d% \(95% CI \d+\.\d% to \d+\.\d%; \d+ of 30\)$/);
  assert.ok(await page.$eval('#roc-chart polyline', (p) => p.getAttribute('points').split(' ').length) >= 2);
  assert.ok(await page.$$eval('#reliability-chart circle', (c) => c.length) >= 1);
  const at95 = await page.textContent('#site-threshold');
  assert.match(await page.textContent('#site-sens'), /of 30\)$/);
  // Another target: a new threshold, still from the core.
  await page.fill('#target-value', '80');
  await page.$eval('#target-form', (f) => f.dispatchEvent(new Event('change')));
  await page.waitForFunction((old) => document.getElementById('site-threshold').textContent !== old, at95);
  await page.fill('#target-value', '95');
  await page.$eval('#target-form', (f) => f.dispatchEvent(new Event('change')));
  await page.waitForFunction((old) => document.getElementById('site-threshold').textContent === old, at95);
  assert.match(await page.textContent('#changes'), /^On these films/);
  // A wrong film shows its heat map on click.
  if (await page.$('#wrong li button')) {
    await page.click('#wrong li button >> nth=0');
    await page.waitForSelector('#wrong-view:not([hidden])');
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'calibrate-1280.png'), fullPage: true });
  await page.click('#save-site');
  await page.waitForSelector('body[data-calibration=site]');
  label = await page.textContent('#active-label');
  assert.match(label, /^site calibration of \d{4}-\d\d-\d\d, 60 films$/);
});

test('a folder without labels, or with one class only, is refused with what to do', { skip, ...T }, async () => {
  const unlabelled = join(root, 'unlabelled', 'films');
  const one = join(root, 'one-class', 'PNEUMONIA');
  mkdirSync(unlabelled, { recursive: true });
  mkdirSync(one, { recursive: true });
  const dir = join(folder, 'PNEUMONIA');
  for (const f of readdirSync(dir).filter((n) => n.startsWith('person')).slice(0, 3)) {
    copyFileSync(join(dir, f), join(unlabelled, f));
    copyFileSync(join(dir, f), join(one, f));
  }
  await page.setInputFiles('#folder-input', join(root, 'unlabelled'));
  await page.waitForFunction(() => /No labelled film: drop a folder with NORMAL\/ and PNEUMONIA\/ subfolders/.test(document.getElementById('status').textContent));
  await page.setInputFiles('#folder-input', join(root, 'one-class'));
  await page.waitForSelector('body[data-calibrated=refused]', { timeout: 60_000 });
  assert.match(await page.textContent('#status'), /cannot be calibrated on these films: only 0 NORMAL film\(s\) \(3 PNEUMONIA\): a site calibration needs at least 20/);
  assert.ok(await page.isHidden('#results'));
  assert.equal(await page.textContent('#active-label'), label, 'the saved calibration is untouched');
});

test('the classifier uses it and names it in the result, CSV and audit log', { skip, ...T }, async () => {
  await page.goto(server.url);
  await ready(page);
  await page.waitForSelector('body[data-calibration=site]');
  assert.equal(await page.textContent('#calibration-badge'), label);
  const film = join(folder, 'NORMAL', readdirSync(join(folder, 'NORMAL')).sort()[1]);
  await page.setInputFiles('#file-input', film);
  await page.waitForFunction(() => document.body.dataset.busy === 'false' && document.querySelector('#results-body tr[data-status=done]'));
  assert.match(await page.textContent('#detail-meaning'), new RegExp(`Threshold from this site's own films \\(${label}\\)`));
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const rows = parseCsv(readFileSync(await csv.path(), 'utf8'));
  assert.equal(rows[1][RESULT_COLUMNS.indexOf('calibration')], label);
  await page.click('#audit-open');
  await page.waitForFunction(() => /1 record/.test(document.getElementById('audit-count').textContent));
  const [audit] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export')]);
  const log = parseCsv(readFileSync(await audit.path(), 'utf8'));
  assert.equal(log[1][AUDIT_COLUMNS.indexOf('calibration')], label);
  await page.click('#audit-close');
});

test('export: the same record as the CLI on the same films', { skip, ...T }, async () => {
  await page.goto(new URL('calibrate.html', server.url).href);
  await ready(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-site')]);
  exported = join(root, 'site.json');
  copyFileSync(await download.path(), exported);
  const record = JSON.parse(readFileSync(exported, 'utf8'));
  assert.equal(record.schema, 'cxr-site-calibration');
  assert.equal(record.films.count, 60);
  if (!existsSync(CLI)) return console.log(`# ${CLI} not built: the page's record is not compared with the CLI's`);
  const out = join(root, 'cli-site.json');
  const run = spawnSync(CLI, ['calibrate', '--model', join(WEB_DIR, 'model.cxrm'), '--labels', folder, '--date', record.date,
    '--out', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const cli = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(Math.abs(cli.threshold - record.threshold) <= 1e-6, `CLI ${cli.threshold}, page ${record.threshold}`);
  assert.equal(cli.films.sha256_of_sorted_sha256s, record.films.sha256_of_sorted_sha256s);
  assert.deepEqual(cli.films.per_class, record.films.per_class);
});

test('a fresh profile imports it; a foreign or broken file is refused; one click back to default', { skip, ...T }, async () => {
  const fresh = await openProfile();
  await fresh.goto(new URL('calibrate.html', server.url).href);
  await ready(fresh);
  assert.equal(await fresh.textContent('#active-label'), 'model default');
  const record = JSON.parse(readFileSync(exported, 'utf8'));
  const foreign = join(root, 'foreign.json');
  writeFileSync(foreign, JSON.stringify({ ...record, model: { name: 'cxr-pneumonia', version: '9.0.0', crc32: '0badf00d' } }));
  await fresh.setInputFiles('#import-input', foreign);
  await fresh.waitForSelector('body[data-site-import=refused]');
  assert.match(await fresh.textContent('#site-message'), /Not imported: this site calibration was made for the model cxr-pneumonia 9\.0\.0 \(crc32 0badf00d\), but the model in use is random-resnet18/);
  const broken = join(root, 'broken.json');
  writeFileSync(broken, '{"schema": "cxr-site-calibration", "version": 1, "thr');
  await fresh.setInputFiles('#import-input', broken);
  await fresh.waitForFunction(() => /not a valid site calibration file/.test(document.getElementById('site-message').textContent));
  assert.equal(await fresh.textContent('#active-label'), 'model default');
  await fresh.setInputFiles('#import-input', exported);
  await fresh.waitForSelector('body[data-site-import=ok][data-calibration=site]');
  assert.equal(await fresh.textContent('#active-label'), label);
  await fresh.goto(server.url);
  await ready(fresh);
  await fresh.waitForSelector('body[data-calibration=site]');
  assert.equal(await fresh.textContent('#calibration-badge'), label);
  await fresh.goto(new URL('calibrate.html', server.url).href);
  await ready(fresh);
  await fresh.click('#reset-default');
  await fresh.waitForSelector('body[data-calibration=none]');
  await fresh.goto(server.url);
  await ready(fresh);
  assert.equal(await fresh.textContent('#calibration-badge'), 'model default');
});

test('no request carried film data, in either profile', { skip, ...T }, async () => {
  const origin = new URL(server.url).origin;
  const needles = filmBytes.map((b) => b.subarray(200, 232));  // a slice from inside each film
  for (const r of browserLog) {
    if (r.url.startsWith('blob:') || r.url.startsWith('data:')) continue;
    assert.equal(new URL(r.url).origin, origin, `request to another origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.ok(!r.body || !needles.some((n) => r.body.includes(n)), `${r.url} carried film bytes`);
    assert.equal(r.body, null, `${r.url} had a body`);
  }
  for (const r of serverLog) {
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.equal(r.body, false, `${r.url} reached the server with a body`);
    assert.ok(!/NORMAL|PNEUMONIA|person|IM-/.test(r.url), `${r.url} names a film`);
  }
  assert.deepEqual(problems, [], 'no console errors');
});
