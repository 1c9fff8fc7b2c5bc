#include "trainer/adult_check.h"

#include <cmath>

#include "trainer/gate.h"

namespace cxr::train {

Status fit_logistic(const std::vector<const std::vector<float>*>& negatives,
                    const std::vector<const std::vector<float>*>& positives, double l2, LogisticFit* out) {
  if (negatives.empty() || positives.empty())
    return Fail(cxr_status_invalid_argument, "the logistic fit needs rows of both classes");
  const size_t d = negatives[0]->size(), n = negatives.size() + positives.size();
  std::vector<const std::vector<float>*> rows(negatives);
  rows.insert(rows.end(), positives.begin(), positives.end());
  for (const std::vector<float>* r : rows)
    if (r->size() != d || d == 0) return Fail(cxr_status_invalid_argument, "the logistic fit's rows differ in length");

  // Standardise (pooled mean and standard deviation; a constant feature keeps scale 1).
  std::vector<double> mean(d, 0.0), scale(d, 0.0);
  for (const std::vector<float>* r : rows)
    for (size_t j = 0; j < d; ++j) mean[j] += (*r)[j] / double(n);
  for (const std::vector<float>* r : rows)
    for (size_t j = 0; j < d; ++j) scale[j] += ((*r)[j] - mean[j]) * ((*r)[j] - mean[j]) / double(n);
  for (double& s : scale) s = s > 1e-20 ? std::sqrt(s) : 1.0;
  const size_t m = d + 1;  // the last coefficient is the intercept
  std::vector<double> x(n * m);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) x[i * m + j] = ((*rows[i])[j] - mean[j]) / scale[j];
    x[i * m + d] = 1.0;
  }
  // Each class carries half the total weight, however many rows it has.
  const double w_neg = 0.5 / double(negatives.size()), w_pos = 0.5 / double(positives.size());

  std::vector<double> beta(m, 0.0), gradient(m), hessian(m * m), inverse;
  for (int it = 1; it <= 100; ++it) {
    std::fill(gradient.begin(), gradient.end(), 0.0);
    std::fill(hessian.begin(), hessian.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double* xi = &x[i * m];
      double z = 0;
      for (size_t j = 0; j < m; ++j) z += beta[j] * xi[j];
      const double p = 1 / (1 + std::exp(-z)), y = i < negatives.size() ? 0.0 : 1.0;
      const double w = y ? w_pos : w_neg, curvature = w * p * (1 - p);
      for (size_t a = 0; a < m; ++a) {
        gradient[a] += w * (p - y) * xi[a];
        for (size_t b = 0; b <= a; ++b) hessian[a * m + b] += curvature * xi[a] * xi[b];
      }
    }
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < a; ++b) hessian[b * m + a] = hessian[a * m + b];
      const double penalty = a < d ? l2 : 1e-9;  // the intercept is not shrunk
      gradient[a] += penalty * beta[a];
      hessian[a * m + a] += penalty;
    }
    if (!invert_spd(hessian, m, &inverse)) return Fail(cxr_status_internal, "the logistic fit's Hessian is singular");
    double step = 0;
    for (size_t a = 0; a < m; ++a) {
      double delta = 0;
      for (size_t b = 0; b < m; ++b) delta += inverse[a * m + b] * gradient[b];
      beta[a] -= delta;
      step = std::max(step, std::fabs(delta));
    }
    if (step < 1e-8) {
      out->iterations = it;
      out->weights.resize(d);
      double bias = beta[d];
      for (size_t j = 0; j < d; ++j) {
        out->weights[j] = float(beta[j] / scale[j]);
        bias -= beta[j] * mean[j] / scale[j];
      }
      out->bias = float(bias);
      return Ok();
    }
  }
  return Fail(cxr_status_internal, "the logistic fit did not converge in 100 Newton steps (try a larger --adult-l2)");
}

double logistic_score(const LogisticFit& fit, const std::vector<float>& features) {
  double z = fit.bias;  // in the core's order and precision (classify/scope.cpp)
  for (size_t j = 0; j < fit.weights.size(); ++j) z += double(fit.weights[j]) * features[j];
  return z;
}

}  // namespace cxr::train
