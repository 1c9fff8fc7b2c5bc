// The measures behind a site calibration (cxr/calibration.h states each
// definition). Plain functions over scores and labels so the tests can hold
// each one against a naive version.
#pragma once
#include <cstdint>
#include <vector>

#include "cxr/calibration.h"

namespace cxr::calibrate {

struct Film {
  float score;    // probability the decision compares with the threshold
  bool positive;  // label
};

// Wilson score interval at 95% for `count` of `total` (total 0: all zero).
cxr_proportion wilson(uint32_t count, uint32_t total);

// Mann-Whitney AUC, ties one half. Needs both classes.
double auc(const std::vector<Film>& films);

// Percentile 95% interval of the AUC over `resamples` stratified bootstrap
// resamples drawn with splitmix64 from `seed`.
void auc_interval(const std::vector<Film>& films, uint32_t resamples, uint64_t seed, double* low, double* high);

// One point per distinct score, from the highest threshold (1, 1 last).
std::vector<cxr_roc_point> roc(const std::vector<Film>& films);

// Threshold for a target sensitivity or specificity (see the header's rule).
float threshold_for(const std::vector<Film>& films, cxr_target_kind kind, double target);

cxr_operating_point operating_point(const std::vector<Film>& films, float threshold);

void reliability(const std::vector<Film>& films, cxr_reliability_bin bins[CXR_RELIABILITY_BINS]);

// Maximum-likelihood temperature and bias for p = sigmoid(z / T + b): Newton
// from (1, 0) with step halving; the slope 1/T kept within [1e-3, 1e3].
void fit_temperature(const std::vector<double>& log_odds, const std::vector<bool>& positive, double* temperature,
                     double* bias);

// The site probability for a film of model log-odds `z` (the one formula the
// calibration and the classifier share, so their floats are identical).
float site_probability(float z, double temperature, double bias);

}  // namespace cxr::calibrate
