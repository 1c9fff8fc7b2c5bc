// Site calibration on the page's side (issue 16): which label each dropped
// film has, the requests that carry films' scores to the core (every number
// is computed by the wasm core, cxr/calibration.h: nothing here does the
// maths), the active calibration kept in IndexedDB, and the words.

export const MODEL_DEFAULT = 'model default';
const DB = 'cxr-site', STORE = 'calibration', KEY = 'active', VERSION = 1;

// The class a film's path names: the nearest folder called after a class
// (case-insensitive); -1 for none.
export function classFromPath(path, classes) {
  const parts = String(path).split('/').slice(0, -1).reverse();
  for (const part of parts) {
    const k = classes.findIndex((c) => c.toLowerCase() === part.toLowerCase());
    if (k >= 0) return k;
  }
  return -1;
}

// A CSV of file,label (a header row allowed): Map from file name (and path)
// to class index, and the lines it could not use.
export function labelsFromCsv(text, classes) {
  const labels = new Map(), problems = [];
  String(text).split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const comma = line.lastIndexOf(',');
    const unquote = (s) => s.trim().replace(/^"(.*)"$/, '$1');
    const file = unquote(line.slice(0, Math.max(0, comma))), label = unquote(line.slice(comma + 1));
    const k = classes.findIndex((c) => c.toLowerCase() === label.toLowerCase());
    if (comma < 0) problems.push({ path: `labels line ${i + 1}`, reason: 'not a line file,label' });
    else if (k >= 0) labels.set(file, k);
    else if (i > 0) problems.push({ path: file, reason: `its label "${label}" is not ${classes.join(' or ')}` });
  });
  return { labels, problems };
}

// Dropped or picked files ({file, path}) as labelled films: from a CSV among
// them, else from NORMAL/ and PNEUMONIA/ folders. readText(file) reads a CSV.
export async function labelFilms(list, info, readText = (f) => f.text()) {
  const classes = info.classes;
  const csvs = list.filter((x) => /\.csv$/i.test(x.path));
  const images = list.filter((x) => !/\.csv$/i.test(x.path));
  const films = [], refused = [];
  let byCsv = null;
  for (const c of csvs) {
    const { labels, problems } = labelsFromCsv(await readText(c.file), classes);
    byCsv ??= new Map();
    for (const [k, v] of labels) byCsv.set(k, v);
    refused.push(...problems);
  }
  for (const x of images) {
    const name = x.path.split('/').pop();
    const k = byCsv ? (byCsv.get(x.path) ?? byCsv.get(name) ?? classFromPath(x.path, classes)) : classFromPath(x.path, classes);
    if (x.error) refused.push({ path: x.path, reason: x.error });
    else if (k < 0) refused.push({ path: x.path, reason: `no label: it is not in a ${classes.join('/ or ')}/ folder${byCsv ? ' nor in the CSV' : ''}` });
    else films.push({ file: x.file, path: x.path, size: x.file.size, positive: k === info.positiveClass });
  }
  const problem = films.length ? null
    : `No labelled film: drop a folder with ${classes.map((c) => `${c}/`).join(' and ')} subfolders, or the films with a CSV of file,label.`;
  return { films, refused, problem };
}

// After classification: which films count, and why the others do not.
export function usableFilms(films) {
  const used = [], refused = [], seen = new Map();
  for (const f of films) {
    const r = f.result;
    if (!r?.ok) refused.push({ path: f.path, reason: f.error ?? 'not classified' });
    else if (seen.has(f.sha256)) refused.push({ path: f.path, reason: `the same film as ${seen.get(f.sha256)}; counted once` });
    else if (r.ood?.flagged) {
      refused.push({ path: f.path, reason: `not like the films the model was trained on: ${r.ood.reasons.join(', ')}` });
    } else {
      seen.set(f.sha256, f.path);
      used.push(f);
    }
  }
  return { used, refused };
}

// The core's calibration (through a worker of the pool) on the films' scores.
export async function calibrateOnPool(pool, used, { target = 'sensitivity', value = 0.95, fitTemperature = false, date }) {
  const films = {
    probabilities: used.map((f) => f.result.positive_probability),
    logOdds: used.map((f) => f.result.positive_log_odds),
    positive: used.map((f) => f.positive),
    sha256: used.map((f) => f.sha256),
  };
  const request = { type: 'calibrate', films, options: { target, value, fitTemperature, date } };
  const { result } = await pool.classify(new ArrayBuffer(0), { request });
  return result;
}

// Whether the loaded model takes this record: {ok, label, record} or {ok: false, error}.
export async function checkSite(pool, json) {
  const { result } = await pool.classify(new ArrayBuffer(0), { request: { type: 'check-site', json } });
  return result;
}

export const today = () => new Date().toISOString().slice(0, 10);

// ------------------------------------------------------------------- words

const pct = (x) => `${(100 * x).toFixed(1)}%`;
export const rateText = (p) => `${pct(p.value)} (95% CI ${pct(p.low)} to ${pct(p.high)}; ${p.count} of ${p.total})`;

export function temperatureWords(report, info) {
  if (!report.temperatureFitted) return '';
  const pos = info.classes[info.positiveClass], neg = info.classes[1 - info.positiveClass];
  const sure = report.temperature > 1
    ? 'too sure of themselves: the site probabilities are pulled towards 50%'
    : 'not sure enough: the site probabilities are pushed away from 50%';
  return `On these films the model's probabilities are ${sure} (temperature ${report.temperature.toFixed(2)}), `
    + `and shifted towards ${report.bias >= 0 ? pos : neg} (bias ${report.bias >= 0 ? '+' : ''}${report.bias.toFixed(2)} in log-odds).`;
}

export function changesText(report, info) {
  const pos = info.classes[info.positiveClass], neg = info.classes[1 - info.positiveClass];
  const c = report.changes;
  const parts = [];
  if (c.nowPositiveCorrect) parts.push(`${c.nowPositiveCorrect} ${pos} film(s) missed at the default would be caught`);
  if (c.nowPositiveWrong) parts.push(`${c.nowPositiveWrong} ${neg} film(s) would be flagged ${pos} wrongly`);
  if (c.nowNegativeCorrect) parts.push(`${c.nowNegativeCorrect} ${neg} film(s) flagged at the default would be cleared`);
  if (c.nowNegativeWrong) parts.push(`${c.nowNegativeWrong} ${pos} film(s) would now be missed`);
  return parts.length ? `On these films: ${parts.join('; ')}.` : 'On these films no decision would change.';
}

// --------------------------------------------------------------- the store

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// The active site calibration of this browser profile: {json, label, savedAt}.
export class SiteStore {
  constructor(indexedDB = globalThis.indexedDB) {
    this.idb = indexedDB;
  }

  async #store(mode) {
    if (!this.idb) throw new Error('IndexedDB is not available in this browser');
    const open = this.idb.open(DB, VERSION);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    const db = await request(open);
    return db.transaction(STORE, mode).objectStore(STORE);
  }

  async load() {
    return (await request((await this.#store('readonly')).get(KEY))) ?? null;
  }

  async save(json, label) {
    const entry = { json, label, savedAt: new Date().toISOString() };
    await request((await this.#store('readwrite')).put(entry, KEY));
    return entry;
  }

  async clear() {
    await request((await this.#store('readwrite')).delete(KEY));
  }
}
