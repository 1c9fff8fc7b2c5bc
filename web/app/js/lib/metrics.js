// Reads the model card's numbers out of a model's JSON metadata, laid out as
// metadata schema 1 (docs/DESIGN.md, "Metadata schema"; what cxr-train writes;
// a file without `metadata_schema` is schema 1) and nothing else:
//   metrics.<split>, split report | tune | test | validation, each optional:
//     count; auc, accuracy, sensitivity, specificity, precision, npv,
//     f1_pneumonia: {value, ci95?: [low, high]};
//     confusion_threshold: [[tn, fp], [fn, tp]] (rows: true class, columns:
//     the decision at the threshold, in the model's class order);
//     roc: [[fpr, tpr, threshold], ...]; calibration: {ece, bins: [{lower,
//     upper, count, mean_probability?, fraction_positive?}]}
//   ood (optional): threshold (absent: not fitted), layers, description,
//     validation.pass_rate, adult {threshold, description,
//     validation_pass_rate}, benchmark {pass_rate, ood_rejection_rate, auroc,
//     in_distribution, sets: [{name, description, rejected}], adult:
//     {'set-aside': {films, withheld, withheld_as_adult}}}
//   intended_use.age_years {from, to} (optional)
// A member schema 1 makes optional and the file lacks is "not recorded"; one
// that is there in another shape is named in `unreadable`, never guessed at;
// a newer schema is refused whole (schemaProblem).

export const METADATA_SCHEMA = 1;

const METRIC_LABELS = [
  ['auc', 'AUC (ROC)'], ['accuracy', 'Accuracy'], ['sensitivity', 'Sensitivity (recall)'], ['specificity', 'Specificity'],
  ['precision', 'Precision (PPV)'], ['npv', 'NPV'], ['f1_pneumonia', 'F1 (pneumonia)'],
];

// The test split's report half (evaluated once, nothing chosen on it) comes
// first; its tune half chose the threshold, so all of test/ is no longer clean.
const SPLITS = [['report', 'Test split, report half (held out; evaluated once)'],
  ['tune', 'Test split, tune half (the threshold was chosen on it)'], ['test', 'Official test split (all films)'],
  ['validation', 'Validation']];

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const isRate = (x) => isNum(x) && x >= 0 && x <= 1;

// The schema the metadata says it has (absent: 1).
export function metadataSchema(meta) {
  return meta?.metadata_schema === undefined ? 1 : meta.metadata_schema;
}

// null when this page reads the metadata's schema, else the sentence to show
// instead of the card.
export function schemaProblem(meta) {
  const schema = metadataSchema(meta);
  if (Number.isInteger(schema) && schema >= 1 && schema <= METADATA_SCHEMA) return null;
  return `The model card cannot be shown: this model's metadata is schema ${JSON.stringify(schema)}, and this page reads schema ${METADATA_SCHEMA}. `
    + 'Update the app to a version that reads it.';
}

// {value, ci95?: [low, high]} -> {value, lo?, hi?}; anything else null.
export function readMetric(v) {
  if (!isObj(v) || !isNum(v.value)) return null;
  if (v.ci95 === undefined) return { value: v.value };
  if (!Array.isArray(v.ci95) || v.ci95.length !== 2 || !v.ci95.every(isNum)) return null;
  return { value: v.value, lo: v.ci95[0], hi: v.ci95[1] };
}

// [[tn, fp], [fn, tp]]: one row and one column per class, counts.
export function readConfusion(v, classes) {
  const n = Array.isArray(classes) ? classes.length : 0;
  if (!Array.isArray(v) || n < 2 || v.length !== n) return null;
  if (!v.every((r) => Array.isArray(r) && r.length === n && r.every((x) => Number.isInteger(x) && x >= 0))) return null;
  return { labels: classes, matrix: v };
}

// [[fpr, tpr, threshold], ...] -> {points: [[fpr, tpr], ...]} by rising fpr.
export function readRoc(v) {
  if (!Array.isArray(v) || v.length < 2 || !v.every((p) => Array.isArray(p) && p.length === 3 && p.every(isRate))) return null;
  return { points: v.map((p) => [p[0], p[1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]) };
}

// Trapezoid area under a sorted ROC polyline (for a figure caption when the
// metadata gives points but no AUC).
export function trapezoidAuc(points) {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += (points[i][0] - points[i - 1][0]) * (points[i][1] + points[i - 1][1]) / 2;
  return area;
}

// Reliability bins: mean predicted probability vs observed fraction positive.
export function readCalibration(v) {
  if (!isObj(v) || !isNum(v.ece) || !Array.isArray(v.bins) || !v.bins.length) return null;
  const bin = (b) => isObj(b) && [b.lower, b.upper].every(isRate) && Number.isInteger(b.count) && b.count >= 0
    && (b.count === 0 || (isRate(b.mean_probability) && isRate(b.fraction_positive)));
  if (!v.bins.every(bin)) return null;
  return { ece: v.ece, bins: v.bins.map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, predicted: b.mean_probability, observed: b.fraction_positive })) };
}

// object[key] read by `read`: undefined when absent (not recorded), null when
// there in another shape (its path then goes into `unreadable`).
function member(object, key, read, path, unreadable) {
  if (!isObj(object) || object[key] === undefined) return undefined;
  const value = read(object[key]);
  if (value === null) unreadable.push(`${path}.${key}`);
  return value ?? null;
}

const readCount = (v) => (Number.isInteger(v) && v >= 0 ? v : null);

// -> {evaluations: [{split, label, n, metrics: [{key, label, value, lo?, hi?}],
// confusion, roc, calibration}], unreadable: [member paths]}
export function readEvaluations(meta, classes) {
  const unreadable = [];
  const metrics = member(meta, 'metrics', (v) => (isObj(v) ? v : null), 'metadata', unreadable);
  const evaluations = [];
  for (const [split, label] of SPLITS) {
    const path = `metrics.${split}`;
    const block = member(metrics, split, (v) => (isObj(v) ? v : null), 'metrics', unreadable);
    if (!block) continue;
    const values = METRIC_LABELS.map(([key, name]) => ({ key, label: name, ...member(block, key, readMetric, path, unreadable) }))
      .filter((m) => m.value !== undefined);
    evaluations.push({
      split, label, metrics: values,
      n: member(block, 'count', readCount, path, unreadable),
      confusion: member(block, 'confusion_threshold', (v) => readConfusion(v, classes), path, unreadable),
      roc: member(block, 'roc', readRoc, path, unreadable),
      calibration: member(block, 'calibration', readCalibration, path, unreadable),
    });
  }
  return { evaluations, unreadable };
}

// The OOD gate as the model card shows it, or null when the model has none
// fitted: {threshold, layers, description, validationPassRate, adult, ages,
// benchmark: {passRate, rejectionRate, auroc, inDistribution, sets: [{name,
// description, rejected}], adult: {withheld, withheldAsAdult, films}}}.
// adult (the adult check, core/classify/scope.h): {description,
// validationPassRate} or null; ages: {from, to} (intended_use) or null.
// Members in another shape go into `unreadable`.
export function readOodGate(meta, unreadable = []) {
  const ood = meta?.ood;
  if (!isObj(ood) || ood.threshold === undefined) return null;
  const text = (v) => (typeof v === 'string' ? v : null);
  const m = (object, key, read, path) => member(object, key, read, path, unreadable);
  const threshold = m(ood, 'threshold', (v) => (isNum(v) ? v : null), 'ood');
  if (threshold === null) return null;
  const adultCheck = m(ood, 'adult', (v) => (isObj(v) ? v : null), 'ood');
  const adult = adultCheck && m(adultCheck, 'threshold', (v) => (isNum(v) ? v : null), 'ood.adult') !== undefined ? adultCheck : null;
  const ages = m(meta.intended_use, 'age_years', (v) => (isObj(v) && isNum(v.from) && isNum(v.to) ? v : null), 'intended_use');
  const b = m(ood, 'benchmark', (v) => (isObj(v) ? v : null), 'ood');
  const aside = b && m(b.adult, 'set-aside', (v) => (isObj(v) ? v : null), 'ood.benchmark.adult');
  const set = (x, i) => {
    const where = `ood.benchmark.sets[${i}]`;
    return { name: m(x, 'name', text, where), description: m(x, 'description', text, where), rejected: m(x, 'rejected', readMetric, where) };
  };
  return {
    threshold,
    layers: m(ood, 'layers', (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null), 'ood') ?? [],
    description: m(ood, 'description', text, 'ood') ?? '',
    validationPassRate: m(ood.validation, 'pass_rate', (v) => (isRate(v) ? v : null), 'ood.validation') ?? undefined,
    adult: adult ? {
      description: m(adult, 'description', text, 'ood.adult') ?? '',
      validationPassRate: m(adult, 'validation_pass_rate', (v) => (isRate(v) ? v : null), 'ood.adult') ?? undefined,
    } : null,
    ages: ages ? { from: ages.from, to: ages.to } : null,
    benchmark: b ? {
      passRate: m(b, 'pass_rate', readMetric, 'ood.benchmark'), rejectionRate: m(b, 'ood_rejection_rate', readMetric, 'ood.benchmark'),
      auroc: m(b, 'auroc', (v) => (isRate(v) ? v : null), 'ood.benchmark') ?? undefined,
      inDistribution: m(b, 'in_distribution', text, 'ood.benchmark'),
      sets: (m(b, 'sets', (v) => (Array.isArray(v) && v.every(isObj) ? v : null), 'ood.benchmark') ?? []).map(set).filter((x) => x.rejected),
      adult: aside ? {
        withheld: m(aside, 'withheld', readMetric, 'ood.benchmark.adult.set-aside'),
        withheldAsAdult: m(aside, 'withheld_as_adult', readMetric, 'ood.benchmark.adult.set-aside'),
        films: m(aside, 'films', readCount, 'ood.benchmark.adult.set-aside'),
      } : null,
    } : null,
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
