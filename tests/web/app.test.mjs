// End to end in Debian's Chromium: the app built with the random-weight
// fixture model (make test-web), served by web/serve.mjs on a free port.
// Every request the browser makes, and every request that reaches the
// server, is recorded from start to finish and checked at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, existsSync, copyFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../../web/serve.mjs';
import { CSP, CSP_META } from '../../web/security.mjs';
import { parseCsv, RESULT_COLUMNS, AUDIT_COLUMNS } from '../../web/app/js/lib/csv.js';
import { MAX_WORKERS } from '../../web/app/js/lib/worker-pool.js';
import { rgbPng } from '../support/fixtures.mjs';
import { WEB_DIR, DATA_DIR, FIXTURES, SCREENSHOTS, HAVE_DATA, NO_DATA, browserSkipReason, grayPng, launchBrowser } from './helpers.mjs';

const skip = browserSkipReason();
const dataSkip = skip || (HAVE_DATA ? false : NO_DATA);
const T = { timeout: 120_000 };

let server, browser, context, page, origin, modelInfo, precached;
const serverLog = [];   // every request that reached the server
const browserLog = [];  // every request the browser made (pages, workers, service worker)
// Folders the page was given files from: removed at the very end, since the
// page makes a row's thumbnail from its file whenever the row scrolls into view.
const folders = [];
const problems = [];    // console errors and uncaught page errors
const sent = new Map(); // file name -> bytes handed to the page
const marks = {};

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const shot = (name) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });

function pick(dir, n) {
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().slice(0, n).map((f) => join(dir, f));
}

// Hands files to the page the way a drop (or a paste) does: a DataTransfer on
// a drop (paste) event.
async function dropFiles(files, how = 'drop') {
  for (const f of files) sent.set(f.name, f.bytes);
  await page.evaluate(([list, how]) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of list) {
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
    }
    if (how === 'paste') {
      document.body.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
      return;
    }
    const zone = document.getElementById('drop');
    zone.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, [files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') })), how]);
}

async function waitFinished(count) {
  await page.waitForFunction((n) => document.body.dataset.busy === 'false'
    && document.querySelectorAll('#results-body tr[data-status=done], #results-body tr[data-status=error]').length >= n, count, { timeout: 90_000 });
}

function rowsByName() {
  return page.$$eval('#results-body tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th.file').textContent, {
    status: tr.dataset.status, decision: tr.children[3].textContent, notes: tr.querySelector('td.notes').textContent,
  }])));
}

before(async () => {
  if (skip) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  modelInfo = JSON.parse(readFileSync(join(WEB_DIR, 'model-info.json'), 'utf8'));
  precached = new Set(JSON.parse(readFileSync(join(WEB_DIR, 'precache-manifest.json'), 'utf8')).files.map((f) => f.url));
  server = await serve({
    root: WEB_DIR, port: 0,
    onRequest: (req) => serverLog.push({ t: Date.now(), method: req.method, url: req.url,
      body: Number(req.headers['content-length'] ?? 0) > 0 || 'transfer-encoding' in req.headers }),
  });
  origin = new URL(server.url).origin;
  browser = await launchBrowser({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, serviceWorkers: 'allow' });
  ({ context, page } = browser);
  context.on('request', (r) => browserLog.push({ t: Date.now(), url: r.url(), method: r.method(), body: r.postDataBuffer(),
    sw: !!r.serviceWorker(), type: r.resourceType() }));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const root of folders) rmSync(root, { recursive: true, force: true });
});

test('opens: model loaded, notices shown, CSP as header and meta tag, test model flagged', { skip, ...T }, async () => {
  const t0 = Date.now();
  const response = await page.goto(server.url);
  assert.equal(response.headers()['content-security-policy'], CSP);
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');
  assert.equal(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content'), CSP_META);
  await page.waitForSelector('body[data-state=ready][data-offline=ready]', { timeout: 90_000 });
  marks.ready = Date.now();
  marks.readyServer = serverLog.length;
  console.log(`# page ready (service worker installed, wasm + ${(modelInfo.fileBytes / 1048576).toFixed(0)} MB model loaded) in ${Date.now() - t0} ms`);
  // Chromium checks for a new service worker (GET /sw.js) about a second
  // after the classifier worker's script was loaded; from then on the page
  // must be silent.
  for (let i = 0; i < 30 && !serverLog.slice(marks.readyServer).some((r) => r.url === '/sw.js'); i++) await new Promise((r) => setTimeout(r, 100));
  marks.quietServer = serverLog.length;
  marks.quietBrowser = browserLog.length;
  assert.match(await page.textContent('#model-badge'), new RegExp(`${modelInfo.name} ${modelInfo.version} · ${modelInfo.checksum}`));
  assert.ok(await page.isVisible('#test-model-banner'), 'a random-weight model must be flagged');
  assert.match(await page.textContent('#test-model-banner'), /TEST MODEL — random weights/);
  const notice = await page.textContent('.notice');
  assert.match(notice, /Decision support, not for diagnosis/);
  assert.match(notice, /Images stay on this device/);
  assert.match(await page.textContent('#status'), /Ready/);
  assert.ok(await page.isVisible('#results-empty'));
  await shot('01-empty-1280x800');
});

test('drop real X-rays: decisions, heat map, the browser agrees with the native CLI; bad files fail alone', { skip: dataSkip, ...T }, async () => {
  const val = join(DATA_DIR, 'chest_xray_224', 'val');
  const films = [...pick(join(val, 'NORMAL'), 2), ...pick(join(val, 'PNEUMONIA'), 2)];
  const files = films.map((p) => ({ name: basename(p), bytes: readFileSync(p) }));
  const jpeg = readFileSync(films[0]);
  files.push({ name: 'IM-0001', bytes: readFileSync(films[3]) });                 // extensionless, from a CD
  files.push({ name: 'truncated.jpeg', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 3)) });
  files.push({ name: 'report.pdf', bytes: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n') });
  await dropFiles(files);
  // Thumbnails appear before the classifier is done with the batch.
  await page.waitForSelector('#results-body tr img.thumb', { timeout: 10_000 });
  await waitFinished(files.length);
  const rows = await rowsByName();
  for (const f of files.slice(0, 5)) {
    assert.equal(rows[f.name]?.status, 'done', `${f.name}: ${rows[f.name]?.notes}`);
    assert.match(rows[f.name].decision, /^(NORMAL|PNEUMONIA)$/);
  }
  assert.equal(rows['truncated.jpeg'].status, 'error');
  assert.ok(rows['truncated.jpeg'].notes.length > 10, 'a truncated file says why');
  assert.equal(rows['report.pdf'].status, 'error');
  assert.match(rows['report.pdf'].notes, /PDF|not an image/i);
  assert.match(await page.textContent('#batch-text'), /7 of 7 done · 2 could not be read/);

  // The first good film is shown with its decision, bar and heat map.
  assert.match(await page.textContent('#detail-decision'), /^(NORMAL|PNEUMONIA)$/);
  assert.match(await page.textContent('#detail-sentence'), /probability \d+(\.\d)?% is (at or above|below) the threshold of 50%/);
  assert.match(await page.textContent('#detail-meaning'), /does not say how the threshold performed/);
  // Heat map: find a film whose map has evidence, check the overlay has colour.
  let drawn = false;
  for (const name of files.slice(0, 5).map((f) => f.name)) {
    await page.click(`#results-body .fname:text-is("${name}")`);
    await page.waitForFunction(() => ['drawn', 'flat', 'none'].includes(document.body.dataset.heatmap));
    await page.waitForFunction(() => document.getElementById('film-img').complete);
    if ((await page.getAttribute('body', 'data-heatmap')) !== 'drawn') continue;
    const alpha = await page.$eval('#film-heat', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(alpha > 0 && await page.isVisible('#film-heat'), 'the heat map is drawn over the film');
    drawn = true;
    break;
  }
  assert.ok(drawn, 'at least one film shows a heat map');
  await shot('02-results-1280x800');
  await page.screenshot({ path: join(SCREENSHOTS, '02-results-1280-full.png'), fullPage: true });
  await page.uncheck('#heat-toggle');
  assert.ok(!(await page.isVisible('#film-heat')), 'the toggle hides the heat map');
  await page.check('#heat-toggle');
  await page.fill('#heat-opacity', '25');
  assert.equal(await page.$eval('#film-heat', (c) => c.style.opacity), '0.25');

  // Same decisions and probabilities as the native CLI on the same files.
  const goldenPath = join(FIXTURES, 'golden-resnet18.jsonl');
  if (existsSync(goldenPath) && modelInfo.name === 'random-resnet18') {
    const golden = new Map(readFileSync(goldenPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((g) => [basename(g.file), g]));
    const probs = await page.evaluate(() => [...document.querySelectorAll('#results-body tr[data-status=done]')]
      .map((tr) => [tr.querySelector('th.file').textContent, tr.children[3].textContent, tr.children[4].textContent]));
    let compared = 0;
    for (const [name, decision, prob] of probs) {
      const g = golden.get(name);
      if (!g) continue;
      assert.equal(decision, g.decision, name);
      assert.ok(Math.abs(parseFloat(prob) - 100 * g.probabilities.PNEUMONIA) <= 1, `${name}: ${prob}`);
      compared++;
    }
    assert.ok(compared >= 4, `compared ${compared} films with the native CLI`);
  }
});

test('pick full-resolution originals with the file input', { skip: dataSkip, ...T }, async () => {
  const dir = join(DATA_DIR, 'chest_xray_fullres_samples', 'test');
  const paths = [...pick(join(dir, 'NORMAL'), 1), ...pick(join(dir, 'PNEUMONIA'), 1)];
  for (const p of paths) sent.set(basename(p), readFileSync(p));
  await page.setInputFiles('#file-input', paths);
  await waitFinished(9);
  const rows = await rowsByName();
  for (const p of paths) assert.equal(rows[basename(p)].status, 'done', basename(p));
  // Sorting by probability puts finished rows first, highest first.
  await page.click('th[data-sort=probability] button');
  assert.equal(await page.getAttribute('th[data-sort=probability]', 'aria-sort'), 'descending');
  const probs = await page.$$eval('#results-body tr[data-status=done] td:nth-child(5)', (tds) => tds.map((td) => parseFloat(td.textContent)));
  assert.deepEqual(probs, [...probs].sort((a, b) => b - a));
  const statuses = await page.$$eval('#results-body tr', (trs) => trs.map((tr) => tr.dataset.status));
  assert.deepEqual(statuses, [...statuses].sort((a, b) => (a === 'done' ? 0 : 1) - (b === 'done' ? 0 : 1)));
  // Keyboard: arrows move the selection through the table.
  await page.focus('#results-body tr[tabindex="0"]');
  const before = await page.textContent('#detail-name');
  await page.keyboard.press('ArrowDown');
  assert.notEqual(await page.textContent('#detail-name'), before);
  await page.click('th[data-sort=order] button');
});

test('choose a folder: walked with sub-folders, hidden files skipped, paths kept', { skip: dataSkip, ...T }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'cxr-folder-'));
  folders.push(root);
  const study = join(root, 'study');
  mkdirSync(join(study, 'series2'), { recursive: true });
  const films = pick(join(DATA_DIR, 'chest_xray_224', 'val', 'NORMAL'), 4).slice(2);
  copyFileSync(films[0], join(study, 'IMG0001'));
  copyFileSync(films[1], join(study, 'series2', 'IMG0002'));
  writeFileSync(join(study, '.DS_Store'), 'junk');
  for (const f of ['IMG0001', 'series2/IMG0002']) sent.set(`study/${f}`, readFileSync(join(study, f)));
  await page.setInputFiles('#folder-input', study);
  await waitFinished(11);
  const rows = await rowsByName();
  assert.equal(rows['study/IMG0001']?.status, 'done');
  assert.equal(rows['study/series2/IMG0002']?.status, 'done');
  assert.ok(!Object.keys(rows).some((n) => n.includes('.DS_Store')), 'hidden files are skipped');
});

test('CSV export: one row per file with its SHA-256, the model id and the result', { skip: dataSkip, ...T }, async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.match(download.suggestedFilename(), /^cxr-results-.*\.csv$/);
  const rows = parseCsv(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(rows[0], RESULT_COLUMNS);
  const records = rows.slice(1).map((r) => Object.fromEntries(RESULT_COLUMNS.map((c, i) => [c, r[i]])));
  assert.equal(records.length, 11);
  for (const r of records) {
    assert.ok(sent.has(r.file), r.file);
    assert.equal(r.sha256, sha256(sent.get(r.file)), `${r.file}: hash`);
    assert.equal(r.model_name, modelInfo.name);
    assert.equal(r.model_version, modelInfo.version);
    assert.equal(r.model_checksum, modelInfo.checksum);
    if (r.error) {
      assert.equal(r.decision, '');
      assert.equal(r.probability, '');
    } else {
      assert.match(r.decision, /^(NORMAL|PNEUMONIA)$/);
      const p = Number(r.probability);
      assert.ok(p >= 0 && p <= 1);
      assert.equal(r.decision, p >= Number(r.threshold) ? 'PNEUMONIA' : 'NORMAL');
      assert.ok(!Number.isNaN(Date.parse(r.classified_at)));
    }
  }
  assert.deepEqual(records.filter((r) => r.error).map((r) => r.file).sort(), ['report.pdf', 'truncated.jpeg']);
});

test('audit log: hashes and results, no file names unless opted in; export and clear', { skip: dataSkip, ...T }, async () => {
  await page.click('#audit-open');
  await page.waitForFunction(() => /11 records/.test(document.getElementById('audit-count').textContent));
  const names = await page.$$eval('#audit-body tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  assert.ok(names.length === 11 && names.every((n) => n === '—'), 'no file names by default');
  await shot('03-audit-1280x800');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export')]);
  const rows = parseCsv(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(rows[0], AUDIT_COLUMNS);
  const hashes = new Set([...sent.values()].map(sha256));
  for (const r of rows.slice(1)) {
    assert.ok(hashes.has(r[1]), 'every record carries the hash of a file that was classified');
    assert.equal(r[2], '');
    assert.match(r[3], new RegExp(`^${modelInfo.name} ${modelInfo.version} \\(${modelInfo.checksum}\\)$`));
  }
  await page.click('#audit-clear');
  await page.click('#audit-clear-confirm');
  await page.waitForFunction(() => /empty/.test(document.getElementById('audit-count').textContent));
  await page.click('#audit-close');
  marks.endQuietServer = serverLog.length;
  marks.endQuietBrowser = browserLog.length;
});

test('a worker that dies mid-batch is replaced and the batch finishes', { skip, ...T }, async () => {
  const files = [1, 2, 3, 4, 5].map((i) => ({ name: `synthetic-${i}.png`, bytes: grayPng(320, 288, i) }));
  // Earlier tests leave results only when they had real films to drop.
  if (await page.isVisible('#clear')) await page.click('#clear');
  await dropFiles(files);
  await page.waitForFunction(() => document.querySelectorAll('#results-body tr[data-status=done]').length >= 1, null, { timeout: 60_000 });
  const worker = page.workers().find((w) => w.url().endsWith('/js/worker.js'));
  assert.ok(worker, 'the classifier runs in a worker');
  await worker.evaluate(() => { setTimeout(() => { throw new Error('test: the worker dies'); }); });
  await waitFinished(files.length);
  const rows = await rowsByName();
  for (const f of files) assert.equal(rows[f.name].status, 'done', `${f.name}: ${rows[f.name].notes}`);
  assert.ok(Number(await page.getAttribute('body', 'data-restarts')) >= 1, 'the worker was restarted');
  for (let i = problems.length - 1; i >= 0; i--) if (/test: the worker dies/.test(problems[i])) problems.splice(i, 1);
});

test('a colour picture is withheld with the reason, and shown with a warning when the user chooses', { skip, ...T }, async () => {
  if (await page.isVisible('#clear')) await page.click('#clear');
  // A colourful 320x240 "photo": the core's colour check flags it.
  const photo = { name: 'holiday.png', bytes: Buffer.from(rgbPng(320, 240, (x, y, c) => [x, y, 255 - x][c] * 0.8)) };
  await dropFiles([photo, { name: 'film.png', bytes: grayPng(300, 300, 3) }]);
  await waitFinished(2);
  let rows = await rowsByName();
  assert.equal(rows['holiday.png'].decision, 'WITHHELD');
  assert.match(rows['holiday.png'].notes, /colour image/);
  assert.match(rows['film.png'].decision, /^(NORMAL|PNEUMONIA|UNCERTAIN)$/);
  await page.click('#results-body tr[data-id] th.file >> text=holiday.png');
  assert.equal(await page.textContent('#detail-decision'), 'WITHHELD');
  assert.match(await page.textContent('#detail-checks'), /does not look like a frontal chest X-ray .*colour image.*withheld/);
  assert.ok(await page.isHidden('#detail-bar'), 'no probability for a withheld result');
  assert.ok(await page.isHidden('#film-heat'), 'no heat map for a withheld result');
  await shot('08-withheld-1280x800');
  // The user's choice: show it with the warning (remembered across reloads).
  await page.selectOption('#ood-policy', 'warn');
  rows = await rowsByName();
  assert.match(rows['holiday.png'].decision, /^(NORMAL|PNEUMONIA)$/);
  assert.match(await page.textContent('#detail-checks'), /shown anyway: do not rely on it/);
  assert.ok(await page.isVisible('#detail-bar'));
  assert.equal(await page.evaluate(() => localStorage.getItem('cxr.oodPolicy')), 'warn');
  await page.selectOption('#ood-policy', 'withhold');
  assert.equal((await rowsByName())['holiday.png'].decision, 'WITHHELD');
  // The model file without OOD statistics says so on a film that passes.
  await page.click('#results-body tr[data-id] th.file >> text=film.png');
  assert.match(await page.textContent('#detail-checks'), /cannot check whether the film resembles its training films/);
});

test('printable summary, tablet layout and the model card', { skip, ...T }, async () => {
  await page.emulateMedia({ media: 'print' });
  await page.evaluate(() => document.getElementById('print-meta').textContent = 'cxr summary (print preview in the test)');
  await shot('04-print');
  assert.ok(!(await page.isVisible('#drop')), 'print hides the drop zone');
  assert.ok(await page.isVisible('#results-table'));
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot('05-tablet-768x1024');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at tablet width (${overflow}px)`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('a[href="model-card.html"] >> nth=0');
  await page.waitForSelector('body[data-state=ready]');
  const card = await page.textContent('main');
  assert.match(card, /doi:10\.17632\/rscbjbr9sj\.2/);
  assert.match(card, /CC BY 4\.0/);
  assert.match(card, /Kermany/);
  assert.match(card, /not available for this model/);
  assert.match(card, new RegExp(modelInfo.checksum));
  assert.ok(await page.isVisible('#test-model-banner'));
  await shot('06-model-card-1280x800');
  await page.goBack();
  await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
});

test('offline: network cut and server gone, the app reloads and still classifies (a pasted image)', { skip, ...T }, async () => {
  marks.offline = Date.now();
  marks.offlineServer = serverLog.length;
  await context.setOffline(true);
  await server.close();
  server = null;
  await page.reload();
  await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
  const files = [{ name: 'offline.png', bytes: grayPng(300, 300, 9) }];
  await dropFiles(files, 'paste');
  await waitFinished(1);
  assert.equal((await rowsByName())['offline.png'].status, 'done');
  assert.match(await page.textContent('#status'), /offline\.png: (NORMAL|PNEUMONIA)/);
  await shot('07-offline-1280x800');
  await context.setOffline(false);
});

test('every request, start to finish: same-origin GETs of the app\'s own files, no bodies, none after ready', { skip, ...T }, async () => {
  assert.ok(serverLog.length > 0 && browserLog.length > 0);
  const own = (path) => path === '/' || path === '/sw.js' || precached.has(path.slice(1));
  for (const r of serverLog) {
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.equal(r.body, false, `${r.url} had a body`);
    assert.ok(own(r.url), `${r.url} is not one of the app's files`);
  }
  for (const r of browserLog) {
    const u = new URL(r.url);
    if (u.protocol === 'blob:') {
      assert.equal(new URL(u.pathname).origin, origin, r.url);
      continue;
    }
    assert.equal(u.origin, origin, `request to another origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.equal(r.body, null, `${r.url} had a body`);
    assert.ok(own(u.pathname + u.search), `${r.url} is not one of the app's files`);
  }
  // The large files crossed the network once (not again for the offline copy,
  // nor for the restarted worker).
  for (const path of ['/model.cxrm', '/wasm/cxr.wasm']) {
    assert.equal(serverLog.filter((r) => r.url === path).length, 1, `${path} is downloaded once`);
  }
  // After ready, the only requests that reached the server were the
  // browser's own service-worker update checks (GET /sw.js, after loading the
  // worker, navigating to the model card and back, restarting the worker);
  // everything else came from the offline copy.
  const afterReady = serverLog.slice(marks.readyServer);
  if (marks.endQuietServer !== undefined) {
    // Dropping and classifying films, the heat map, the CSV export and the
    // audit log made no request of their own (blob: URLs are the page's own
    // in-memory thumbnails and downloads). Chromium's service-worker update
    // check (GET /sw.js, bodiless, checked above) runs on its own timer and
    // may land in this window on a busy machine; it is the browser's, not
    // the app's.
    const updateCheck = (path) => path === '/sw.js';
    assert.deepEqual(serverLog.slice(marks.quietServer, marks.endQuietServer).filter((r) => !updateCheck(r.url)), [],
      'no request reached the server while classifying');
    // The first batch that has files waiting starts the pool's further
    // workers (worker-pool.js): each loads the worker script, the wasm module
    // and the model from the offline copy (none of that reached the server:
    // checked just above), once.
    const window = browserLog.slice(marks.quietBrowser, marks.endQuietBrowser).filter((r) => !r.url.startsWith('blob:'));
    const workerFile = (path) => ['/js/worker.js', '/wasm/cxr.wasm', '/model.cxrm'].includes(path);
    const started = window.filter((r) => new URL(r.url).pathname === '/js/worker.js').length;
    assert.ok(started <= MAX_WORKERS - 1, `${started} further workers started while classifying`);
    const quiet = window.filter((r) => !updateCheck(new URL(r.url).pathname) && !workerFile(new URL(r.url).pathname));
    assert.deepEqual(quiet, [], 'the browser made no request while classifying');
  }
  assert.deepEqual(afterReady.filter((r) => r.url !== '/sw.js'), [], 'nothing but update checks after ready');
  assert.equal(serverLog.length, marks.offlineServer, 'nothing reached the server while offline');
  console.log(`# requests: ${serverLog.length} reached the server (${afterReady.length} after ready, all GET /sw.js), ${browserLog.length} seen by the browser`);
  assert.deepEqual(problems, [], 'no console errors');
});
