// The page: intake (drop, pick, paste), the queue through the classifier
// workers (lib/batch.js), the results table and viewer, CSV/print/audit,
// offline set-up.
// The DOM is built with textContent only: file names are untrusted input.
import { classifierWorker, storeOffline } from './boot.js';
import { WorkerPool, workerCount } from './lib/worker-pool.js';
import { classifyInOrder, readBytes } from './lib/batch.js';
import { ScreenUpdates } from './lib/screen-updates.js';
import { RowsInView } from './lib/rows-in-view.js';
import { filesFromDataTransfer, filesFromInput } from './lib/files.js';
import { sniffKind, SNIFF_BYTES, browserCanShow, kindLabel } from './lib/sniff.js';
import { sortItems, nextSort } from './lib/sort.js';
import { resultsCsv, auditCsv } from './lib/csv.js';
import { percent, duration, EtaEstimator, batchSummary } from './lib/format.js';
import {
  thresholdMeaning, resultSentence, isTestModel, barLabel, positiveName, verdict, checksSentence, uncertainSentence,
  calibrationSentence, OOD_POLICIES,
} from './lib/wording.js';
import { heatmapPlacement, heatmapRgba } from './lib/heatmap.js';
import { AuditLog, auditEntry, modelId, NAMES_OPT_IN_KEY } from './lib/audit.js';
import { parseMetadata } from './lib/metrics.js';

// One classifier worker per core, or ?workers=N (to measure the pool
// against one worker).
const WORKERS = workerCount({ cores: navigator.hardwareConcurrency, forced: new URLSearchParams(location.search).get('workers') });
const OOD_POLICY_KEY = 'cxr.oodPolicy';
const $ = (id) => document.getElementById(id);

const state = {
  info: null,
  preprocess: null,
  items: [],
  nextSeq: 1,
  selected: null,
  sort: { key: 'order', direction: 'ascending' },
  pending: [],
  pumping: false,
  batch: { total: 0, done: 0, errors: 0 },
  eta: new EtaEstimator(0.3, WORKERS),
  lastAnnounce: 0,
  // What to do with films the OOD gate flags (wording.js OOD_POLICIES).
  oodPolicy: OOD_POLICIES.includes(localStorage.getItem(OOD_POLICY_KEY)) ? localStorage.getItem(OOD_POLICY_KEY) : 'withhold',
};

// Rows and the batch line, drawn together (lib/screen-updates.js).
const screen = new ScreenUpdates({
  busy: () => state.pending.length > 1,
  draw: (items) => {
    // Rows in drop order, so that results still turn up on screen in that
    // order; none for files cleared meanwhile (a revoked thumbnail).
    const live = new Set(state.items);
    for (const item of items.filter((it) => live.has(it)).sort((a, b) => a.seq - b.seq)) updateRow(item);
    if (state.sort.key !== 'order' && items.some((it) => it.finishedAt)) renderTable();
    updateBatch();
    if (items.some((it) => it.finishedAt)) performance.mark('cxr-decision-dom');
  },
});

// A finished film's thumbnail, made when its row is in view.
const rowsInView = new RowsInView({ root: $('table-wrap'), onVisible: (item) => showThumbnail(item) });
function showThumbnail(item) {
  if (!item.finishedAt || item.thumbUrl || !item.file || !browserCanShow(item.kind)) return;
  item.thumbUrl = URL.createObjectURL(item.file);
  screen.changed(item);
}

// The verdict shown for an item under the current policy; kept on the item
// so that sorting sees what the row shows.
function view(item) {
  const v = verdict(item.result?.ok ? item.result : null, state.info, state.oodPolicy);
  item.verdict = item.result?.ok ? v.label : undefined;
  return v;
}

const audit = new AuditLog();

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('aria-') || k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function setState(name, value) {
  document.body.dataset[name] = value;
}

function announce(text) {
  $('status').textContent = text;
}

// ---------------------------------------------------------------- classifier

const pool = new WorkerPool({
  size: WORKERS,
  createWorker: classifierWorker,
  onEvent: (e) => {
    // How many workers have loaded the model (the bench reports it).
    if (e.type === 'added' || (e.type === 'ready' && !document.body.dataset.workers)) setState('workers', String(e.workers ?? 1));
    if (e.type === 'crash') {
      setState('restarts', String(e.restarts));
      announce(`The classifier stopped (${e.why}); restarting it and going on with the batch.`);
    } else if (e.type === 'ready' && e.restarted) {
      announce('The classifier was restarted; the batch goes on.');
    }
  },
});

function showModel(info, loadMs) {
  state.info = info;
  state.preprocess = parseMetadata(info.metadata).preprocess ?? null;
  const id = `${info.name} ${info.version} · ${info.checksum}`;
  $('model-badge').textContent = `Model ${id}`;
  $('model-badge').title = `Loaded in ${Math.round(loadMs)} ms`;
  $('foot-model').textContent = modelId(info);
  $('test-model-banner').hidden = !isTestModel(info);
  document.body.classList.toggle('test-model', isTestModel(info));
}

// ------------------------------------------------------------------- intake

async function addFiles(list) {
  if (!list.length) return;
  if (!state.pumping) {
    state.batch = { total: 0, done: 0, errors: 0 };
    state.eta.reset();
  }
  const added = [];
  for (const { file, path, error } of list) {
    const item = {
      id: `f${state.nextSeq}`, seq: state.nextSeq++, file, name: path || file?.name || 'unnamed',
      size: file?.size ?? 0, kind: null, thumbUrl: null, status: 'queued', result: null, sha256: null,
      error: error ?? null, finishedAt: null, heat: null, row: null,
    };
    state.items.push(item);
    added.push(item);
    state.batch.total++;
  }
  renderTable();
  updateBatch();
  // An idle classifier starts on the first file at once: read all of it now.
  // Each file's kind (content, not extension) comes from the bytes read for
  // classifying it (batch.js). Thumbnails come later, once each file's
  // decision is on screen and its row is in view: decoding a film for a
  // thumbnail would compete with the classifier for the CPU.
  if (!state.pumping && added[0]?.file && !added[0].error) readBytes(added[0]);
  for (const item of added) {
    if (item.error) finish(item, null);
    else state.pending.push(item);
  }
  announce(`${added.length} file${added.length === 1 ? '' : 's'} added; classifying…`);
  pump();
}

// The file's kind from its first bytes: those kept when it was read, else
// (a file refused before reading, e.g. too large) a read of just those.
async function sniffItem(item) {
  if (!item.file) return;
  try {
    const head = item.head ?? new Uint8Array(await item.file.slice(0, SNIFF_BYTES).arrayBuffer());
    item.kind = sniffKind(head);
  } catch {
    item.kind = 'unknown';
  }
  screen.changed(item);
}

// After the frame that paints what has just changed (the decision), so that
// the slower, secondary work (film and thumbnail decoding, heat map) does
// not delay it.
function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

async function pump() {
  if (state.pumping) return;
  state.pumping = true;
  setState('busy', 'true');
  $('clear').disabled = true;
  try {
    await pool.start();
    state.eta.lap(performance.now());
    // Files added meanwhile join the batch; a last one added just as it ends
    // starts the next round here.
    while (state.pending.length) {
      await classifyInOrder({
        pool, pending: state.pending,
        started: (item) => {
          item.status = 'working';
          screen.changed(item);
        },
        finished: (item, heapBytes) => {
          if (heapBytes !== undefined) setState('wasmHeap', String(heapBytes));
          state.eta.lap(performance.now());
          finish(item, item.result);
        },
      });
    }
  } catch (err) {
    // The classifier could not start at all: every waiting file says so.
    for (const item of state.pending.splice(0)) {
      item.error = err?.message ?? String(err);
      finish(item, null);
    }
  } finally {
    screen.flush();
    state.pumping = false;
    setState('busy', 'false');
    $('clear').disabled = false;
    batchDone();
  }
}

function finish(item, result) {
  if (!item.kind) sniffItem(item);
  item.status = result?.ok ? 'done' : 'error';
  item.finishedAt = new Date().toISOString();
  state.batch.done++;
  if (!result?.ok) state.batch.errors++;
  screen.changed(item);
  // The decision, probability and threshold words go on screen with the next
  // draw (the next frame, for a film dropped alone); the film, heat map and
  // thumbnail follow after that frame is painted.
  if (!state.selected || (state.selected.status !== 'done' && result?.ok)) select(item, { focus: false, film: false });
  else if (state.selected === item) renderViewer({ film: false });
  afterPaint(() => {
    if (!state.items.includes(item)) return;
    if (state.selected === item) renderFilm(item);
    else if (rowsInView.has(item)) showThumbnail(item);
  });
  // The audit record waits for the file's hash (never written without it).
  const hashed = item.hashing ?? Promise.resolve();
  hashed.then(() => {
    item.hashing = null;
    if (state.selected === item) $('detail-sha').textContent = item.sha256 ?? '';
    if (item.file || item.sha256) recordAudit(item);
  });
}

function recordAudit(item) {
  if (!state.info || (!item.sha256 && !item.result)) return;
  const recordNames = localStorage.getItem(NAMES_OPT_IN_KEY) === '1';
  audit.add(auditEntry({ item, info: state.info, recordNames, policy: state.oodPolicy, time: item.finishedAt })).catch((err) => {
    console.warn('audit log:', err);
  });
}

function updateBatch() {
  const { total, done, errors } = state.batch;
  $('batch').hidden = state.items.length === 0;
  document.body.classList.toggle('has-items', state.items.length > 0);
  $('results-empty').hidden = state.items.length > 0;
  $('table-wrap').hidden = state.items.length === 0;
  $('print').disabled = !state.items.some((i) => i.status === 'done' || i.status === 'error');
  const progress = $('batch-progress');
  progress.max = Math.max(1, total);
  progress.value = done;
  const text = batchSummary({ total, done, errors, etaMs: state.eta.remainingMs(total - done) });
  $('batch-text').textContent = text;
  // Screen readers hear the batch every few seconds, not after every file.
  const now = performance.now();
  if (done < total && now - state.lastAnnounce > 5000) {
    state.lastAnnounce = now;
    announce(text);
  }
}

function batchDone() {
  const { total, done, errors } = state.batch;
  if (!total || done < total) return;
  const counts = {};
  for (const it of state.items) if (it.result?.ok) counts[view(it).label] = (counts[view(it).label] ?? 0) + 1;
  const parts = Object.entries(counts).map(([k, n]) => `${n} ${k}`);
  const one = total === 1 ? state.items[state.items.length - 1] : null;
  if (one?.result?.ok) announce(oneResultWords(one));
  else if (one) announce(`${one.name}: ${one.error}`);
  else announce(`Done: ${done - errors} of ${total} classified${parts.length ? ` (${parts.join(', ')})` : ''}${errors ? `; ${errors} could not be read` : ''}.`);
  updateBatch();
}

// What a screen reader hears for one finished film.
function oneResultWords(item) {
  const r = item.result, v = view(item);
  if (!v.showOutput) return `${item.name}: ${v.label}. ${checksSentence(r, state.oodPolicy)}`;
  const p = `${positiveName(state.info).toLowerCase()} probability ${percent(r.positiveProbability)}`;
  return `${item.name}: ${v.label}, ${p}.${r.ood?.flagged ? ` ${checksSentence(r, state.oodPolicy)}` : ''}`;
}

// -------------------------------------------------------------------- table

function probabilityCell(item) {
  const r = item.result;
  if (!r?.ok) return el('span', { class: 'muted', text: item.status === 'error' ? '—' : '' });
  if (!view(item).showOutput) return el('span', { class: 'muted', text: 'withheld' });
  const bar = el('span', { class: 'mini-bar', 'aria-hidden': 'true' },
    el('span', { class: `mini-fill ${r.decision === positiveName(state.info) ? 'pos' : 'neg'}` }),
    el('span', { class: 'mini-threshold' }));
  bar.firstChild.style.width = `${(r.positiveProbability * 100).toFixed(1)}%`;
  bar.lastChild.style.left = `${(r.threshold * 100).toFixed(1)}%`;
  return el('span', { class: 'prob-cell' }, bar, el('span', { text: percent(r.positiveProbability) }));
}

function statusCell(item) {
  if (item.status === 'queued') return el('span', { class: 'badge queued', text: 'Waiting' });
  if (item.status === 'working') return el('span', { class: 'badge working', text: 'Reading…' });
  if (item.status === 'error') return el('span', { class: 'badge error', text: 'Not read' });
  const v = view(item);
  return el('span', { class: `badge ${v.kind}`, text: v.label });
}

function notesCell(item) {
  if (item.status === 'error') return el('span', { class: 'notes-text error-text', text: item.error });
  const w = [...(item.result?.warnings ?? [])];
  if (item.result?.ood?.flagged) w.unshift(`Unlike the training X-rays: ${item.result.ood.reasons.join('; ')}`);
  const bits = [];
  if (item.kind && item.kind !== 'jpeg' && item.kind !== 'png' && item.status !== 'done') bits.push(kindLabel(item.kind));
  return el('span', { class: `notes-text ${w.length ? 'warn-text' : 'muted'}`, text: [...w, ...bits].join('; ') });
}

function thumbCell(item) {
  if (!item.thumbUrl) return el('span', { class: 'thumb none', text: item.kind ? kindLabel(item.kind) : '…' });
  return el('img', { class: 'thumb', src: item.thumbUrl, alt: '', loading: 'lazy', decoding: 'async' });
}

function updateRow(item) {
  let tr = item.row;
  if (!tr) {
    tr = el('tr', { 'data-id': item.id, tabIndex: -1 });
    tr.addEventListener('click', () => select(item, { focus: true }));
    item.row = tr;
    rowsInView.watch(tr, item);
  }
  tr.dataset.status = item.status;
  tr.replaceChildren(
    el('td', { class: 'col-thumb' }, thumbCell(item)),
    el('td', { class: 'num', text: String(item.seq) }),
    el('th', { scope: 'row', class: 'file', title: item.name }, el('span', { class: 'fname', text: item.name })),
    el('td', {}, statusCell(item)),
    el('td', {}, probabilityCell(item)),
    el('td', { class: 'notes' }, notesCell(item)),
    el('td', { class: 'col-time num', text: item.result?.ok ? `${Math.round(item.result.timingsMs.total)} ms` : '' }),
  );
  if (state.selected === item) tr.setAttribute('aria-current', 'true');
  else tr.removeAttribute('aria-current');
}

function renderTable() {
  const body = $('results-body');
  const rows = sortItems(state.items, state.sort.key, state.sort.direction).map((it) => {
    if (!it.row) updateRow(it);
    return it.row;
  });
  body.replaceChildren(...rows);
  for (const th of document.querySelectorAll('#results-table th[data-sort]')) {
    if (th.dataset.sort === state.sort.key) th.setAttribute('aria-sort', state.sort.direction);
    else th.removeAttribute('aria-sort');
  }
  ensureRovingFocus();
}

function ensureRovingFocus() {
  const rows = [...$('results-body').rows];
  const target = state.selected?.row ?? rows[0];
  for (const r of rows) r.tabIndex = r === target ? 0 : -1;
}

// ------------------------------------------------------------------- viewer

function select(item, { focus, film = true }) {
  const previous = state.selected;
  state.selected = item;
  previous?.row?.removeAttribute('aria-current');
  item.row?.setAttribute('aria-current', 'true');
  ensureRovingFocus();
  if (focus) item.row?.focus();
  renderViewer({ film });
}

// film: false leaves the film blank (the caller draws it after the next paint).
function renderViewer({ film = true } = {}) {
  const item = state.selected;
  $('viewer-empty').hidden = !!item;
  $('viewer-body').hidden = !item;
  if (!item) return;
  const info = state.info;
  const r = item.result?.ok ? item.result : null;
  $('detail-name').textContent = item.name;
  const decision = $('detail-decision');
  const v = view(item), shown = r && v.showOutput;
  decision.className = 'decision';
  if (r) {
    decision.textContent = v.label;
    decision.classList.add(v.kind);
  } else decision.textContent = item.status === 'error' ? 'Not classified' : 'Waiting…';
  const bar = $('detail-bar');
  bar.hidden = !shown;
  if (shown) {
    $('detail-fill').style.width = `${(r.positiveProbability * 100).toFixed(1)}%`;
    $('detail-fill').className = `prob-fill ${r.decision === positiveName(info) ? 'pos' : 'neg'}`;
    $('detail-threshold').style.left = `${(r.threshold * 100).toFixed(1)}%`;
    $('detail-threshold-label').textContent = `threshold ${percent(r.threshold)}`;
    bar.setAttribute('aria-label', barLabel(r, info));
  }
  $('detail-sentence').textContent = !shown ? '' : r.uncertain ? uncertainSentence(r, info) : resultSentence(r, info);
  $('detail-checks').textContent = r ? checksSentence(r, state.oodPolicy) : '';
  $('detail-checks').className = `checks${r?.ood?.flagged ? ' flagged' : ''}`;
  $('detail-meaning').textContent = shown && info ? `${calibrationSentence(r, info)} ${thresholdMeaning(info)}`.trim() : '';
  $('detail-warnings').replaceChildren(...(r?.warnings ?? []).map((w) => el('li', { text: w })));
  $('detail-error').hidden = item.status !== 'error';
  $('detail-error').textContent = item.error ?? '';
  $('detail-image').textContent = r
    ? `${r.imageWidth} × ${r.imageHeight}, ${r.imageBitDepth}-bit ${item.kind ? kindLabel(item.kind) : ''}`.trim()
    : item.kind ? kindLabel(item.kind) : '';
  $('detail-sha').textContent = item.hashing ? '' : item.sha256 ?? '';
  $('detail-time').textContent = r
    ? `${Math.round(r.timingsMs.total)} ms (decode ${r.timingsMs.decode.toFixed(0)}, inference ${r.timingsMs.inference.toFixed(0)}, heat map ${r.timingsMs.heatmap.toFixed(0)})`
    : '';
  if (film) renderFilm(item);
  else {
    // Never leave the previous film beside this decision.
    $('film-img').hidden = true;
    $('film-img').removeAttribute('src');
    $('film-heat').hidden = true;
    $('film-none').hidden = true;
  }
}

function renderFilm(item) {
  const img = $('film-img'), canvas = $('film-heat');
  if (!item.thumbUrl && item.file && browserCanShow(item.kind)) {
    item.thumbUrl = URL.createObjectURL(item.file);
    updateRow(item);
  }
  $('film-none').hidden = !!item.thumbUrl;
  img.hidden = !item.thumbUrl;
  img.alt = item.result?.ok ? `Chest X-ray ${item.name}, ${view(item).label}` : `Chest X-ray ${item.name}`;
  canvas.hidden = true;
  if (!item.thumbUrl) {
    img.removeAttribute('src');
    return;
  }
  const draw = () => {
    if (state.selected !== item) return;
    drawHeat(item, img.naturalWidth, img.naturalHeight);
  };
  if (img.getAttribute('src') !== item.thumbUrl) {
    img.onload = draw;
    img.onerror = () => { img.hidden = true; $('film-none').hidden = false; };
    img.src = item.thumbUrl;
  } else if (img.complete) draw();
}

function drawHeat(item, naturalWidth, naturalHeight) {
  const canvas = $('film-heat');
  const r = item.result;
  const none = !r?.ok || !item.heat || !r.heatmapWidth || !view(item).showOutput;
  $('heat-toggle').disabled = none;
  $('heat-opacity').disabled = none;
  $('heat-none').hidden = !(r?.ok && none && view(item).showOutput);
  if (none) {
    canvas.hidden = true;
    setState('heatmap', 'none');
    return;
  }
  const hw = r.heatmapWidth, hh = r.heatmapHeight;
  const src = document.createElement('canvas');
  src.width = hw;
  src.height = hh;
  src.getContext('2d').putImageData(new ImageData(heatmapRgba(item.heat), hw, hh), 0, 0);
  // The canvas covers the film box; the film sits in it "contained" (aspect
  // kept, centred), so the heat map is drawn into that same rectangle.
  const box = $('film');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(box.clientWidth * dpr));
  canvas.height = Math.max(1, Math.round(box.clientHeight * dpr));
  const k = Math.min(canvas.width / naturalWidth, canvas.height / naturalHeight);
  const fw = naturalWidth * k, fh = naturalHeight * k;
  const fx = (canvas.width - fw) / 2, fy = (canvas.height - fh) / 2;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const p = heatmapPlacement(state.preprocess, r.imageWidth, r.imageHeight, hw, hh);
  ctx.drawImage(src, p.sx, p.sy, p.sw, p.sh, fx + p.dx * fw, fy + p.dy * fh, p.dw * fw, p.dh * fh);
  let peak = 0;
  for (const v of item.heat) if (v > peak) peak = v;
  setState('heatmap', peak > 0 ? 'drawn' : 'flat');
  applyHeatControls();
}

function applyHeatControls() {
  const canvas = $('film-heat');
  const r = state.selected?.result;
  canvas.hidden = !($('heat-toggle').checked && r?.ok && state.selected.heat && view(state.selected).showOutput);
  canvas.style.opacity = String(Number($('heat-opacity').value) / 100);
}

// ------------------------------------------------------------------ exports

function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const stamp = () => new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');

async function exportResults() {
  // Every row's SHA-256 is in the CSV: wait for any still being computed.
  const hashing = state.items.map((i) => i.hashing).filter(Boolean);
  if (hashing.length) await Promise.all(hashing);
  const finished = state.items.filter((i) => i.status === 'done' || i.status === 'error');
  download(`cxr-results-${stamp()}.csv`, resultsCsv(sortItems(finished, state.sort.key, state.sort.direction), state.info, state.oodPolicy));
}

function printSummary() {
  $('print-meta').textContent = `cxr summary, printed ${new Date().toLocaleString()}. Model ${modelId(state.info)}. `
    + `${state.batch.done} files. Decision support, not for diagnosis: a clinician must read every film. `
    + (state.info ? thresholdMeaning(state.info) : '');
  window.print();
}

// -------------------------------------------------------------------- audit

async function renderAudit() {
  $('audit-names').checked = localStorage.getItem(NAMES_OPT_IN_KEY) === '1';
  try {
    const [count, entries] = await Promise.all([audit.count(), audit.list({ limit: 200 })]);
    $('audit-count').textContent = count === 0 ? 'The log is empty.'
      : `${count} record${count === 1 ? '' : 's'}${count > entries.length ? `; the newest ${entries.length} are shown` : ''}.`;
    $('audit-body').replaceChildren(...entries.map((e) => el('tr', {},
      el('td', { text: new Date(e.time).toLocaleString() }),
      el('td', { class: 'mono', text: e.sha256 ? `${e.sha256.slice(0, 16)}…` : '', title: e.sha256 }),
      el('td', { text: e.fileName ?? '—' }),
      el('td', { text: !e.ok ? `error: ${e.error}` : e.probability === null ? e.verdict ?? 'WITHHELD'
        : `${e.verdict ?? e.decision} (${percent(e.probability)})` }),
      el('td', { text: e.model }))));
  } catch (err) {
    $('audit-count').textContent = `The audit log cannot be read here: ${err?.message ?? err}`;
  }
}

async function exportAudit() {
  download(`cxr-audit-${stamp()}.csv`, auditCsv((await audit.list()).reverse()));
}

// -------------------------------------------------------------- offline, SW

// A first visit is taken over when the new service worker activates
// (claim): only a later change of controller is a new version.
function watchForUpdates() {
  if (!('serviceWorker' in navigator)) return;
  let firstController = navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (firstController && navigator.serviceWorker.controller !== firstController) $('update-banner').hidden = false;
    firstController ??= navigator.serviceWorker.controller;
  });
}

function showOffline(why) {
  setState('offline', why ? 'unavailable' : 'ready');
  $('offline-status').textContent = why
    ? `Offline use is not available here (${why}); the app works while this server can be reached.`
    : 'Works offline: the app and model are stored on this device.';
}

// -------------------------------------------------------------------- wiring

function wire() {
  const drop = $('drop');
  // Dropping anywhere on the page counts: a file dropped beside the zone
  // must not make the browser navigate away to it.
  let depth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; drop.classList.add('over'); });
  window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; drop.classList.remove('over'); } });
  window.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    drop.classList.remove('over');
    filesFromDataTransfer(e.dataTransfer).then(addFiles);
  });
  document.addEventListener('paste', (e) => {
    if (e.clipboardData?.files?.length) {
      e.preventDefault();
      filesFromDataTransfer(e.clipboardData).then(addFiles);
    }
  });
  $('pick-files').addEventListener('click', () => $('file-input').click());
  $('pick-folder').addEventListener('click', () => $('folder-input').click());
  for (const id of ['file-input', 'folder-input']) {
    $(id).addEventListener('change', (e) => {
      const list = filesFromInput(e.target.files);
      e.target.value = '';
      addFiles(list);
    });
  }
  $('heat-toggle').addEventListener('change', applyHeatControls);
  const policy = $('ood-policy');
  policy.value = state.oodPolicy;
  policy.addEventListener('change', () => {
    state.oodPolicy = policy.value;
    localStorage.setItem(OOD_POLICY_KEY, policy.value);
    for (const it of state.items) updateRow(it);
    renderTable();
    renderViewer();
  });
  // Redraw the overlay when the film box changes size (window, rotation).
  let lastSize = '';
  new ResizeObserver(() => {
    const f = $('film'), size = `${f.clientWidth}x${f.clientHeight}`;
    const img = $('film-img');
    if (size === lastSize || !state.selected || !img.complete || !img.naturalWidth) return;
    lastSize = size;
    drawHeat(state.selected, img.naturalWidth, img.naturalHeight);
  }).observe($('film'));
  $('heat-opacity').addEventListener('input', applyHeatControls);
  $('export-csv').addEventListener('click', exportResults);
  $('print').addEventListener('click', printSummary);
  $('reload').addEventListener('click', () => location.reload());
  $('clear').addEventListener('click', () => {
    if (state.pumping) return;
    // Stop any image still loading from a URL before it is revoked (the film
    // and thumbnails now load just after each decision, so one may be in flight).
    $('film-img').removeAttribute('src');
    $('film-img').onload = null;
    for (const img of $('results-body').querySelectorAll('img.thumb')) img.removeAttribute('src');
    for (const it of state.items) if (it.thumbUrl) URL.revokeObjectURL(it.thumbUrl);
    state.items = [];
    state.selected = null;
    state.batch = { total: 0, done: 0, errors: 0 };
    renderTable();
    renderViewer();
    updateBatch();
    announce('Results cleared.');
  });
  for (const th of document.querySelectorAll('#results-table th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      state.sort = nextSort(state.sort, th.dataset.sort);
      renderTable();
    });
  }
  $('results-body').addEventListener('keydown', (e) => {
    const rows = [...$('results-body').rows];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: rows.length - 1 }[e.key];
    const byRow = (tr) => state.items.find((it) => it.row === tr);
    if (to !== undefined && rows[to]) {
      e.preventDefault();
      select(byRow(rows[to]), { focus: true });
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(byRow(rows[i]), { focus: true });
      $('viewer').scrollIntoView({ block: 'nearest' });
    }
  });
  const dialog = $('audit-dialog');
  $('audit-open').addEventListener('click', () => { dialog.showModal(); renderAudit(); });
  $('audit-close').addEventListener('click', () => dialog.close());
  $('audit-names').addEventListener('change', (e) => localStorage.setItem(NAMES_OPT_IN_KEY, e.target.checked ? '1' : '0'));
  $('audit-export').addEventListener('click', exportAudit);
  $('audit-clear').addEventListener('click', () => { $('audit-clear-confirm').hidden = false; $('audit-clear-confirm').focus(); });
  $('audit-clear-confirm').addEventListener('click', async () => {
    $('audit-clear-confirm').hidden = true;
    await audit.clear();
    renderAudit();
  });
  dialog.addEventListener('close', () => { $('audit-clear-confirm').hidden = true; });
}

async function main() {
  wire();
  renderViewer();
  updateBatch();
  watchForUpdates();
  try {
    // The classifier worker was started by boot.js, before this script ran.
    await pool.start();
    performance.mark('cxr-classifier');
    performance.mark('cxr-ready');
    setState('state', 'ready');
    announce(state.items.length ? 'Classifier ready; classifying…' : 'Ready. Drop chest X-rays, or choose files or a folder.');
  } catch (err) {
    setState('state', 'error');
    storeOffline().then(showOffline);
    $('model-badge').textContent = 'No model loaded';
    announce(err?.message ?? String(err));
    return;
  }
  // Only now the offline copy (the service worker's install and storing the
  // files the page loaded), so that it does not slow the classifier's start.
  // Once it is stored (data-offline=ready) the page requests nothing more.
  showOffline(await storeOffline());
  performance.mark('cxr-offline');
}

pool.onEvent = ((inner) => (e) => {
  if (e.type === 'ready') {
    showModel(e.info, e.loadMs);
    setState('wasmHeap', String(e.heapBytes ?? ''));
  }
  inner(e);
})(pool.onEvent);

main();
