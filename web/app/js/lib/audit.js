// The local audit log: one IndexedDB record per classification, on this
// device only. A record holds the time, the file's SHA-256, the model's id and
// the result — never pixels, and the file name only if the user opted in
// (names can identify patients).

import { verdict } from './wording.js';

const DB = 'cxr-audit', STORE = 'events', VERSION = 1;
export const NAMES_OPT_IN_KEY = 'cxr.audit.recordFileNames';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function modelId(info) {
  return info ? `${info.name} ${info.version} (${info.checksum})` : '';
}

// The record for one finished file (pure: unit-tested).
export function auditEntry({ item, info, recordNames, policy = 'withhold', time = new Date().toISOString() }) {
  const r = item.result?.ok ? item.result : null;
  const v = verdict(r, info, policy), shown = r && v.showOutput;  // a withheld output is not logged either
  const e = {
    time,
    sha256: item.sha256 ?? '',
    model: modelId(info),
    ok: !!r,
    verdict: r ? v.label : null,
    decision: shown ? r.decision : null,
    probability: shown ? Number(r.positive_probability.toFixed(6)) : null,
    threshold: r ? r.threshold : null,
    calibration: r?.calibration ?? null,  // "model default" or "site calibration of ..." (issue 16)
    oodFlagged: r ? !!r.ood?.flagged : null,
    outOfScope: r ? !!r.ood?.out_of_scope : null,
    oodReasons: r ? [...(r.ood?.reasons ?? [])] : [],
    warnings: r ? [...(r.warnings ?? [])] : [],
    error: r ? null : item.error ?? 'not classified',
  };
  if (recordNames) e.fileName = item.name;
  return e;
}

export class AuditLog {
  constructor(indexedDB = globalThis.indexedDB) {
    this.idb = indexedDB;
    this.db = null;
  }

  async open() {
    if (this.db) return this.db;
    if (!this.idb) throw new Error('IndexedDB is not available in this browser');
    const req = this.idb.open(DB, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    };
    this.db = await request(req);
    return this.db;
  }

  async #tx(mode, fn) {
    const db = await this.open();
    const tx = db.transaction(STORE, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const [out] = await Promise.all([fn(tx.objectStore(STORE)), done]);
    return out;
  }

  add(entry) {
    return this.#tx('readwrite', (s) => request(s.add(entry)));
  }

  count() {
    return this.#tx('readonly', (s) => request(s.count()));
  }

  // Newest first.
  async list({ limit = Infinity } = {}) {
    return this.#tx('readonly', (s) => new Promise((resolve, reject) => {
      const out = [];
      const c = s.openCursor(null, 'prev');
      c.onerror = () => reject(c.error);
      c.onsuccess = () => {
        const cur = c.result;
        if (!cur || out.length >= limit) return resolve(out);
        out.push(cur.value);
        cur.continue();
      };
    }));
  }

  clear() {
    return this.#tx('readwrite', (s) => request(s.clear()));
  }
}
