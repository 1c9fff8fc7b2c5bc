// The adult check's fit (classify/scope.h): outlier exposure in its simplest
// form, an L2-regularised logistic regression on the gate's features with
// in-scope (pediatric) films as 0 and adult films as 1, each class weighted
// equally. Features are standardised for the fit (so one L2 strength suits
// every feature's scale); the stored weights work on the raw features.
#pragma once
#include <string>
#include <vector>

#include "common/status.h"

namespace cxr::train {

struct LogisticFit {
  std::vector<float> weights;  // on raw features
  float bias = 0;
  int iterations = 0;
};

// Newton's method (the problem is small: a few thousand rows, a few hundred
// features). Fails when the rows are empty or ragged or it does not converge.
Status fit_logistic(const std::vector<const std::vector<float>*>& negatives,
                    const std::vector<const std::vector<float>*>& positives, double l2, LogisticFit* out);

double logistic_score(const LogisticFit& fit, const std::vector<float>& features);

}  // namespace cxr::train
