// The viewer: the selected file's decision and details, its film and the
// heat map drawn over it, and the heat map's controls.
import { $, el, setState } from './dom.js';
import { state, view } from './state.js';
import { updateRow, ensureRovingFocus } from './results-table.js';
import { browserCanShow, kindLabel } from './lib/sniff.js';
import { percent } from './lib/format.js';
import {
  thresholdMeaning, resultSentence, barLabel, positiveName, checksSentence, uncertainSentence, calibrationSentence,
} from './lib/wording.js';
import { heatmapPlacement, heatmapRgba } from './lib/heatmap.js';
import { MODEL_DEFAULT } from './lib/site-calibration.js';

export function select(item, { focus, film = true }) {
  const previous = state.selected;
  state.selected = item;
  previous?.row?.removeAttribute('aria-current');
  item.row?.setAttribute('aria-current', 'true');
  ensureRovingFocus();
  if (focus) item.row?.focus();
  renderViewer({ film });
}

// film: false leaves the film blank (the caller draws it after the next paint).
export function renderViewer({ film = true } = {}) {
  const item = state.selected;
  $('viewer-empty').hidden = !!item;
  $('viewer-body').hidden = !item;
  if (!item) return;
  const info = state.info;
  const r = item.result?.ok ? item.result : null;
  $('detail-name').textContent = item.name;
  const decision = $('detail-decision');
  const v = view(item), shown = r && v.showOutput;
  decision.className = 'decision';
  if (r) {
    decision.textContent = v.label;
    decision.classList.add(v.kind);
  } else decision.textContent = item.status === 'error' ? 'Not classified' : 'Waiting…';
  const bar = $('detail-bar');
  bar.hidden = !shown;
  if (shown) {
    $('detail-fill').style.width = `${(r.positive_probability * 100).toFixed(1)}%`;
    $('detail-fill').className = `prob-fill ${r.decision === positiveName(info) ? 'pos' : 'neg'}`;
    $('detail-threshold').style.left = `${(r.threshold * 100).toFixed(1)}%`;
    $('detail-threshold-label').textContent = `threshold ${percent(r.threshold)}`;
    bar.setAttribute('aria-label', barLabel(r, info));
  }
  $('detail-sentence').textContent = !shown ? '' : r.uncertain ? uncertainSentence(r, info) : resultSentence(r, info);
  $('detail-checks').textContent = r ? checksSentence(r, state.oodPolicy) : '';
  $('detail-checks').className = `checks${r?.ood?.flagged ? ' flagged' : ''}`;
  $('detail-meaning').textContent = shown && info ? `${calibrationSentence(r, info)} ${operatingPoint(r, info)}`.trim() : '';
  $('detail-warnings').replaceChildren(...(r?.warnings ?? []).map((w) => el('li', { text: w })));
  $('detail-error').hidden = item.status !== 'error';
  $('detail-error').textContent = item.error ?? '';
  $('detail-image').textContent = r
    ? `${r.image.width} × ${r.image.height}, ${r.image.bit_depth}-bit ${item.kind ? kindLabel(item.kind) : ''}`.trim()
    : item.kind ? kindLabel(item.kind) : '';
  $('detail-sha').textContent = item.hashing ? '' : item.sha256 ?? '';
  $('detail-time').textContent = r
    ? `${Math.round(r.timings_ms.total)} ms (decode ${r.timings_ms.decode.toFixed(0)}, inference ${r.timings_ms.inference.toFixed(0)}, heat map ${r.timings_ms.heatmap.toFixed(0)})`
    : '';
  if (film) renderFilm(item);
  else {
    // Never leave the previous film beside this decision.
    $('film-img').hidden = true;
    $('film-img').removeAttribute('src');
    $('film-heat').hidden = true;
    $('film-none').hidden = true;
  }
}

export function renderFilm(item) {
  const img = $('film-img'), canvas = $('film-heat');
  if (!item.thumbUrl && item.file && browserCanShow(item.kind)) {
    item.thumbUrl = URL.createObjectURL(item.file);
    updateRow(item);
  }
  $('film-none').hidden = !!item.thumbUrl;
  img.hidden = !item.thumbUrl;
  img.alt = item.result?.ok ? `Chest X-ray ${item.name}, ${view(item).label}` : `Chest X-ray ${item.name}`;
  canvas.hidden = true;
  if (!item.thumbUrl) {
    img.removeAttribute('src');
    return;
  }
  const draw = () => {
    if (state.selected !== item) return;
    drawHeat(item, img.naturalWidth, img.naturalHeight);
  };
  if (img.getAttribute('src') !== item.thumbUrl) {
    img.onload = draw;
    img.onerror = () => { img.hidden = true; $('film-none').hidden = false; };
    img.src = item.thumbUrl;
  } else if (img.complete) draw();
}

// The threshold's meaning: the model's (validation numbers), or the site's.
function operatingPoint(r, info) {
  if (!r.calibration || r.calibration === MODEL_DEFAULT) return thresholdMeaning(info);
  return `Threshold from this site's own films (${r.calibration}), not the model's default.`;
}

function drawHeat(item, naturalWidth, naturalHeight) {
  const canvas = $('film-heat');
  const r = item.result;
  const none = !r?.ok || !item.heat || !r.heatmap?.width || !view(item).showOutput;
  $('heat-toggle').disabled = none;
  $('heat-opacity').disabled = none;
  $('heat-none').hidden = !(r?.ok && none && view(item).showOutput);
  if (none) {
    canvas.hidden = true;
    setState('heatmap', 'none');
    return;
  }
  const hw = r.heatmap.width, hh = r.heatmap.height;
  const src = document.createElement('canvas');
  src.width = hw;
  src.height = hh;
  src.getContext('2d').putImageData(new ImageData(heatmapRgba(item.heat), hw, hh), 0, 0);
  // The canvas covers the film box; the film sits in it "contained" (aspect
  // kept, centred), so the heat map is drawn into that same rectangle.
  const box = $('film');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(box.clientWidth * dpr));
  canvas.height = Math.max(1, Math.round(box.clientHeight * dpr));
  const k = Math.min(canvas.width / naturalWidth, canvas.height / naturalHeight);
  const fw = naturalWidth * k, fh = naturalHeight * k;
  const fx = (canvas.width - fw) / 2, fy = (canvas.height - fh) / 2;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const p = heatmapPlacement(state.preprocess, r.image.width, r.image.height, hw, hh);
  ctx.drawImage(src, p.sx, p.sy, p.sw, p.sh, fx + p.dx * fw, fy + p.dy * fh, p.dw * fw, p.dh * fh);
  let peak = 0;
  for (const v of item.heat) if (v > peak) peak = v;
  setState('heatmap', peak > 0 ? 'drawn' : 'flat');
  applyHeatControls();
}

function applyHeatControls() {
  const canvas = $('film-heat');
  const r = state.selected?.result;
  canvas.hidden = !($('heat-toggle').checked && r?.ok && state.selected.heat && view(state.selected).showOutput);
  canvas.style.opacity = String(Number($('heat-opacity').value) / 100);
}

export function wireViewer() {
  $('heat-toggle').addEventListener('change', applyHeatControls);
  // Redraw the overlay when the film box changes size (window, rotation).
  let lastSize = '';
  new ResizeObserver(() => {
    const f = $('film'), size = `${f.clientWidth}x${f.clientHeight}`;
    const img = $('film-img');
    if (size === lastSize || !state.selected || !img.complete || !img.naturalWidth) return;
    lastSize = size;
    drawHeat(state.selected, img.naturalWidth, img.naturalHeight);
  }).observe($('film'));
  $('heat-opacity').addEventListener('input', applyHeatControls);
}
