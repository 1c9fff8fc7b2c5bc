#include "trainer/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

namespace cxr::train {

using json::Value;

double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

double auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = 0.5 * double(i + j + 1);  // 1-based average rank of the tie group
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]] == 1) positive_rank_sum += mid_rank, ++positives;
    i = j;
  }
  const size_t negatives = scores.size() - positives;
  if (!positives || !negatives) return 0.5;
  return (positive_rank_sum - double(positives) * (positives + 1) / 2) / (double(positives) * negatives);
}

double Confusion::f1_positive() const {
  const double p = precision(), r = sensitivity();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
double Confusion::f1_negative() const {
  const double p = npv(), r = specificity();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

Confusion confusion_at(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  Confusion c;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool called = scores[i] >= threshold;
    if (labels[i] == 1) (called ? c.tp : c.fn)++;
    else (called ? c.fp : c.tn)++;
  }
  return c;
}

double threshold_for_sensitivity(const std::vector<double>& scores, const std::vector<int>& labels,
                                 double min_sensitivity) {
  std::vector<double> positive;
  for (size_t i = 0; i < scores.size(); ++i)
    if (labels[i] == 1) positive.push_back(scores[i]);
  if (positive.empty()) return 0.5;
  std::sort(positive.begin(), positive.end(), std::greater<double>());
  // The k-th highest positive score keeps k positives at or above it.
  const size_t k = size_t(std::ceil(min_sensitivity * double(positive.size()) - 1e-9));
  return positive[std::min(std::max<size_t>(k, 1), positive.size()) - 1];
}

double mean_nll(const std::vector<double>& margins, const std::vector<int>& labels, double temperature) {
  double total = 0;
  for (size_t i = 0; i < margins.size(); ++i) {
    const double z = margins[i] / temperature * (labels[i] == 1 ? 1 : -1);
    total += z >= 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));  // -log sigmoid(z)
  }
  return margins.empty() ? 0 : total / double(margins.size());
}

double fit_temperature(const std::vector<double>& margins, const std::vector<int>& labels) {
  // NLL is unimodal in log T: golden-section search on log T in [log 0.05, log 20].
  double lo = std::log(0.05), hi = std::log(20.0);
  const double golden = 0.5 * (std::sqrt(5.0) - 1);
  for (int i = 0; i < 100; ++i) {
    const double a = hi - golden * (hi - lo), b = lo + golden * (hi - lo);
    if (mean_nll(margins, labels, std::exp(a)) < mean_nll(margins, labels, std::exp(b))) hi = b;
    else lo = a;
  }
  return std::exp(0.5 * (lo + hi));
}

namespace {

Value interval(double point, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Value v = Value::make_object();
  v.set("value", Value::of(point));
  if (!samples.empty()) {
    auto at = [&](double q) { return samples[size_t(std::floor(q * double(samples.size() - 1) + 0.5))]; };
    v.set("ci95", Value::make_array());
    v.find("ci95")->push(Value::of(at(0.025)));
    v.find("ci95")->push(Value::of(at(0.975)));
  }
  return v;
}

Value confusion_json(const Confusion& c) {
  // Rows: true NORMAL, true PNEUMONIA; columns: predicted NORMAL, PNEUMONIA.
  Value m = Value::make_array();
  Value r0 = Value::make_array(), r1 = Value::make_array();
  r0.push(Value::of(double(c.tn)));
  r0.push(Value::of(double(c.fp)));
  r1.push(Value::of(double(c.fn)));
  r1.push(Value::of(double(c.tp)));
  m.push(std::move(r0));
  m.push(std::move(r1));
  return m;
}

// The argmax decisions (1: positive) against the labels.
Confusion confusion_of(const std::vector<int>& labels, const std::vector<int>& argmax) {
  Confusion c;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 1) (argmax[i] == 1 ? c.tp : c.fn)++;
    else (argmax[i] == 1 ? c.fp : c.tn)++;
  }
  return c;
}

// The rates reported for the decisions at the threshold and, under
// `argmax_name`, for the argmax decisions (no argmax npv: it was never reported).
struct Rate {
  const char* name;
  const char* argmax_name;
  double (Confusion::*of)() const;
};
constexpr Rate kRates[] = {{"accuracy", "argmax_accuracy", &Confusion::accuracy},
                           {"sensitivity", "argmax_sensitivity", &Confusion::sensitivity},
                           {"specificity", "argmax_specificity", &Confusion::specificity},
                           {"precision", "argmax_precision", &Confusion::precision},
                           {"npv", nullptr, &Confusion::npv},
                           {"f1_pneumonia", "argmax_f1_pneumonia", &Confusion::f1_positive},
                           {"f1_normal", "argmax_f1_normal", &Confusion::f1_negative}};

// Named statistics of one resample, the same function for the point estimate:
// the AUC, the rates at the threshold, then the argmax rates.
std::vector<std::pair<const char*, double>> statistics(const std::vector<double>& scores,
                                                       const std::vector<int>& labels, const std::vector<int>& argmax,
                                                       double threshold) {
  const Confusion at_threshold = confusion_at(scores, labels, threshold), by_argmax = confusion_of(labels, argmax);
  std::vector<std::pair<const char*, double>> out = {{"auc", auc(scores, labels)}};
  for (const Rate& rate : kRates) out.emplace_back(rate.name, (at_threshold.*rate.of)());
  for (const Rate& rate : kRates)
    if (rate.argmax_name) out.emplace_back(rate.argmax_name, (by_argmax.*rate.of)());
  return out;
}

Value curve_points(const std::vector<double>& scores, const std::vector<int>& labels, bool roc) {
  std::vector<double> thresholds(scores);
  std::sort(thresholds.begin(), thresholds.end(), std::greater<double>());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  Value points = Value::make_array();
  if (roc) {
    Value start = Value::make_array();
    start.push(Value::of(0.0)), start.push(Value::of(0.0)), start.push(Value::of(1.0));
    points.push(std::move(start));
  }
  for (double t : thresholds) {
    const Confusion c = confusion_at(scores, labels, t);
    Value p = Value::make_array();  // ROC: [fpr, tpr, threshold]; PR: [recall, precision, threshold]
    p.push(Value::of(roc ? 1 - c.specificity() : c.sensitivity()));
    p.push(Value::of(roc ? c.sensitivity() : c.precision()));
    p.push(Value::of(t));
    points.push(std::move(p));
  }
  return points;
}

Value calibration(const std::vector<double>& scores, const std::vector<int>& labels, int bins) {
  // Reliability of the positive-class probability: equal-width bins.
  std::vector<double> confidence(bins), observed(bins);
  std::vector<size_t> count(bins);
  for (size_t i = 0; i < scores.size(); ++i) {
    const int b = std::min(bins - 1, int(scores[i] * bins));
    confidence[b] += scores[i], observed[b] += labels[i], ++count[b];
  }
  double ece = 0;
  Value rows = Value::make_array();
  for (int b = 0; b < bins; ++b) {
    Value row = Value::make_object();
    row.set("lower", Value::of(double(b) / bins));
    row.set("upper", Value::of(double(b + 1) / bins));
    row.set("count", Value::of(double(count[b])));
    if (count[b]) {
      row.set("mean_probability", Value::of(confidence[b] / count[b]));
      row.set("fraction_positive", Value::of(observed[b] / count[b]));
      ece += std::fabs(confidence[b] - observed[b]) / double(scores.size());
    }
    rows.push(std::move(row));
  }
  Value out = Value::make_object();
  out.set("ece", Value::of(ece));
  out.set("bins", std::move(rows));
  return out;
}

}  // namespace

Value decimate_curve(const Value& points, double operating_threshold, size_t max_points) {
  const std::vector<Value>& p = points.array;
  const size_t n = p.size();
  if (n <= 2) return points;
  auto x = [&](size_t i) { return p[i].array[0].number; };
  auto y = [&](size_t i) { return p[i].array[1].number; };
  // Kept whatever happens: the ends and the operating point (the lowest
  // threshold still at or above the operating one).
  std::vector<size_t> forced = {0};
  size_t operating = n;
  for (size_t i = 0; i < n; ++i)
    if (p[i].array.size() > 2 && p[i].array[2].number >= operating_threshold) operating = i;
  if (operating > 0 && operating < n - 1) forced.push_back(operating);
  forced.push_back(n - 1);
  // Ramer-Douglas-Peucker between the forced points, recording at which
  // tolerance each point would be dropped: a point's distance from the chord
  // that split on it, capped by its parents' (the kept sets are nested).
  // Points on their chord (collinear runs) get 0 and are always dropped.
  std::vector<double> keep_above(n, 0);
  std::vector<size_t> discovered(n, n);
  size_t order = 0;
  struct Segment {
    size_t a, b;
    double cap;
  };
  std::vector<Segment> stack;
  for (size_t k = 0; k + 1 < forced.size(); ++k) stack.push_back({forced[k], forced[k + 1], INFINITY});
  while (!stack.empty()) {
    const Segment s = stack.back();
    stack.pop_back();
    const double dx = x(s.b) - x(s.a), dy = y(s.b) - y(s.a), length = std::hypot(dx, dy);
    double farthest = 0;
    size_t split = s.a;
    for (size_t i = s.a + 1; i < s.b; ++i) {
      const double d = length > 0 ? std::fabs(dx * (y(i) - y(s.a)) - dy * (x(i) - x(s.a))) / length
                                  : std::hypot(x(i) - x(s.a), y(i) - y(s.a));
      if (d > farthest) farthest = d, split = i;
    }
    if (farthest <= 0) continue;
    keep_above[split] = std::min(farthest, s.cap);
    discovered[split] = order++;
    stack.push_back({s.a, split, keep_above[split]});
    stack.push_back({split, s.b, keep_above[split]});
  }
  std::vector<size_t> candidates;
  for (size_t i = 0; i < n; ++i)
    if (keep_above[i] > 0) candidates.push_back(i);
  std::sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    return keep_above[a] != keep_above[b] ? keep_above[a] > keep_above[b] : discovered[a] < discovered[b];
  });
  const size_t room = max_points > forced.size() ? max_points - forced.size() : 0;
  if (candidates.size() > room) candidates.resize(room);
  std::vector<bool> keep(n, false);
  for (size_t i : forced) keep[i] = true;
  for (size_t i : candidates) keep[i] = true;
  Value out = Value::make_array();
  for (size_t i = 0; i < n; ++i)
    if (keep[i]) out.push(p[i]);
  return out;
}

Value evaluation_report(const std::vector<double>& scores, const std::vector<int>& labels,
                        const std::vector<int>& argmax, const std::vector<std::string>& subtypes, double threshold,
                        size_t resamples, uint64_t seed) {
  const auto point = statistics(scores, labels, argmax, threshold);
  std::vector<std::vector<double>> boot(point.size());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, scores.size() - 1);
  std::vector<double> s(scores.size());
  std::vector<int> l(scores.size()), a(scores.size());
  for (size_t r = 0; r < resamples; ++r) {
    for (size_t i = 0; i < scores.size(); ++i) {
      const size_t k = pick(rng);
      s[i] = scores[k], l[i] = labels[k], a[i] = argmax[k];
    }
    const auto stats = statistics(s, l, a, threshold);
    for (size_t k = 0; k < stats.size(); ++k) boot[k].push_back(stats[k].second);
  }
  Value report = Value::make_object();
  report.set("count", Value::of(double(scores.size())));
  report.set("positives", Value::of(double(std::count(labels.begin(), labels.end(), 1))));
  report.set("threshold", Value::of(threshold));
  report.set("bootstrap", Value::of(double(resamples)));
  report.set("bootstrap_seed", Value::of(double(seed)));
  for (size_t k = 0; k < point.size(); ++k) report.set(point[k].first, interval(point[k].second, boot[k]));
  report.set("confusion_threshold", confusion_json(confusion_at(scores, labels, threshold)));
  report.set("confusion_argmax", confusion_json(confusion_of(labels, argmax)));
  report.set("confusion_layout", Value::of("rows: true NORMAL, PNEUMONIA; columns: predicted NORMAL, PNEUMONIA"));
  // Sensitivity at the threshold per pneumonia subtype.
  std::map<std::string, std::pair<size_t, size_t>> by_subtype;  // subtype -> (called, total)
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == 1) {
      auto& [called, total] = by_subtype[subtypes[i]];
      called += scores[i] >= threshold, ++total;
    }
  Value subtype = Value::make_object();
  for (const auto& [name, counts] : by_subtype) {
    Value v = Value::make_object();
    v.set("sensitivity", Value::of(double(counts.first) / double(counts.second)));
    v.set("count", Value::of(double(counts.second)));
    subtype.set(name, std::move(v));
  }
  report.set("sensitivity_by_subtype", std::move(subtype));
  report.set("calibration", calibration(scores, labels, 10));
  report.set("roc", decimate_curve(curve_points(scores, labels, true), threshold, kCurvePoints));
  report.set("pr", decimate_curve(curve_points(scores, labels, false), threshold, kCurvePoints));
  return report;
}

json::Value proportion_with_ci(size_t successes, size_t n) {
  const double z = 1.959964, p = n ? double(successes) / double(n) : 0, nn = double(n ? n : 1);
  const double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  json::Value v = json::Value::make_object();
  v.set("value", json::Value::of(p));
  json::Value ci = json::Value::make_array();
  ci.push(json::Value::of(std::max(0.0, centre - half)));
  ci.push(json::Value::of(std::min(1.0, centre + half)));
  v.set("ci95", std::move(ci));
  v.set("count", json::Value::of(double(successes)));
  v.set("of", json::Value::of(double(n)));
  return v;
}

}  // namespace cxr::train
