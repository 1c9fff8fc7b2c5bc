// Batch resilience (issue 5, item 7), end to end in Debian's Chromium: one
// 500-file batch (CXR_WEB_BATCH overrides) through the file input mixing
// good films (real 224 px JPEGs when ../shared/data is present, else
// synthetic PNGs), good DICOM (bare and
// Part 10, with and without an extension), corrupt and wrong-type files, and
// "huge" ones (headers claiming 60000x60000, a 39.99 Mpx PNG whose data stops
// after 16 rows, DICOM frame counts that overflow). Every good file must be
// classified, every bad one reported with its reason, no worker of the pool
// may die (no restarts), and the wasm heap in use must return to its level
// before the batch. Then a smaller batch through one worker and through a pool
// of three: the same rows, finished in drop order. bench/web_bench.mjs times
// a batch both ways; this one asserts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../../web/serve.mjs';
import { WEB_DIR, DATA_DIR, HAVE_DATA, browserSkipReason, grayPng, launchBrowser } from './helpers.mjs';
import { pngHeader, shortPng, dicom } from '../support/fixtures.mjs';

const skip = browserSkipReason();
const BATCH = Number(process.env.CXR_WEB_BATCH ?? 500);
let server, browser, page, work;
const problems = [];

before(async () => {
  if (skip) return;
  server = await serve({ root: WEB_DIR, port: 0 });
  browser = await launchBrowser({ profile: 'cxr-batch-chromium-', viewport: { width: 1280, height: 800 } });
  work = mkdtempSync(join(tmpdir(), 'cxr-batch-files-'));
  ({ page } = browser);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function runBatch(files) {
  const paths = files.map((f) => {
    writeFileSync(join(work, f.name), f.bytes);
    return join(work, f.name);
  });
  const before = await page.$$eval('#results-body tr', (trs) => trs.length);
  await page.setInputFiles('#file-input', paths);
  await page.waitForFunction((n) => document.body.dataset.busy === 'false'
    && document.querySelectorAll('#results-body tr[data-status=done], #results-body tr[data-status=error]').length >= n,
  before + files.length, { timeout: 900_000, polling: 500 });
  return page.$$eval('#results-body tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th.file').textContent, {
    status: tr.dataset.status, decision: tr.children[3].textContent, notes: tr.querySelector('td.notes').textContent,
  }])));
}

test(`a ${BATCH}-file batch of good, corrupt, huge and DICOM files: all accounted for, the worker survives, the wasm heap returns`, { skip, timeout: 1_200_000 }, async () => {
  await page.goto(server.url);
  await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });

  const good = [];
  if (HAVE_DATA) {
    for (const cls of ['NORMAL', 'PNEUMONIA']) {
      const dir = join(DATA_DIR, 'chest_xray_224', 'val', cls);
      for (const f of readdirSync(dir).filter((n) => /\.jpe?g$/i.test(n)).sort().slice(0, 10)) good.push({ name: `${cls}-${f}`, bytes: readFileSync(join(dir, f)) });
    }
  } else {
    for (let i = 0; i < 20; i++) good.push({ name: `film-${i}.png`, bytes: grayPng(224, 224, i + 1) });
  }
  for (let i = 0; i < 8; i++) good.push({ name: `synthetic-${i}.png`, bytes: grayPng(160 + 8 * i, 200, 40 + i) });
  for (let i = 0; i < 4; i++) good.push({ name: `bare-${i}.dcm`, bytes: dicom({ seed: i + 1 }) });
  for (let i = 0; i < 4; i++) good.push({ name: `IM-000${i}`, bytes: dicom({ part10: true, rows: 120, columns: 100, seed: i + 2 }) });

  // Warm-up: the classifier sizes its buffers on the first films; the heap in
  // use after it is the baseline.
  let rows = await runBatch(good.slice(0, 3).map((f) => ({ ...f, name: `warm-${f.name}` })));
  const baseline = Number(await page.getAttribute('body', 'data-wasm-heap'));
  assert.ok(baseline > 0, 'the app reports the wasm heap in use');

  const bad = [];
  const film = good[0].bytes;
  for (let i = 0; i < 4; i++) bad.push({ name: `truncated-${i}${i % 2 ? '' : '.jpeg'}`, bytes: film.subarray(0, Math.floor(film.length * (i + 1) / 6)) });
  bad.push({ name: 'empty.jpg', bytes: Buffer.alloc(0) });
  bad.push({ name: 'report.jpg', bytes: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n') });
  bad.push({ name: 'archive.jpg', bytes: Buffer.from([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, ...new Array(30).fill(0)]) });
  bad.push({ name: 'notes.jpg', bytes: Buffer.from('patient list, not an x-ray\n') });
  bad.push({ name: 'flipped.jpeg', bytes: Buffer.from(film.map((b, i) => (i > 600 && i % 7 === 0 ? b ^ 0x5a : b))) });
  bad.push({ name: 'bomb-60000.png', bytes: Buffer.from(pngHeader(60000, 60000)) });
  bad.push({ name: 'bomb-60000.jpg', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xea, 0x60, 0xea, 0x60, 1, 1, 0x11, 0]) });
  bad.push({ name: 'bomb-16000.png', bytes: Buffer.from(pngHeader(16000, 16000)) });
  for (let i = 0; i < 3; i++) bad.push({ name: `huge-short-${i}.png`, bytes: shortPng({ width: 16384, height: 2441 - i }) });
  bad.push({ name: 'frames-overflow.dcm', bytes: dicom({ rows: 4000, columns: 4000, frames: '2147483647', pixelBytes: 4096 }) });
  bad.push({ name: 'frames-overflow-2', bytes: dicom({ rows: 4000, columns: 4000, frames: '4294967295', pixelBytes: 4096, part10: true }) });
  bad.push({ name: 'dicom-65535.dcm', bytes: dicom({ rows: 65535, columns: 65535, pixelBytes: 4096 }) });
  bad.push({ name: 'dicom-short.dcm', bytes: dicom({ pixelBytes: 100 }) });
  assert.equal(bad.length, 19);
  const expected = {
    'empty.jpg': /empty|0 bytes/i, 'report.jpg': /PDF/, 'archive.jpg': /ZIP/, 'notes.jpg': /text/i,
    'bomb-60000.png': /60000x60000/, 'bomb-60000.jpg': /60000x60000/, 'bomb-16000.png': /16000x16000/,
    'huge-short-0.png': /PNG/, 'frames-overflow.dcm': /DICOM/, 'frames-overflow-2': /DICOM/, 'dicom-65535.dcm': /65535x65535/,
    'dicom-short.dcm': /DICOM/,
  };

  // Interleave so that bad files sit between good ones.
  const files = [];
  for (let i = 0; i < Math.max(good.length, bad.length); i++) {
    if (good[i]) files.push(good[i]);
    if (bad[i]) files.push(bad[i]);
  }
  // ... then the same mix again under other names (a re-exported folder) up
  // to BATCH files, ending on a good 224 px film.
  const mix = files.map((f) => ({ ...f, original: f.name }));
  files.length = 0;
  files.push(...mix);
  for (let i = 0; files.length < BATCH - 1; i++) {
    const f = mix[i % mix.length];
    files.push({ ...f, name: `copy-${i}-${f.original}` });
  }
  files.push({ ...mix[0], name: `last-${mix[0].original}` });
  const badNames = new Set(bad.map((f) => f.name));

  rows = await runBatch(files);
  let refused = 0;
  for (const f of files) {
    const row = rows[f.name];
    if (!badNames.has(f.original)) {
      assert.equal(row?.status, 'done', `${f.name}: ${row?.notes}`);
      // Read and classified; the small synthetic DICOMs are withheld by the
      // OOD gate's size check, which is a verdict too.
      assert.match(row.decision, /^(NORMAL|PNEUMONIA|UNCERTAIN|WITHHELD)$/, f.name);
      if (row.decision === 'WITHHELD') assert.match(row.notes, /Unlike the training X-rays: it is very small/, f.name);
      continue;
    }
    refused++;
    assert.equal(row?.status, 'error', `${f.name} was not refused: ${JSON.stringify(row)}`);
    assert.ok(row.notes.length > 10, `${f.name} says why`);
    if (expected[f.original]) assert.match(row.notes, expected[f.original], f.name);
  }
  assert.equal(Number(await page.getAttribute('body', 'data-restarts') ?? 0), 0, 'the worker never died');
  const heap = Number(await page.getAttribute('body', 'data-wasm-heap'));
  console.log(`# batch of ${files.length}: ${files.length - refused} classified, ${refused} refused; wasm heap in use ${(baseline / 1048576).toFixed(1)} MB after warm-up, ${(heap / 1048576).toFixed(1)} MB after the batch`);
  // The last file is a good 224 px film: its buffers are the warm-up's.
  assert.ok(heap <= baseline + 1024 * 1024, `wasm heap in use ${heap} after the batch vs ${baseline} before`);
  assert.deepEqual(problems, []);
});

// The rows in table order (drop order unless a header was clicked): #, file,
// status, decision, probability, notes; not the time column.
const tableRows = () => page.$$eval('#results-body tr', (trs) => trs.map((tr) => {
  const [seq, name, decision, probability, notes] = [1, 2, 3, 4, 5].map((i) => tr.children[i].textContent);
  return [seq, name, tr.dataset.status, decision, probability, notes];
}));

test('a batch through the pool of workers gives the same rows, in drop order, as one worker', { skip, timeout: 600_000 }, async () => {
  // Slow films (full-resolution originals, or large PNGs) among quick ones
  // and broken files, so that the workers finish out of drop order.
  const quick = [], slow = [];
  if (HAVE_DATA) {
    for (const cls of ['NORMAL', 'PNEUMONIA']) {
      const val = join(DATA_DIR, 'chest_xray_224', 'val', cls);
      for (const f of readdirSync(val).filter((n) => /\.jpe?g$/i.test(n)).sort().slice(0, 8)) quick.push({ name: `val-${f}`, bytes: readFileSync(join(val, f)) });
    }
    const fullres = join(DATA_DIR, 'chest_xray_fullres_samples', 'test', 'NORMAL');
    for (const f of readdirSync(fullres).filter((n) => /\.jpe?g$/i.test(n)).sort().slice(0, 4)) slow.push({ name: `big-${f}`, bytes: readFileSync(join(fullres, f)) });
  } else {
    for (let i = 0; i < 16; i++) quick.push({ name: `small-${i}.png`, bytes: grayPng(200, 180, i + 1) });
    for (let i = 0; i < 4; i++) slow.push({ name: `big-${i}.png`, bytes: grayPng(1600, 1400, i + 1) });
  }
  assert.ok(quick.length >= 8 && slow.length >= 2, `films to work with: ${quick.length} quick, ${slow.length} slow`);
  const files = [];
  quick.forEach((film, i) => {
    if (i % 4 === 0 && slow[i / 4]) files.push(slow[i / 4]);
    files.push(film);
    if (i % 5 === 2) files.push({ name: `broken-${i}.jpeg`, bytes: film.bytes.subarray(0, 300) });
  });
  const warm = quick.slice(0, 6).map((f) => ({ ...f, name: `warm-${f.name}` }));
  const rowsWith = async (workers) => {
    await page.goto(`${server.url}?workers=${workers}`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
    // A first batch starts the pool's workers; the second finds them all
    // ready, so the quick films overtake the slow first one.
    await runBatch(warm);
    await page.waitForFunction((n) => Number(document.body.dataset.workers) >= n, workers, { timeout: 120_000 });
    await page.click('#clear');
    // The order in which rows turn finished (the page's results, as shown).
    await page.evaluate(() => {
      window.finishedOrder = [];
      new MutationObserver((changes) => {
        for (const { target } of changes) {
          const name = target.querySelector?.('th.file')?.textContent;
          if (['done', 'error'].includes(target.dataset.status) && !window.finishedOrder.includes(name)) window.finishedOrder.push(name);
        }
      }).observe(document.getElementById('results-body'), { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    });
    await runBatch(files);
    return {
      rows: await tableRows(), workers: Number(await page.getAttribute('body', 'data-workers')),
      finished: await page.evaluate(() => window.finishedOrder),
      // The viewer shows the first film whose result came in.
      shown: await page.textContent('#detail-name'),
    };
  };
  const one = await rowsWith(1);
  const pool = await rowsWith(3);
  assert.equal(one.workers, 1);
  assert.equal(pool.workers, 3);
  // Nothing lost or reordered: one row per file, in drop order, numbered on
  // from the warm-up's.
  assert.deepEqual(pool.rows.map(([seq, name]) => [seq, name]), files.map((f, i) => [String(warm.length + i + 1), f.name]));
  for (const [, name, status, decision] of pool.rows) {
    assert.equal(status, name.startsWith('broken-') ? 'error' : 'done', name);
    if (status === 'done') assert.match(decision, /^(NORMAL|PNEUMONIA|UNCERTAIN|WITHHELD)$/, name);
  }
  // ... and the same decisions, probabilities and notes as with one worker.
  assert.deepEqual(pool.rows, one.rows);
  // The results came in in drop order, though quick films on one worker
  // overtake slow ones on another: rows turn finished in drop order, and the
  // viewer shows the first film (a slow one).
  assert.deepEqual(pool.finished, files.map((f) => f.name));
  assert.equal(files[0], slow[0]);
  assert.equal(pool.shown, files[0].name);
  assert.equal(one.shown, files[0].name);
  assert.deepEqual(problems, []);
});
