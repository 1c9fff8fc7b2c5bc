// Heat map drawing helpers. The core's heat map lies in the model's input
// frame (e.g. 224x224, values 0..1); where that frame sits on the original
// film depends on the preprocessing spec's resize policy.

// Returns the part of the heat map that shows image content (sx, sy, sw, sh in
// heat-map pixels) and where it lands on the film (dx, dy, dw, dh as
// fractions of the film's width/height).
export function heatmapPlacement(preprocess, imageWidth, imageHeight, heatWidth, heatHeight) {
  const full = { sx: 0, sy: 0, sw: heatWidth, sh: heatHeight, dx: 0, dy: 0, dw: 1, dh: 1 };
  const W = preprocess?.width ?? heatWidth, H = preprocess?.height ?? heatHeight;
  if (!(imageWidth > 0 && imageHeight > 0 && W > 0 && H > 0)) return full;
  const kx = heatWidth / W, ky = heatHeight / H; // input pixels -> heat-map pixels
  const resize = preprocess?.resize ?? 'stretch';
  if (resize === 'letterbox') {
    const scale = Math.min(W / imageWidth, H / imageHeight);
    const cw = Math.min(W, Math.max(1, Math.floor(imageWidth * scale + 0.5)));
    const ch = Math.min(H, Math.max(1, Math.floor(imageHeight * scale + 0.5)));
    const x = Math.floor((W - cw) / 2), y = Math.floor((H - ch) / 2);
    return { sx: x * kx, sy: y * ky, sw: cw * kx, sh: ch * ky, dx: 0, dy: 0, dw: 1, dh: 1 };
  }
  if (resize === 'center_crop') {
    const scale = Math.max(W / imageWidth, H / imageHeight);
    const vw = W / scale / imageWidth, vh = H / scale / imageHeight; // visible fraction of the film
    return { ...full, dx: (1 - vw) / 2, dy: (1 - vh) / 2, dw: vw, dh: vh };
  }
  return full;
}

// A perceptual dark-to-bright colour map (approximates "inferno" with a few
// stops); values in 0..1.
const STOPS = [
  [0.0, [0, 0, 4]], [0.25, [87, 16, 110]], [0.5, [188, 55, 84]], [0.75, [249, 142, 9]], [1.0, [252, 255, 164]],
];
export function colour(v) {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  for (let i = 1; i < STOPS.length; i++) {
    const [x1, c1] = STOPS[i];
    if (x <= x1) {
      const [x0, c0] = STOPS[i - 1];
      const t = (x - x0) / (x1 - x0);
      return c0.map((c, k) => Math.round(c + t * (c1[k] - c)));
    }
  }
  return STOPS[STOPS.length - 1][1];
}

// values: heat map as bytes 0..255 (or floats 0..1 with scale=1). Low values
// stay transparent so the film shows through; alpha rises with the value.
export function heatmapRgba(values, { scale = 255, floor = 0.15 } = {}) {
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] / scale;
    const [r, g, b] = colour(v);
    const a = v <= floor ? 0 : Math.min(1, (v - floor) / (1 - floor));
    out[i * 4] = r; out[i * 4 + 1] = g; out[i * 4 + 2] = b; out[i * 4 + 3] = Math.round(a * 220);
  }
  return out;
}

// Heat maps kept per result as bytes: a quarter of the memory of floats, and
// plenty for a colour overlay.
export function quantize(floats) {
  const out = new Uint8Array(floats.length);
  for (let i = 0; i < floats.length; i++) {
    const v = floats[i];
    out[i] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
  }
  return out;
}
