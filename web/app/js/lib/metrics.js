// Reads evaluation numbers out of a model's JSON metadata for the model card.
// The trainer decides the exact layout; this accepts the common shapes and
// says "not available" for anything it cannot find. Accepted (per split,
// under metadata.metrics.<split>, metadata.evaluation.<split> or
// metadata.<split>_metrics; splits: report, tune, test, validation/val, cv):
//   accuracy | sensitivity | specificity | precision | f1 | auc | ... :
//       0.93  or  {value|estimate|point: 0.93, ci|ci95: [lo, hi]}  or  {value, lo|lower|ci_low, hi|upper|ci_high}
//   confusion | confusion_matrix | confusion_threshold (the trainer's, at the
//       operating threshold):  [[tn, fp], [fn, tp]] (rows = true class, in
//       the model's class order)  or  {labels, matrix}  or  {tn, fp, fn, tp}
//   roc:  {fpr: [...], tpr: [...]}  or  [[fpr, tpr], ...]  or  {points: [{fpr, tpr}]}
//   n | count | images: number of images
//   calibration: {ece, bins: [{lower, upper, count, mean_probability, fraction_positive}]}
// and, outside the splits, metadata.ood (the OOD gate, with its benchmark)
// and metadata.threshold.uncertain_low/high (the uncertainty band).

const METRIC_LABELS = [
  ['auc', 'AUC (ROC)'], ['roc_auc', 'AUC (ROC)'], ['accuracy', 'Accuracy'], ['sensitivity', 'Sensitivity (recall)'],
  ['recall', 'Sensitivity (recall)'], ['specificity', 'Specificity'], ['precision', 'Precision (PPV)'], ['ppv', 'Precision (PPV)'],
  ['npv', 'NPV'], ['f1', 'F1'], ['balanced_accuracy', 'Balanced accuracy'], ['ece', 'Calibration error (ECE)'],
  ['brier', 'Brier score'], ['pr_auc', 'AUC (precision-recall)'], ['average_precision', 'Average precision'],
];

// The test split's report half (evaluated once, nothing chosen on it) comes
// first; its tune half chose the threshold, so all of test/ is no longer clean.
const SPLITS = [['report', 'Test split, report half (held out; evaluated once)'],
  ['tune', 'Test split, tune half (the threshold was chosen on it)'], ['test', 'Official test split (all films)'],
  ['validation', 'Validation'], ['val', 'Validation'], ['cv', 'Cross-validation']];

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

export function readMetric(v) {
  if (isNum(v)) return { value: v };
  if (!isObj(v)) return null;
  const value = [v.value, v.estimate, v.point, v.mean].find(isNum);
  if (!isNum(value)) return null;
  const ci = Array.isArray(v.ci) ? v.ci : Array.isArray(v.ci95) ? v.ci95 : null;
  const lo = ci ? ci[0] : [v.lo, v.lower, v.ci_low, v.ci_lo].find(isNum);
  const hi = ci ? ci[1] : [v.hi, v.upper, v.ci_high, v.ci_hi].find(isNum);
  return isNum(lo) && isNum(hi) ? { value, lo, hi } : { value };
}

export function readConfusion(v, classes) {
  if (!v) return null;
  let matrix = null, labels = classes;
  if (Array.isArray(v)) matrix = v;
  else if (isObj(v) && Array.isArray(v.matrix)) { matrix = v.matrix; labels = v.labels ?? classes; }
  else if (isObj(v) && [v.tn, v.fp, v.fn, v.tp].every(isNum)) matrix = [[v.tn, v.fp], [v.fn, v.tp]];
  if (!matrix || !matrix.length || !matrix.every((r) => Array.isArray(r) && r.length === matrix.length && r.every(isNum))) return null;
  if (!Array.isArray(labels) || labels.length !== matrix.length) labels = matrix.map((_, i) => `class ${i}`);
  return { labels, matrix };
}

export function readRoc(v) {
  let fpr = null, tpr = null;
  if (isObj(v) && Array.isArray(v.fpr) && Array.isArray(v.tpr)) ({ fpr, tpr } = v);
  else if (isObj(v) && Array.isArray(v.points)) { fpr = v.points.map((p) => p?.fpr); tpr = v.points.map((p) => p?.tpr); }
  else if (Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length >= 2)) { fpr = v.map((p) => p[0]); tpr = v.map((p) => p[1]); }
  if (!fpr || fpr.length !== tpr.length || fpr.length < 2) return null;
  if (![...fpr, ...tpr].every((x) => isNum(x) && x >= 0 && x <= 1)) return null;
  const points = fpr.map((x, i) => [x, tpr[i]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { points, auc: isObj(v) ? readMetric(v.auc)?.value : undefined };
}

// Trapezoid area under a sorted ROC polyline (for a figure caption when the
// metadata gives points but no AUC).
export function trapezoidAuc(points) {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += (points[i][0] - points[i - 1][0]) * (points[i][1] + points[i - 1][1]) / 2;
  return area;
}

function splitBlock(meta, key) {
  if (key === 'unstated') return meta?.metrics ?? null;
  return meta?.metrics?.[key] ?? meta?.evaluation?.[key] ?? meta?.[`${key}_metrics`] ?? null;
}

// -> [{split, label, n, metrics: [{key, label, value, lo?, hi?}], confusion, roc}]
export function readEvaluations(meta, classes) {
  const out = [];
  const seen = new Set();
  // Flat metrics with no split named come last, and only if nothing else did.
  for (const [key, label] of [...SPLITS, ['unstated', 'Reported by the trainer (split not stated)']]) {
    if (key === 'unstated' && out.length) break;
    const block = splitBlock(meta, key);
    if (!isObj(block)) continue;
    const metrics = [];
    const labelsSeen = new Set();
    for (const [k, l] of METRIC_LABELS) {
      const m = readMetric(block[k]);
      if (m && !labelsSeen.has(l)) { metrics.push({ key: k, label: l, ...m }); labelsSeen.add(l); }
    }
    const confusion = readConfusion(block.confusion ?? block.confusion_matrix ?? block.confusion_threshold, classes);
    const roc = readRoc(block.roc);
    const calibration = readCalibration(block.calibration);
    const n = [block.n, block.count, block.images].find(isNum);
    if (!metrics.length && !confusion && !roc) continue;
    if (seen.has(label)) continue;
    seen.add(label);
    out.push({ split: key, label, n, metrics, confusion, roc, calibration });
  }
  return out;
}

// Reliability bins: mean predicted probability vs observed fraction positive.
export function readCalibration(v) {
  if (!isObj(v) || !Array.isArray(v.bins)) return null;
  const bins = v.bins.filter((b) => isObj(b) && [b.lower, b.upper, b.count].every(isNum))
    .map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, predicted: b.mean_probability, observed: b.fraction_positive }));
  if (!bins.length) return null;
  return { ece: isNum(v.ece) ? v.ece : undefined, bins };
}

// The OOD gate as the model card shows it, or null when the model has none
// fitted: {threshold, layers, validationPassRate, adult, ages, benchmark:
// {passRate, rejectionRate, auroc, inDistribution, sets: [{name, description,
// rejected}], adult: {withheld, withheldAsAdult, films}}}. adult (the adult
// check, core/classify/scope.h): {description, validationPassRate} or null;
// ages: {from, to} (metadata.intended_use) or null.
export function readOodGate(meta) {
  const ood = meta?.ood;
  if (!isObj(ood) || !isNum(ood.threshold)) return null;
  const b = isObj(ood.benchmark) ? ood.benchmark : null;
  return {
    threshold: ood.threshold,
    layers: Array.isArray(ood.layers) ? ood.layers : [],
    description: typeof ood.description === 'string' ? ood.description : '',
    validationPassRate: readMetric(ood.validation?.pass_rate)?.value,
    adult: isObj(ood.adult) && isNum(ood.adult.threshold) ? {
      description: typeof ood.adult.description === 'string' ? ood.adult.description : '',
      validationPassRate: readMetric(ood.adult.validation_pass_rate)?.value,
    } : null,
    ages: isObj(meta.intended_use?.age_years) && isNum(meta.intended_use.age_years.from) && isNum(meta.intended_use.age_years.to)
      ? { from: meta.intended_use.age_years.from, to: meta.intended_use.age_years.to } : null,
    benchmark: b && {
      passRate: readMetric(b.pass_rate), rejectionRate: readMetric(b.ood_rejection_rate), auroc: isNum(b.auroc) ? b.auroc : undefined,
      inDistribution: b.in_distribution,
      sets: (Array.isArray(b.sets) ? b.sets : []).map((x) => ({ name: x.name, description: x.description, rejected: readMetric(x.rejected) }))
        .filter((x) => x.rejected),
      adult: isObj(b.adult?.['set-aside']) ? {
        withheld: readMetric(b.adult['set-aside'].withheld), withheldAsAdult: readMetric(b.adult['set-aside'].withheld_as_adult),
        films: b.adult['set-aside'].films,
      } : null,
    },
  };
}

export function parseMetadata(json) {
  try {
    const v = JSON.parse(json);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}
