// CSV for results and the audit log: RFC 4180 quoting, and text cells that a
// spreadsheet would run as a formula (=, +, -, @, tab, CR) are prefixed with an
// apostrophe, so a file named "=HYPERLINK(...)" stays text.

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells) {
  return cells.map(csvCell).join(',');
}

// rows: array of arrays; the header first. CRLF line ends as RFC 4180 says.
export function toCsv(header, rows) {
  return [csvRow(header), ...rows.map(csvRow)].join('\r\n') + '\r\n';
}

// A small RFC 4180 reader (used by tests and by nothing in the page).
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

import { verdict } from './wording.js';

const round = (x, digits) => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toFixed(digits)) : '');

export const RESULT_COLUMNS = [
  'file', 'sha256', 'model_name', 'model_version', 'model_checksum', 'positive_class', 'verdict', 'probability',
  'threshold', 'decision', 'uncertain', 'ood_flagged', 'out_of_scope', 'ood_score', 'ood_reasons', 'warnings',
  'error', 'classified_at', 'total_ms', 'calibration',
];

// items: the page's per-file records; model: the classifier's info(); policy:
// what the page does with OOD-flagged films (a withheld output stays out of
// the export too).
export function resultsCsv(items, model, policy = 'withhold') {
  const positive = model?.classes?.[model.positiveClass] ?? '';
  const rows = items.map((it) => {
    const r = it.result?.ok ? it.result : null;
    const v = verdict(r, model, policy), shown = r && v.showOutput;
    return [
      it.name, it.sha256 ?? '', model?.name ?? '', model?.version ?? '', model?.checksum ?? '', positive,
      r ? v.label : '', shown ? round(r.positive_probability, 6) : '', r ? round(r.threshold, 6) : '',
      shown ? r.decision : '', r ? !!r.uncertain : '', r ? !!r.ood?.flagged : '', r ? !!r.ood?.out_of_scope : '',
      r ? round(r.ood?.score ?? undefined, 4) : '', r ? (r.ood?.reasons ?? []).join('; ') : '',
      r ? (r.warnings ?? []).join('; ') : '', it.error ?? '', it.finishedAt ?? '', r ? round(r.timings_ms?.total, 1) : '',
      r?.calibration ?? '',
    ];
  });
  return toCsv(RESULT_COLUMNS, rows);
}

export const AUDIT_COLUMNS = [
  'time', 'sha256', 'file_name', 'model', 'ok', 'verdict', 'decision', 'probability', 'threshold', 'ood_flagged',
  'out_of_scope', 'ood_reasons', 'warnings', 'error', 'calibration',
];

export function auditCsv(entries) {
  return toCsv(AUDIT_COLUMNS, entries.map((e) => [
    e.time, e.sha256, e.fileName ?? '', e.model, e.ok, e.verdict ?? '', e.decision ?? '', e.probability ?? '',
    e.threshold ?? '', e.oodFlagged ?? '', e.outOfScope ?? '', (e.oodReasons ?? []).join('; '), (e.warnings ?? []).join('; '), e.error ?? '',
    e.calibration ?? '',
  ]));
}
