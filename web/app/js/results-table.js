// The results table: one row per file (its cells, drawn a few at a time with
// the batch line, lib/screen-updates.js), sorting, keyboard moves between
// rows, thumbnails for rows in view, the batch line and its announcements,
// and the results' CSV and printed summary.
import { $, el, announce, download, stamp } from './dom.js';
import { state, view } from './state.js';
import { ScreenUpdates } from './lib/screen-updates.js';
import { RowsInView } from './lib/rows-in-view.js';
import { browserCanShow, kindLabel } from './lib/sniff.js';
import { sortItems, nextSort } from './lib/sort.js';
import { resultsCsv } from './lib/csv.js';
import { percent, batchSummary } from './lib/format.js';
import { thresholdMeaning, positiveName, checksSentence, oodNote } from './lib/wording.js';
import { modelId } from './lib/audit.js';

// What a click or a key on a row does (the viewer's select, given by
// wireTable: the viewer draws rows too, so it imports this module).
let selectRow = () => {};

// Rows and the batch line, drawn together (lib/screen-updates.js).
export const screen = new ScreenUpdates({
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
export const rowsInView = new RowsInView({ root: $('table-wrap'), onVisible: (item) => showThumbnail(item) });
export function showThumbnail(item) {
  if (!item.finishedAt || item.thumbUrl || !item.file || !browserCanShow(item.kind)) return;
  item.thumbUrl = URL.createObjectURL(item.file);
  screen.changed(item);
}

export function updateBatch() {
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

export function batchDone() {
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
  const p = `${positiveName(state.info).toLowerCase()} probability ${percent(r.positive_probability)}`;
  return `${item.name}: ${v.label}, ${p}.${r.ood?.flagged ? ` ${checksSentence(r, state.oodPolicy)}` : ''}`;
}

function probabilityCell(item) {
  const r = item.result;
  if (!r?.ok) return el('span', { class: 'muted', text: item.status === 'error' ? '—' : '' });
  if (!view(item).showOutput) return el('span', { class: 'muted', text: 'withheld' });
  const bar = el('span', { class: 'mini-bar', 'aria-hidden': 'true' },
    el('span', { class: `mini-fill ${r.decision === positiveName(state.info) ? 'pos' : 'neg'}` }),
    el('span', { class: 'mini-threshold' }));
  bar.firstChild.style.width = `${(r.positive_probability * 100).toFixed(1)}%`;
  bar.lastChild.style.left = `${(r.threshold * 100).toFixed(1)}%`;
  return el('span', { class: 'prob-cell' }, bar, el('span', { text: percent(r.positive_probability) }));
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
  if (item.result?.ood?.flagged) w.unshift(oodNote(item.result.ood));
  const bits = [];
  if (item.kind && item.kind !== 'jpeg' && item.kind !== 'png' && item.status !== 'done') bits.push(kindLabel(item.kind));
  return el('span', { class: `notes-text ${w.length ? 'warn-text' : 'muted'}`, text: [...w, ...bits].join('; ') });
}

function thumbCell(item) {
  if (!item.thumbUrl) return el('span', { class: 'thumb none', text: item.kind ? kindLabel(item.kind) : '…' });
  return el('img', { class: 'thumb', src: item.thumbUrl, alt: '', loading: 'lazy', decoding: 'async' });
}

export function updateRow(item) {
  let tr = item.row;
  if (!tr) {
    tr = el('tr', { 'data-id': item.id, tabIndex: -1 });
    tr.addEventListener('click', () => selectRow(item, { focus: true }));
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
    el('td', { class: 'col-time num', text: item.result?.ok ? `${Math.round(item.result.timings_ms.total)} ms` : '' }),
  );
  if (state.selected === item) tr.setAttribute('aria-current', 'true');
  else tr.removeAttribute('aria-current');
}

export function renderTable() {
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

export function ensureRovingFocus() {
  const rows = [...$('results-body').rows];
  const target = state.selected?.row ?? rows[0];
  for (const r of rows) r.tabIndex = r === target ? 0 : -1;
}

async function exportResults() {
  // Every row's SHA-256 is in the CSV: wait for any still being computed.
  const hashing = state.items.map((i) => i.hashing).filter(Boolean);
  if (hashing.length) await Promise.all(hashing);
  const finished = state.items.filter((i) => i.status === 'done' || i.status === 'error');
  download(`cxr-results-${stamp()}.csv`, resultsCsv(sortItems(finished, state.sort.key, state.sort.direction), state.info, state.oodPolicy));
}

function printSummary() {
  $('print-meta').textContent = `cxr summary, printed ${new Date().toLocaleString()}. Model ${modelId(state.info)}. `
    + `${state.batch.done} files. Operating point: ${state.site?.label ?? 'model default'}. Decision support, not for diagnosis: a clinician must read every film. `
    + (state.info ? thresholdMeaning(state.info) : '');
  window.print();
}

// select(item, { focus }): the viewer's, for a row clicked or chosen by key.
export function wireTable({ select }) {
  selectRow = select;
  $('export-csv').addEventListener('click', exportResults);
  $('print').addEventListener('click', printSummary);
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
      selectRow(byRow(rows[to]), { focus: true });
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      selectRow(byRow(rows[i]), { focus: true });
      $('viewer').scrollIntoView({ block: 'nearest' });
    }
  });
}
