// The page: wires together intake (intake.js: drop, pick, paste, the queue
// through the classifier workers), the results table (results-table.js),
// the viewer (viewer.js) and the audit log (audit-view.js) over the shared
// state (state.js); here, the model's badge, clearing, the OOD policy and
// the offline set-up.
// The DOM is built with textContent only: file names are untrusted input.
import { storeOffline } from './boot.js';
import { $, setState, announce } from './dom.js';
import { state, OOD_POLICY_KEY } from './state.js';
import { pool, wireIntake } from './intake.js';
import { updateRow, renderTable, updateBatch, wireTable } from './results-table.js';
import { select, renderViewer, wireViewer } from './viewer.js';
import { wireAudit } from './audit-view.js';
import { isTestModel } from './lib/wording.js';
import { modelId } from './lib/audit.js';
import { parseMetadata } from './lib/metrics.js';
import { SiteStore, checkSite, MODEL_DEFAULT } from './lib/site-calibration.js';

// The site calibration kept on this device (calibrate.html), if the loaded
// model takes it; otherwise the model default, and the reason said.
async function useSavedSite() {
  const saved = await new SiteStore().load().catch(() => null);
  const checked = saved ? await checkSite(pool, saved.json) : null;
  state.site = checked?.ok ? { json: saved.json, label: checked.label } : null;
  $('calibration-badge').textContent = state.site?.label ?? MODEL_DEFAULT;
  setState('calibration', state.site ? 'site' : 'none');
  if (saved && !checked.ok) announce(`The site calibration saved on this device is not used: ${checked.error}`);
}

// The model the classifier workers loaded: the header's badge, the footer,
// the test-model banner.
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
  wireIntake();
  wireTable({ select });
  wireViewer();
  const policy = $('ood-policy');
  policy.value = state.oodPolicy;
  policy.addEventListener('change', () => {
    state.oodPolicy = policy.value;
    localStorage.setItem(OOD_POLICY_KEY, policy.value);
    for (const it of state.items) updateRow(it);
    renderTable();
    renderViewer();
  });
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
  wireAudit();
}

async function main() {
  wire();
  renderViewer();
  updateBatch();
  watchForUpdates();
  try {
    // The classifier worker was started by boot.js, before this script ran.
    state.siteReady = pool.start().then(useSavedSite);
    await state.siteReady;
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
