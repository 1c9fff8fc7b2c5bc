// The model card page: what the model is for, its limits, and its numbers,
// read from model-info.json (written by the build from the model file itself).
import { readEvaluations, parseMetadata, trapezoidAuc, readOodGate, schemaProblem, METADATA_SCHEMA } from './lib/metrics.js';
import { thresholdMeaning, isTestModel } from './lib/wording.js';
import { percent } from './lib/format.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function kv(list, pairs) {
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== '') list.append(el('dt', { text: k }), el('dd', { text: String(v) }));
}

const na = (what) => el('p', { class: 'na', text: `${what}: not available for this model.` });

function metricValue(m) {
  const f = m.key === 'auc' ? (x) => x.toFixed(3) : (x) => percent(x, { digits: 1 });
  return m.lo !== undefined ? `${f(m.value)} (95% CI ${f(m.lo)}–${f(m.hi)})` : f(m.value);
}

function metricsTable(ev) {
  const t = el('table', {},
    el('caption', { class: 'visually-hidden', text: `${ev.label} metrics` }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Metric' }), el('th', { scope: 'col', class: 'num', text: 'Value' }))));
  const body = el('tbody');
  for (const m of ev.metrics) body.append(el('tr', {}, el('th', { scope: 'row', text: m.label }), el('td', { class: 'num', text: metricValue(m) })));
  t.append(body);
  return t;
}

function confusionTable(c) {
  const total = c.matrix.flat().reduce((a, b) => a + b, 0) || 1;
  const max = Math.max(...c.matrix.flat(), 1);
  const t = el('table', { class: 'confusion' },
    el('caption', { text: 'Confusion matrix (rows: true class, columns: the model\'s decision)' }));
  t.append(el('thead', {}, el('tr', {}, el('td'), ...c.labels.map((l) => el('th', { scope: 'col', text: `called ${l}` })))));
  const body = el('tbody');
  c.matrix.forEach((row, i) => {
    body.append(el('tr', {}, el('th', { scope: 'row', text: `truly ${c.labels[i]}` }), ...row.map((v, j) => {
      const td = el('td', { text: `${v} (${percent(v / total, { digits: 1 })})` });
      const a = 0.15 + 0.6 * (v / max);
      td.style.background = i === j ? `rgba(127, 224, 166, ${a})` : `rgba(255, 138, 122, ${a})`;
      td.style.color = '#fff';
      return td;
    })));
  });
  t.append(body);
  return t;
}

function rocFigure(roc, label, metricAuc) {
  const S = 300, P = 44;
  const x = (f) => P + f * (S - P - 10), y = (t) => S - P - t * (S - P - 10);
  // The AUC the trainer computed (from every threshold) beats the trapezoid
  // over the few points stored for drawing.
  const auc = metricAuc ?? trapezoidAuc(roc.points);
  const root = svg('svg', { viewBox: `0 0 ${S} ${S}`, width: S, height: S, class: 'roc', role: 'img', 'aria-label': `ROC curve, ${label}, AUC ${auc.toFixed(3)}` });
  root.append(svg('rect', { x: P, y: 10, width: S - P - 10, height: S - P - 10, fill: 'none', stroke: '#2f4558' }));
  root.append(svg('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: '#5b7a93', 'stroke-dasharray': '4 4' }));
  const pts = [[0, 0], ...roc.points, [1, 1]].map(([f, t]) => `${x(f).toFixed(1)},${y(t).toFixed(1)}`).join(' ');
  root.append(svg('polyline', { points: pts, fill: 'none', stroke: '#7cc4f2', 'stroke-width': 2.5 }));
  for (const v of [0, 0.5, 1]) {
    root.append(svg('text', { x: x(v), y: S - P + 16, 'text-anchor': 'middle' }, String(v)));
    root.append(svg('text', { x: P - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  root.append(svg('text', { x: (S + P) / 2, y: S - 4, 'text-anchor': 'middle' }, 'false positive rate (1 − specificity)'));
  root.append(svg('text', { x: 12, y: S / 2 - 20, transform: `rotate(-90 12 ${S / 2 - 20})`, 'text-anchor': 'middle' }, 'sensitivity'));
  root.append(svg('text', { x: x(0.55), y: y(0.12) }, `AUC ${auc.toFixed(3)}`));
  return el('figure', {}, root, el('figcaption', { class: 'visually-hidden', text: `ROC curve (${label})` }));
}

// Reliability diagram: each bin's observed fraction of pneumonia against its
// mean predicted probability; on the diagonal = calibrated.
function reliabilityFigure(cal, label) {
  const S = 300, P = 44;
  const x = (f) => P + f * (S - P - 10), y = (t) => S - P - t * (S - P - 10);
  const ece = cal.ece !== undefined ? `, ECE ${cal.ece.toFixed(3)}` : '';
  const root = svg('svg', { viewBox: `0 0 ${S} ${S}`, width: S, height: S, class: 'roc', role: 'img', 'aria-label': `Reliability diagram, ${label}${ece}` });
  root.append(svg('rect', { x: P, y: 10, width: S - P - 10, height: S - P - 10, fill: 'none', stroke: '#2f4558' }));
  root.append(svg('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: '#5b7a93', 'stroke-dasharray': '4 4' }));
  const total = cal.bins.reduce((a, b) => a + b.count, 0) || 1;
  for (const b of cal.bins) {
    if (!b.count || typeof b.observed !== 'number') continue;
    const w = (x(b.upper) - x(b.lower)) * 0.8;
    root.append(svg('rect', { x: x(b.lower) + w / 8, y: y(b.observed), width: w, height: y(0) - y(b.observed), fill: '#7cc4f2', 'fill-opacity': 0.35 + 0.6 * Math.sqrt(b.count / total) }));
    if (typeof b.predicted === 'number') root.append(svg('circle', { cx: x(b.predicted), cy: y(b.observed), r: 3, fill: '#ffd166' }));
  }
  for (const v of [0, 0.5, 1]) {
    root.append(svg('text', { x: x(v), y: S - P + 16, 'text-anchor': 'middle' }, String(v)));
    root.append(svg('text', { x: P - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  root.append(svg('text', { x: (S + P) / 2, y: S - 4, 'text-anchor': 'middle' }, 'predicted probability of pneumonia'));
  root.append(svg('text', { x: 12, y: S / 2 - 20, transform: `rotate(-90 12 ${S / 2 - 20})`, 'text-anchor': 'middle' }, 'observed fraction'));
  if (cal.ece !== undefined) root.append(svg('text', { x: x(0.05), y: y(0.9) }, `ECE ${cal.ece.toFixed(3)}`));
  return el('figure', {}, root, el('figcaption', { text: `Reliability (${label}): bars are the observed share of pneumonia among films given that probability; the dashed line is perfect calibration.` }));
}

const rate = (m) => (m ? `${percent(m.value, { digits: 1 })}${m.lo !== undefined ? ` (95% CI ${percent(m.lo, { digits: 1 })}–${percent(m.hi, { digits: 1 })})` : ''}` : '—');

// "../data/chest_xray_224/test" -> "test": the split, not a path on the trainer's machine.
const splitName = (where) => String(where ?? 'test').split('/').filter(Boolean).pop();

function renderTrust(model, meta, unreadable) {
  const box = $('trust');
  const low = meta.threshold?.uncertain_low, high = meta.threshold?.uncertain_high;
  box.append(el('p', { text: typeof low === 'number' && typeof high === 'number' && low < high
    ? `Uncertain band: when the probability of pneumonia is between ${percent(low)} and ${percent(high)}, the page says UNCERTAIN instead of a label.`
    : 'This model has no uncertainty band: every film gets a label.' }));
  const gate = readOodGate(meta, unreadable);
  if (!gate) {
    box.append(el('p', { text: 'Out-of-distribution check: image checks only (colour, size, shape, blank). The feature check is not available for this model.' }));
    return;
  }
  box.append(el('p', { text: `Out-of-distribution gate: image checks (colour, size, shape, blank or saturated) and a feature check — ${gate.description || 'Mahalanobis distance of the network\'s features to the training films'}. Threshold ${gate.threshold.toFixed(3)}${gate.validationPassRate !== undefined ? `; ${percent(gate.validationPassRate, { digits: 1 })} of validation films pass` : ''}. Films it flags are withheld unless you choose to see them with a warning.` }));
  if (gate.adult || gate.ages) {
    const ages = gate.ages ? `children aged about ${gate.ages.from} to ${gate.ages.to}` : 'children';
    box.append(el('p', { text: `Out of scope: the model was made for ${ages}. `
      + (gate.adult ? `An adult check withholds films that look like an adult's chest X-ray (${gate.adult.description || 'a logistic score on the network\'s features'})${gate.adult.validationPassRate !== undefined ? `; ${percent(gate.adult.validationPassRate, { digits: 1 })} of pediatric validation films pass it` : ''}. ` : '')
      + (gate.ages ? 'A DICOM file stating an age outside that range is withheld too (the age is never shown).' : '') }));
  }
  const b = gate.benchmark;
  if (!b) { box.append(na('Out-of-distribution benchmark')); return; }
  const t = el('table', {}, el('caption', { text: `Benchmark: real X-rays (the ${splitName(b.inDistribution)} split) against generated inputs the model was not made for` }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Inputs' }), el('th', { scope: 'col', class: 'num', text: 'Rejected' }))));
  const body = el('tbody');
  for (const x of b.sets) body.append(el('tr', {}, el('th', { scope: 'row', text: x.description || x.name }), el('td', { class: 'num', text: rate(x.rejected) })));
  body.append(el('tr', {}, el('th', { scope: 'row', text: 'All generated inputs' }), el('td', { class: 'num', text: rate(b.rejectionRate) })));
  if (b.adult?.withheld) {
    body.append(el('tr', {}, el('th', { scope: 'row', text: `Adult chest X-rays (NIH, ${b.adult.films} set aside, never fitted on): withheld` }), el('td', { class: 'num', text: rate(b.adult.withheld) })));
  }
  body.append(el('tr', {}, el('th', { scope: 'row', text: 'Real test X-rays passing' }), el('td', { class: 'num', text: rate(b.passRate) })));
  t.append(body);
  box.append(t);
  if (b.auroc !== undefined) box.append(el('p', { text: `AUROC of the gate's score, real X-rays vs generated inputs: ${b.auroc.toFixed(4)}.` }));
}

function render(model) {
  const meta = parseMetadata(model.metadata);
  document.title = `Model card — ${model.name} ${model.version} — cxr`;
  $('title').textContent = `Model card: ${model.name} ${model.version}`;
  $('test-model-banner').hidden = !isTestModel(model);
  // A layout this page does not know is not read by guesswork.
  const problem = schemaProblem(meta);
  if (problem) {
    $('load-error').hidden = false;
    $('load-error').textContent = problem;
    for (const id of ['model-facts', 'threshold-text', 'trust', 'evaluations']) $(id).closest('section').hidden = true;
    document.body.dataset.state = 'error';
    return;
  }
  const pre = meta.preprocess ?? {};
  kv($('model-facts'), [
    ['Name', model.name], ['Version', model.version], ['Checksum (CRC-32)', model.checksum],
    ['File SHA-256', model.fileSha256], ['File size', model.fileBytes ? `${(model.fileBytes / 1048576).toFixed(2)} MB` : ''],
    ['Classes', (model.classes ?? []).join(', ')], ['Positive class', model.classes?.[model.positiveClass]],
    ['Input', `${model.inputWidth} × ${model.inputHeight}, ${model.inputChannels ?? 1} channel(s)`],
    ['Preprocessing', [pre.resize && `resize: ${pre.resize}`, pre.equalize !== undefined && `equalise: ${pre.equalize ? 'yes' : 'no'}`, pre.normalize && `normalise: ${pre.normalize}`].filter(Boolean).join(', ')],
    ['Architecture', Array.isArray(meta.layers) ? `${meta.layers.length} layers (${[...new Set(meta.layers.map((l) => l.type))].join(', ')})` : ''],
    ['Calibration temperature', model.temperature],
  ]);
  $('threshold-text').textContent = thresholdMeaning(model);
  const { evaluations: evals, unreadable } = readEvaluations(meta, model.classes);
  const box = $('evaluations');
  if (!evals.length) {
    box.append(na('Test metrics with confidence intervals'), na('Confusion matrix'), na('ROC curve'));
  }
  for (const ev of evals) {
    box.append(el('h3', { text: `${ev.label}${ev.n ? ` (${ev.n} images)` : ''}` }));
    box.append(ev.metrics.length ? metricsTable(ev) : na('Metrics'));
    box.append(ev.confusion ? confusionTable(ev.confusion) : na('Confusion matrix'));
    box.append(ev.roc ? rocFigure(ev.roc, ev.label, ev.metrics.find((m) => m.key === 'auc')?.value) : na('ROC curve'));
    box.append(ev.calibration ? reliabilityFigure(ev.calibration, ev.label) : na('Reliability diagram'));
  }
  renderTrust(model, meta, unreadable);
  if (!evals.some((e) => e.split === 'test')) box.append(na('Official test-split results'));
  if (unreadable.length) {
    $('unreadable').hidden = false;
    $('unreadable').textContent = `Not shown: ${unreadable.join(', ')} ${unreadable.length === 1 ? 'is' : 'are'} not laid out as metadata schema ${METADATA_SCHEMA} says.`;
  }
  const prov = meta.provenance ?? {};
  const flat = Object.entries(prov).map(([k, v]) => [k.replace(/_/g, ' '), typeof v === 'object' ? JSON.stringify(v) : v]);
  kv($('provenance'), flat);
  $('card-md').hidden = !model.hasModelCard;
  document.body.dataset.state = 'ready';
}

fetch('model-info.json')
  .then((r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  })
  .then(render)
  .catch((err) => {
    $('load-error').hidden = false;
    $('load-error').textContent = `The model description could not be loaded (${err.message}).`;
    document.body.dataset.state = 'error';
  });
