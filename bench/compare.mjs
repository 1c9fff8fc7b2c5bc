// The side-by-side measurements, the same in Node and in the browser page:
// loaded peers (peers.mjs) compared with ours on the same input tensors, and
// timed in interleaved rounds so that machine noise hits all alike.
export const pct = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))]; };

const softmax = (logits, temperature) => {
  const z = Array.from(logits, (x) => x / temperature), peak = Math.max(...z);
  const e = z.map((x) => Math.exp(x - peak)), total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
};
const argmax = (v) => Array.from(v).indexOf(Math.max(...v));

// nets: {name: net}, the first is the reference (ours). Per peer: max |dlogit|,
// max |dprob| (calibrated probabilities), how many inputs change class.
export async function agreement(nets, inputs, temperature) {
  const [ref, ...names] = Object.keys(nets);
  const out = Object.fromEntries(Object.keys(nets).map((n) => [n, { logit: 0, prob: 0, classDiffers: 0 }]));
  for (const x of inputs) {
    const ours = await nets[ref].run(x);
    for (const n of [ref, ...names]) {
      const theirs = await nets[n].run(x);
      const [p, q] = [softmax(ours, temperature), softmax(theirs, temperature)];
      for (let k = 0; k < ours.length; k++) {
        out[n].logit = Math.max(out[n].logit, Math.abs(theirs[k] - ours[k]));
        out[n].prob = Math.max(out[n].prob, Math.abs(p[k] - q[k]));
      }
      out[n].classDiffers += argmax(theirs) !== argmax(ours);
    }
  }
  return out;
}

// Per-inference wall times (ms) of each net on `input`: `warmup` untimed
// rounds, then `runs` rounds, each running every net once.
export async function latency(nets, input, runs, warmup = 5) {
  const ms = Object.fromEntries(Object.keys(nets).map((n) => [n, []]));
  for (let i = -warmup; i < runs; i++)
    for (const [n, net] of Object.entries(nets)) {
      const t0 = performance.now();
      await net.run(input);
      if (i >= 0) ms[n].push(performance.now() - t0);
    }
  return ms;
}

// One table row per peer: cold start, latency median / p90, agreement.
export function table(title, { cold, ms, agree }) {
  const f = (v, d = 2) => (v === undefined ? '-' : v.toFixed(d)).padStart(9);
  const lines = [title, `${'peer'.padEnd(8)} ${'cold ms'.padStart(9)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'ours/them'.padStart(9)} ${'|dlogit|'.padStart(9)} ${'|dprob|'.padStart(9)}  class`];
  const ours = pct(ms.cxr, 0.5);
  for (const n of Object.keys(ms)) {
    const a = agree[n];
    lines.push(`${n.padEnd(8)} ${f(cold[n], 0)} ${f(pct(ms[n], 0.5))} ${f(pct(ms[n], 0.9))} ${f(ours / pct(ms[n], 0.5))} `
      + `${a.logit.toExponential(1).padStart(9)} ${a.prob.toExponential(1).padStart(9)}  ${a.classDiffers ? `${a.classDiffers} differ` : 'same'}`);
  }
  return lines.join('\n');
}
