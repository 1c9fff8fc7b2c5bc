// "Check the model on your films" (issue 16): labelled films are classified
// by the worker pool (under the model default), then the core measures the
// model on them (lib/site-calibration.js carries the scores to it) and
// chooses a threshold for the user's target; the result can be kept on this
// device (IndexedDB), exported and imported. Nothing leaves the browser.
import { classifierWorker, storeOffline } from './boot.js';
import { $, el, setState, announce, download } from './dom.js';
import { WorkerPool, workerCount } from './lib/worker-pool.js';
import { classifyInOrder } from './lib/batch.js';
import { sniffKind } from './lib/sniff.js';
import { drawRoc, drawReliability, drawWrong } from './calibrate-view.js';
import { filesFromDataTransfer } from './lib/files.js';
import { wireFilePickers } from './lib/file-pickers.js';
import { isTestModel } from './lib/wording.js';
import { parseMetadata } from './lib/metrics.js';
import {
  MODEL_DEFAULT, SiteStore, labelFilms, usableFilms, calibrateOnPool, checkSite, today, rateText, temperatureWords,
  changesText,
} from './lib/site-calibration.js';

const pool = new WorkerPool({
  size: workerCount({ cores: navigator.hardwareConcurrency, forced: new URLSearchParams(location.search).get('workers') }),
  createWorker: classifierWorker,
});
const store = new SiteStore();
const page = { info: null, preprocess: null, used: [], refused: [], report: null, record: null, active: null, busy: false, asked: 0 };

// ------------------------------------------------------- the active record

function showActive() {
  const a = page.active;
  $('active-label').textContent = a ? a.label : MODEL_DEFAULT;
  $('active-detail').textContent = a ? `Threshold ${JSON.parse(a.json).threshold.toPrecision(4)}; saved ${a.savedAt.slice(0, 10)}.` : '';
  $('reset-default').disabled = !a;
  $('export-site').disabled = !a;
  setState('calibration', a ? 'site' : 'none');
}

async function keep(json, label) {
  page.active = await store.save(json, label);
  showActive();
}

async function importSite(file) {
  const text = await file.text();
  const checked = await checkSite(pool, text);
  if (!checked.ok) {
    $('site-message').textContent = `Not imported: ${checked.error}`;
    setState('siteImport', 'refused');
    return;
  }
  await keep(checked.record, checked.label);
  $('site-message').textContent = `Imported and in use on this device: ${checked.label}.`;
  setState('siteImport', 'ok');
}

// ------------------------------------------------------------ measuring

function showRefused(refused) {
  $('refused-box').hidden = !refused.length;
  $('refused-summary').textContent = `${refused.length} file(s) left out — why`;
  $('refused').replaceChildren(...refused.map((r) => el('li', { text: `${r.path}: ${r.reason}` })));
}

async function measure(list) {
  if (page.busy || !page.info) return;
  page.busy = true;
  setState('busy', 'true');
  $('results').hidden = true;
  for (const f of page.used) if (f.url) URL.revokeObjectURL(f.url);  // the previous set's thumbnails
  page.used = [];
  try {
    const { films, refused, problem } = await labelFilms(list, page.info);
    showRefused(refused);
    if (problem) return announce(problem);
    $('progress-row').hidden = false;
    let done = 0;
    const pending = [...films];
    await classifyInOrder({
      pool, pending, site: '',  // the model default: the films' own scores
      started: () => {},
      finished: () => {
        $('progress').value = ++done / films.length;
        $('progress-text').textContent = `Classified ${done} of ${films.length} films`;
      },
    });
    await Promise.all(films.map((f) => f.hashing).filter(Boolean));
    for (const f of films) if (f.head) f.kind = sniffKind(f.head);
    const { used, refused: left } = usableFilms(films);
    page.used = used;
    page.refused = [...refused, ...left];
    showRefused(page.refused);
    const pos = used.filter((f) => f.positive).length;
    const [p, n] = [page.info.classes[page.info.positiveClass], page.info.classes[1 - page.info.positiveClass]];
    $('films-used').textContent = `${used.length} films used (${p} ${pos}, ${n} ${used.length - pos}); ${page.refused.length} left out.`;
    await choose();
  } finally {
    page.busy = false;
    setState('busy', 'false');
  }
}

async function choose() {
  if (!page.used.length) return;
  const asked = ++page.asked;  // only the latest choice is shown
  const answer = await calibrateOnPool(pool, page.used, {
    target: $('target-kind').value, value: Number($('target-value').value) / 100,
    fitTemperature: $('fit-temperature').checked, date: today(),
  });
  if (asked !== page.asked) return;
  if (!answer.ok) {
    $('results').hidden = true;
    setState('calibrated', 'refused');
    return announce(`The model cannot be calibrated on these films: ${answer.error}`);
  }
  page.report = answer.report;
  page.record = answer.record;
  render(answer.report);
  setState('calibrated', 'yes');
  announce('Measured. Choose the operating point below, then keep it if you wish.');
}

function render(r) {
  $('results').hidden = false;
  $('few-films').hidden = !r.fewFilms;
  $('few-films').textContent = 'Fewer than 100 films of a class: the confidence intervals are wide; add films if you can.';
  $('auc-text').textContent = `AUC ${r.auc.value.toFixed(3)} (95% CI ${r.auc.low.toFixed(3)} to ${r.auc.high.toFixed(3)}, `
    + `${r.auc.resamples} bootstrap resamples): the chance that a ${page.info.classes[page.info.positiveClass]} film scores `
    + 'higher than a normal one.';
  for (const [key, op] of [['default', r.modelDefault], ['site', r.site]]) {
    $(`${key}-threshold`).textContent = op.threshold.toPrecision(6);
    $(`${key}-sens`).textContent = rateText(op.sensitivity);
    $(`${key}-spec`).textContent = rateText(op.specificity);
  }
  $('changes').textContent = changesText(r, page.info);
  $('temperature-words').textContent = temperatureWords(r, page.info);
  $('save-site').disabled = !page.record;
  drawRoc(r);
  drawReliability(r);
  drawWrong(page.used, page.info, page.preprocess);
}

// ------------------------------------------------------------------ wiring

function wire() {
  const drop = $('drop');
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    filesFromDataTransfer(e.dataTransfer).then(measure);
  });
  drop.addEventListener('dragenter', () => drop.classList.add('over'));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  wireFilePickers([
    { button: $('pick-folder'), input: $('folder-input') },
    { button: $('pick-files'), input: $('file-input') },
  ], measure);
  $('target-form').addEventListener('change', () => choose());
  $('target-form').addEventListener('submit', (e) => { e.preventDefault(); choose(); });
  $('save-site').addEventListener('click', async () => {
    const checked = await checkSite(pool, page.record);
    if (!checked.ok) return announce(checked.error);
    await keep(checked.record, checked.label);
    $('site-message').textContent = `In use on this device: ${checked.label}. The classifier's results now name it.`;
  });
  $('reset-default').addEventListener('click', async () => {
    await store.clear();
    page.active = null;
    showActive();
    $('site-message').textContent = 'Returned to the model default.';
  });
  $('export-site').addEventListener('click', () => {
    if (page.active) download(`cxr-site-calibration-${page.active.savedAt.slice(0, 10)}.json`, page.active.json, 'application/json');
  });
  $('import-site').addEventListener('click', () => $('import-input').click());
  $('import-input').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) importSite(file);
  });
}

async function main() {
  wire();
  page.active = await store.load().catch(() => null);
  showActive();
  try {
    page.info = await pool.start();
  } catch (err) {
    setState('state', 'error');
    return announce(err?.message ?? String(err));
  }
  page.preprocess = parseMetadata(page.info.metadata).preprocess ?? null;
  $('model-badge').textContent = `Model ${page.info.name} ${page.info.version} · ${page.info.checksum}`;
  $('test-model-banner').hidden = !isTestModel(page.info);
  setState('state', 'ready');
  announce('Ready. Drop a labelled folder, or choose one.');
  storeOffline();
}

main();
