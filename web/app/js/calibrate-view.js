// Drawing for the calibration page: the ROC curve and the reliability diagram
// as small SVGs, and the wrong films' list with the heat map on click. Only
// drawing: every number comes from the core's report.
import { $, el } from './dom.js';
import { heatmapPlacement, heatmapRgba } from './lib/heatmap.js';

const NS = 'http://www.w3.org/2000/svg';
const SIZE = 220, PAD = 24, SPAN = SIZE - 2 * PAD;

function svg(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const px = (x) => PAD + x * SPAN;
const py = (y) => SIZE - PAD - y * SPAN;

function frame(chart, xLabel, yLabel) {
  chart.replaceChildren(
    svg('rect', { x: PAD, y: PAD, width: SPAN, height: SPAN, fill: 'none', stroke: '#5b7186' }),
    svg('line', { x1: px(0), y1: py(0), x2: px(1), y2: py(1), stroke: '#5b7186', 'stroke-dasharray': '3 3' }),
  );
  const x = svg('text', { x: SIZE / 2, y: SIZE - 6, 'text-anchor': 'middle', fill: '#c9d6e2', 'font-size': 10 });
  x.textContent = xLabel;
  const y = svg('text', { x: 10, y: SIZE / 2, 'text-anchor': 'middle', fill: '#c9d6e2', 'font-size': 10,
    transform: `rotate(-90 10 ${SIZE / 2})` });
  y.textContent = yLabel;
  chart.append(x, y);
}

function dot(chart, x, y, r, colour, title) {
  const c = svg('circle', { cx: px(x), cy: py(y), r, fill: colour });
  const t = svg('title', {});
  t.textContent = title;
  c.append(t);
  chart.append(c);
}

export function drawRoc(report) {
  const chart = $('roc-chart');
  frame(chart, '1 − specificity', 'sensitivity');
  const points = report.roc.map(([fpr, tpr]) => `${px(fpr).toFixed(1)},${py(tpr).toFixed(1)}`).join(' ');
  chart.append(svg('polyline', { points, fill: 'none', stroke: '#7cc4ff', 'stroke-width': 2 }));
  const d = report.modelDefault, s = report.site;
  dot(chart, 1 - d.specificity.value, d.sensitivity.value, 4, '#ffffff', 'model default');
  dot(chart, 1 - s.specificity.value, s.sensitivity.value, 4, '#f98e09', 'chosen threshold');
}

export function drawReliability(report) {
  const chart = $('reliability-chart');
  frame(chart, 'predicted probability', 'observed rate');
  const bins = report.temperatureFitted ? report.siteReliability : report.reliability;
  const most = Math.max(1, ...bins.map((b) => b.count));
  for (const b of bins)
    if (b.count) dot(chart, b.meanPredicted, b.observedRate, 2 + 5 * Math.sqrt(b.count / most), '#7cc4ff',
      `${b.count} films: predicted ${(100 * b.meanPredicted).toFixed(0)}%, observed ${(100 * b.observedRate).toFixed(0)}%`);
}

// The film and its heat map, drawn into the viewer box.
async function showFilm(film, preprocess) {
  const box = $('wrong-view'), img = $('wrong-img'), canvas = $('wrong-heat');
  box.hidden = false;
  img.src = film.url ?? '';
  canvas.hidden = true;
  const r = film.result;
  if (!film.heat || !r.heatmap?.width) return;
  await img.decode().catch(() => {});
  if (!img.naturalWidth) return;
  const src = document.createElement('canvas');
  src.width = r.heatmap.width;
  src.height = r.heatmap.height;
  src.getContext('2d').putImageData(new ImageData(heatmapRgba(film.heat), r.heatmap.width, r.heatmap.height), 0, 0);
  canvas.width = box.clientWidth;
  canvas.height = box.clientHeight;
  const k = Math.min(canvas.width / img.naturalWidth, canvas.height / img.naturalHeight);
  const fw = img.naturalWidth * k, fh = img.naturalHeight * k, fx = (canvas.width - fw) / 2, fy = (canvas.height - fh) / 2;
  const p = heatmapPlacement(preprocess, r.image.width, r.image.height, r.heatmap.width, r.heatmap.height);
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(src, p.sx, p.sy, p.sw, p.sh, fx + p.dx * fw, fy + p.dy * fh, p.dw * fw, p.dh * fh);
  canvas.hidden = false;
  canvas.style.opacity = '0.6';
}

// Films whose decision at the model's default threshold contradicts their label.
export function drawWrong(used, info, preprocess) {
  const positive = info.classes[info.positiveClass];
  const wrong = used.filter((f) => (f.result.decision === positive) !== f.positive);
  $('wrong-empty').hidden = wrong.length > 0;
  $('wrong').replaceChildren(...wrong.map((f) => {
    f.url ??= f.kind === 'jpeg' || f.kind === 'png' ? URL.createObjectURL(f.file) : null;
    const label = info.classes[f.positive ? info.positiveClass : 1 - info.positiveClass];
    const button = el('button', { type: 'button', class: 'wrong-film' },
      f.url ? el('img', { src: f.url, alt: '', class: 'thumb' }) : el('span', { class: 'thumb', text: 'DICOM' }),
      el('span', { text: `${f.path}: labelled ${label}, probability ${(100 * f.result.positive_probability).toFixed(1)}%` }));
    button.addEventListener('click', () => showFilm(f, preprocess));
    return el('li', {}, button);
  }));
}
