// Small formatting helpers shared by the page and the model card.

export function percent(x, { digits } = {}) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  const p = x * 100;
  if (digits !== undefined) return `${p.toFixed(digits)}%`;
  // Whole percent unless that would hide the difference from 0 or 100.
  // (never "0%" for a small risk, never "100%" for a not-quite-certain one)
  const whole = Math.round(p);
  if (whole === 0 && p > 0) return `${Math.max(0.1, Math.ceil(p * 10) / 10).toFixed(1)}%`;
  if (whole === 100 && p < 100) return `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
  return `${whole}%`;
}

export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 1) return '1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60), r = s % 60;
  if (m < 60) return r ? `${m} min ${r} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Batch ETA: mean time per file done so far (recent ones weigh more, so a
// slow first file — the model warming up — does not dominate) times the files
// left. Null until there is something to go on. lap() takes that time per
// file from when files finish, not from each file's own time: with `span`
// workers side by side, files finish `span` times as often as each one
// takes, often in bunches, so each lap is the mean of the last `span` gaps.
export class EtaEstimator {
  constructor(alpha = 0.3, span = 1) { Object.assign(this, { alpha, span }); this.reset(); }
  reset() { this.mean = null; this.finishes = []; }
  add(ms) { this.mean = this.mean === null ? ms : this.alpha * ms + (1 - this.alpha) * this.mean; }
  // now: when the work starts, then each time a file finishes.
  lap(now) {
    const f = this.finishes;
    f.push(now);
    if (f.length > this.span + 1) f.shift();
    if (f.length > 1) this.add((now - f[0]) / (f.length - 1));
  }
  remainingMs(left) { return this.mean === null || left <= 0 ? null : this.mean * left; }
}

export function batchSummary({ total, done, errors, etaMs }) {
  if (total === 0) return 'No files yet.';
  const parts = [`${done} of ${total} done`];
  if (errors) parts.push(`${errors} could not be read`);
  if (done < total && etaMs !== null && etaMs !== undefined) parts.push(`about ${duration(etaMs)} left`);
  return parts.join(' · ');
}
