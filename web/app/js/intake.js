// Intake: files dropped, pasted or picked (one by one or a folder) join the
// queue, which is pumped through the classifier workers (lib/worker-pool.js,
// lib/batch.js) in drop order; each finished file goes to the table, the
// viewer and the audit log.
import { classifierWorker } from './boot.js';
import { $, setState, announce } from './dom.js';
import { WORKERS, state } from './state.js';
import { screen, rowsInView, showThumbnail, renderTable, updateBatch, batchDone } from './results-table.js';
import { select, renderViewer, renderFilm } from './viewer.js';
import { recordAudit } from './audit-view.js';
import { WorkerPool } from './lib/worker-pool.js';
import { classifyInOrder, readBytes } from './lib/batch.js';
import { filesFromDataTransfer } from './lib/files.js';
import { wireFilePickers } from './lib/file-pickers.js';
import { sniffKind, SNIFF_BYTES } from './lib/sniff.js';

export const pool = new WorkerPool({
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
    await state.siteReady;
    state.eta.lap(performance.now());
    // Files added meanwhile join the batch; a last one added just as it ends
    // starts the next round here.
    while (state.pending.length) {
      await classifyInOrder({
        pool, pending: state.pending, site: state.site?.json ?? '',
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

export function wireIntake() {
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
  wireFilePickers([
    { button: $('pick-files'), input: $('file-input') },
    { button: $('pick-folder'), input: $('folder-input') },
  ], addFiles);
}
