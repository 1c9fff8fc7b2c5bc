// Plain words for what the model's operating threshold means and what a
// result says, from the numbers in the model file.
import { percent } from './format.js';

const lower = (s) => String(s ?? '').toLowerCase();

export function positiveName(info) {
  return info?.classes?.[info.positiveClass] ?? 'PNEUMONIA';
}

export function negativeName(info) {
  const classes = info?.classes ?? [];
  return classes.find((_, i) => i !== info?.positiveClass) ?? 'NORMAL';
}

function metadataOf(info) {
  let meta = info?.metadata;
  if (typeof meta === 'string') {
    try { meta = JSON.parse(meta); } catch { meta = null; }
  }
  return meta && typeof meta === 'object' ? meta : null;
}

// The held-out test numbers a clinician should weigh: the test split's
// report half when the model has one (its tune half chose the threshold, so
// the whole split flatters), else the whole test split.
const heldOutTest = (info) => {
  const metrics = metadataOf(info)?.metrics;
  return metrics?.report ?? metrics?.test;
};

// What this probability has meant on the held-out test films, from their
// reliability bins (metadata.metrics.report|test.calibration): "Of the 24
// test films the model scored between 10% and 20%, 4% had pneumonia."
const binsCache = new WeakMap();
export function calibrationSentence(result, info) {
  if (!result?.ok || !info || typeof info !== 'object') return '';
  if (!binsCache.has(info)) binsCache.set(info, heldOutTest(info)?.calibration?.bins ?? null);
  const bins = binsCache.get(info), p = result.positive_probability;
  if (!Array.isArray(bins) || typeof p !== 'number') return '';
  const bin = bins.find((b, i) => p >= b.lower && (p < b.upper || (i === bins.length - 1 && p <= b.upper)));
  if (!bin || !(bin.count > 0) || typeof bin.fraction_positive !== 'number') return '';
  return `Of the ${bin.count} test film${bin.count === 1 ? '' : 's'} the model scored between ${percent(bin.lower)} and `
    + `${percent(bin.upper)}, ${percent(bin.fraction_positive)} had ${lower(positiveName(info))}.`;
}

// Sensitivity/specificity at the threshold on the held-out test films, when
// the model file carries them (metadata.metrics.report or .test, written by
// the trainer's evaluate). Validation is carved from the training data and can flatter the
// model; the test numbers are what a clinician should weigh.
const testRatesCache = new WeakMap();
export function testRates(info) {
  if (!info || typeof info !== 'object') return null;
  if (testRatesCache.has(info)) return testRatesCache.get(info);
  let rates = null;
  const test = heldOutTest(info);
  const read = (v) => (typeof v === 'number' ? v : typeof v?.value === 'number' ? v.value : undefined);
  const sens = read(test?.sensitivity), spec = read(test?.specificity);
  if (sens !== undefined && spec !== undefined) rates = { sens, spec, n: typeof test.count === 'number' ? test.count : undefined };
  testRatesCache.set(info, rates);
  return rates;
}

// "At this threshold the model found 97% of pneumonia cases and flagged 9% of
// normal films as pneumonia in validation." (+ the test split's numbers.)
export function thresholdMeaning(info) {
  const pos = lower(positiveName(info)), neg = lower(negativeName(info));
  const test = testRates(info);
  const onTest = test
    ? ` On the separate test set${test.n ? ` (${test.n} films)` : ''} it found ${percent(test.sens)} of ${pos} cases and flagged ${percent(1 - test.spec)} of ${neg} films.`
    : '';
  return `${validationMeaning(info)}${onTest}`;
}

function validationMeaning(info) {
  const pos = lower(positiveName(info)), neg = lower(negativeName(info));
  const t = info?.threshold;
  const sens = info?.validationSensitivity, spec = info?.validationSpecificity;
  const head = typeof t === 'number' ? `The model calls a film ${positiveName(info)} when its ${pos} probability is at least ${percent(t)}.` : '';
  if (typeof sens === 'number' && typeof spec === 'number') {
    return `${head} At this threshold the model found ${percent(sens)} of ${pos} cases and flagged ${percent(1 - spec)} of ${neg} films as ${pos} in validation.`.trim();
  }
  if (typeof sens === 'number') return `${head} At this threshold the model found ${percent(sens)} of ${pos} cases in validation.`.trim();
  if (typeof spec === 'number') return `${head} At this threshold the model flagged ${percent(1 - spec)} of ${neg} films as ${pos} in validation.`.trim();
  return `${head} This model file does not say how the threshold performed in validation.`.trim();
}

// One sentence for one result.
export function resultSentence(result, info) {
  if (!result?.ok) return result?.error ?? 'This file could not be classified.';
  const pos = positiveName(info);
  const p = result.positive_probability, t = result.threshold;
  const side = p >= t ? 'at or above' : 'below';
  return `${pos[0]}${lower(pos).slice(1)} probability ${percent(p)} is ${side} the threshold of ${percent(t)}: ${result.decision}.`;
}

// What the page does with a film the out-of-distribution gate flags: withhold
// the model's output (the default) or show it beside the warning.
export const OOD_POLICIES = ['withhold', 'warn'];

// The one word read first, and whether the model's output is shown at all.
// The word is the core's (cxr_verdict, in result.verdicts for each policy);
// this adds how the page shows it. kind: pos | neg | uncertain | withheld | error.
export function verdict(result, info, policy = 'withhold') {
  if (!result?.ok) return { label: 'Not classified', kind: 'error', showOutput: false };
  const label = result.verdicts?.[policy === 'warn' ? 'warn' : 'withhold'] ?? 'WITHHELD';
  if (label === 'WITHHELD') return { label, kind: 'withheld', showOutput: false };
  if (label === 'UNCERTAIN') return { label, kind: 'uncertain', showOutput: true };
  return { label, kind: label === positiveName(info) ? 'pos' : 'neg', showOutput: true };
}

// The gate's reasons split in two: the out-of-scope one (a patient the model
// was not made for: an adult's film, or a DICOM age outside its range; the
// core puts it first) and the rest ("unlike the training films").
export function oodReasons(ood) {
  const reasons = ood?.reasons ?? [];
  const scope = ood?.out_of_scope && reasons.length ? reasons[0] : '';
  return { scope, unlike: scope ? reasons.slice(1) : reasons };
}

// One line for a table cell or a summary: "Out of scope: ...; Unlike the training X-rays: ...".
export function oodNote(ood) {
  if (!ood?.flagged) return '';
  const { scope, unlike } = oodReasons(ood);
  return [scope && `Out of scope: ${scope}`, unlike.length && `Unlike the training X-rays: ${unlike.join('; ')}`]
    .filter(Boolean).join('; ');
}

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

// The intended-use checks in words: the OOD gate's verdict, on every result.
export function checksSentence(result, policy = 'withhold') {
  const ood = result?.ood;
  if (!result?.ok || !ood) return '';
  if (ood.flagged) {
    const what = policy === 'warn' ? 'The result is shown anyway: do not rely on it.' : 'The result is withheld.';
    const { scope, unlike } = oodReasons(ood);
    if (scope) {
      const also = unlike.length ? ` It is also unlike the training films: ${unlike.join('; ')}.` : '';
      return `${capitalised(scope)}.${also} ${what}`;
    }
    return `This does not look like a frontal chest X-ray of the kind the model was trained on: ${unlike.join('; ')}. ${what}`;
  }
  return ood.available
    ? 'Checks passed: this looks like the frontal chest X-rays the model was trained on.'
    : 'Image checks passed; this model file cannot check whether the film resembles its training films.';
}

// Why there is no label: the probability sits in the model's uncertain band.
export function uncertainSentence(result, info) {
  if (!result?.ok || !result.uncertain) return '';
  const pos = lower(positiveName(info));
  return `The ${pos} probability, ${percent(result.positive_probability)}, is inside the uncertain band `
    + `(${percent(result.uncertain_low)} to ${percent(result.uncertain_high)}): the model does not give a label. `
    + `At the threshold it would say ${result.decision}.`;
}

export function isTestModel(info) {
  return /^random-/i.test(info?.name ?? '');
}

// Short, accessible description of a probability bar.
export function barLabel(result, info) {
  return `${positiveName(info)} probability ${percent(result.positive_probability)}, threshold ${percent(result.threshold)}`;
}
