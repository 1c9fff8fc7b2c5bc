// Binary classification metrics on scores (the positive class's probability):
// AUC, ROC/PR curves, confusion counts, bootstrap CIs, calibration,
// temperature fitting and the operating-threshold policy. Plain C++, shared by
// fit (validation) and evaluate (any split).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/json.h"

namespace cxr::train {

// Rank AUC (Mann-Whitney U, ties count half); 0.5 when a class is missing.
double auc(const std::vector<double>& scores, const std::vector<int>& labels);

struct Confusion {
  size_t tp = 0, fp = 0, tn = 0, fn = 0;
  double sensitivity() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double specificity() const { return tn + fp ? double(tn) / double(tn + fp) : 0; }
  double accuracy() const { return double(tp + tn) / double(tp + tn + fp + fn ? tp + tn + fp + fn : 1); }
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
  double npv() const { return tn + fn ? double(tn) / double(tn + fn) : 0; }
  double f1_positive() const;
  double f1_negative() const;
};
// Positive when score >= threshold.
Confusion confusion_at(const std::vector<double>& scores, const std::vector<int>& labels, double threshold);

// The operating-threshold policy: the highest threshold whose sensitivity is
// at least `min_sensitivity` (so specificity is as high as that allows).
double threshold_for_sensitivity(const std::vector<double>& scores, const std::vector<int>& labels,
                                 double min_sensitivity);

// Temperature T minimising the NLL of softmax(logits / T) for two classes,
// given margins m = logit[positive] - logit[negative].
double fit_temperature(const std::vector<double>& margins, const std::vector<int>& labels);
double mean_nll(const std::vector<double>& margins, const std::vector<int>& labels, double temperature);
double sigmoid(double x);

// Wilson score 95% interval of a proportion successes / n.
json::Value proportion_with_ci(size_t successes, size_t n);

// A ROC or PR curve ([x, y, threshold] points, thresholds falling) cut to at
// most `max_points` for drawing: points on a straight run between their
// neighbours go first (the drawn line is unchanged), then, if still too many,
// those nearest the line through the rest (Ramer-Douglas-Peucker). The first
// and last points and the operating point (the lowest threshold at or above
// `operating_threshold`) always stay; kept points are copied unchanged.
constexpr size_t kCurvePoints = 100;
json::Value decimate_curve(const json::Value& points, double operating_threshold, size_t max_points);

// The evaluation report for one split: point estimates with bootstrap 95%
// percentile intervals (seeded), confusion matrices at argmax and at the
// threshold, ROC and PR points (decimate_curve), calibration bins and ECE, per-subtype
// sensitivity. `subtypes` holds "normal"/"bacteria"/"virus" per sample.
json::Value evaluation_report(const std::vector<double>& scores, const std::vector<int>& labels,
                              const std::vector<int>& argmax, const std::vector<std::string>& subtypes,
                              double threshold, size_t resamples, uint64_t seed);

}  // namespace cxr::train
