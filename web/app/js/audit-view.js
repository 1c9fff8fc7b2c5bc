// The audit log: a record for every file classified (lib/audit.js, in
// IndexedDB), the dialog that lists it, its CSV, the names opt-in and
// clearing it.
import { $, el, download, stamp } from './dom.js';
import { state } from './state.js';
import { AuditLog, auditEntry, NAMES_OPT_IN_KEY } from './lib/audit.js';
import { auditCsv } from './lib/csv.js';
import { percent } from './lib/format.js';

const audit = new AuditLog();

export function recordAudit(item) {
  if (!state.info || (!item.sha256 && !item.result)) return;
  const recordNames = localStorage.getItem(NAMES_OPT_IN_KEY) === '1';
  audit.add(auditEntry({ item, info: state.info, recordNames, policy: state.oodPolicy, time: item.finishedAt })).catch((err) => {
    console.warn('audit log:', err);
  });
}

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

export function wireAudit() {
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
