#include "calibrate/measures.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cxr::calibrate {
namespace {

constexpr double kZ95 = 1.959963984540054;

// splitmix64: tiny, and the same numbers in every build (std::mt19937's
// distributions are not specified bit for bit across standard libraries).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by rejection (no modulo bias).
  uint32_t below(uint32_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return uint32_t(x % n);
  }
};

// Films sorted by score, grouped into runs of equal score: the AUC of any
// resample is then one pass over the groups with per-film multiplicities.
struct SortedFilms {
  std::vector<float> scores;          // ascending
  std::vector<uint32_t> group_start;  // index of each run's first film, then the end
  std::vector<uint8_t> positive;
};

SortedFilms sort_films(const std::vector<Film>& films) {
  SortedFilms s;
  std::vector<size_t> order(films.size());
  std::iota(order.begin(), order.end(), size_t(0));
  // Ties broken by label: equal films are interchangeable, so the bootstrap
  // does not depend on the order the films came in (CLI and page agree).
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return films[a].score < films[b].score ||
           (films[a].score == films[b].score && films[a].positive < films[b].positive);
  });
  for (size_t i : order) {
    if (s.scores.empty() || films[i].score != s.scores.back()) s.group_start.push_back(uint32_t(s.scores.size()));
    s.scores.push_back(films[i].score);
    s.positive.push_back(films[i].positive);
  }
  s.group_start.push_back(uint32_t(s.scores.size()));
  return s;
}

// Weighted Mann-Whitney over sorted films: weight[i] copies of film i.
double weighted_auc(const SortedFilms& s, const std::vector<uint32_t>& weight) {
  double negatives_below = 0, pairs = 0, total_pos = 0, total_neg = 0;
  for (size_t g = 0; g + 1 < s.group_start.size(); ++g) {
    double pos = 0, neg = 0;
    for (uint32_t i = s.group_start[g]; i < s.group_start[g + 1]; ++i) (s.positive[i] ? pos : neg) += weight[i];
    pairs += pos * (negatives_below + 0.5 * neg);
    negatives_below += neg;
    total_pos += pos;
    total_neg += neg;
  }
  return pairs / (total_pos * total_neg);
}

double quantile(std::vector<double> v, double q) {  // linear between order statistics
  std::sort(v.begin(), v.end());
  const double at = q * double(v.size() - 1);
  const size_t i = size_t(at);
  return i + 1 < v.size() ? v[i] + (at - double(i)) * (v[i + 1] - v[i]) : v[i];
}

}  // namespace

cxr_proportion wilson(uint32_t count, uint32_t total) {
  cxr_proportion p{};
  p.count = count;
  p.total = total;
  if (!total) return p;
  const double n = total, phat = count / n, z2 = kZ95 * kZ95;
  const double centre = (phat + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ95 * std::sqrt(phat * (1 - phat) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  p.value = phat;
  p.low = std::max(0.0, centre - half);
  p.high = std::min(1.0, centre + half);
  return p;
}

double auc(const std::vector<Film>& films) {
  return weighted_auc(sort_films(films), std::vector<uint32_t>(films.size(), 1));
}

void auc_interval(const std::vector<Film>& films, uint32_t resamples, uint64_t seed, double* low, double* high) {
  const SortedFilms s = sort_films(films);
  std::vector<uint32_t> positives, negatives;
  for (uint32_t i = 0; i < s.scores.size(); ++i) (s.positive[i] ? positives : negatives).push_back(i);
  SplitMix64 rng{seed};
  std::vector<uint32_t> weight(s.scores.size());
  std::vector<double> aucs;
  aucs.reserve(resamples);
  for (uint32_t r = 0; r < resamples; ++r) {
    std::fill(weight.begin(), weight.end(), 0u);
    for (size_t k = 0; k < positives.size(); ++k) ++weight[positives[rng.below(uint32_t(positives.size()))]];
    for (size_t k = 0; k < negatives.size(); ++k) ++weight[negatives[rng.below(uint32_t(negatives.size()))]];
    aucs.push_back(weighted_auc(s, weight));
  }
  *low = quantile(aucs, 0.025);
  *high = quantile(aucs, 0.975);
}

std::vector<cxr_roc_point> roc(const std::vector<Film>& films) {
  const SortedFilms s = sort_films(films);
  double pos_total = 0, neg_total = 0;
  for (uint8_t p : s.positive) (p ? pos_total : neg_total) += 1;
  std::vector<cxr_roc_point> points;
  points.push_back({std::nextafter(1.0f, 2.0f), 0.0, 0.0});
  double tp = 0, fp = 0;
  for (size_t g = s.group_start.size() - 1; g-- > 0;) {  // highest scores first
    for (uint32_t i = s.group_start[g]; i < s.group_start[g + 1]; ++i) (s.positive[i] ? tp : fp) += 1;
    points.push_back({s.scores[s.group_start[g]], fp / neg_total, tp / pos_total});
  }
  return points;
}

float threshold_for(const std::vector<Film>& films, cxr_target_kind kind, double target) {
  std::vector<float> pos, neg, all;
  for (const Film& f : films) {
    (f.positive ? pos : neg).push_back(f.score);
    all.push_back(f.score);
  }
  if (kind == cxr_target_sensitivity) {
    // Highest threshold with sensitivity >= target: the k-th highest positive.
    std::sort(pos.begin(), pos.end(), std::greater<float>());
    size_t k = size_t(std::ceil(target * double(pos.size()) - 1e-9));
    k = std::min(std::max<size_t>(k, 1), pos.size());
    return pos[k - 1];
  }
  // Lowest threshold with specificity >= target: just above the m-th lowest
  // negative, at the next film score (or the next float when none is above).
  std::sort(neg.begin(), neg.end());
  size_t m = size_t(std::ceil(target * double(neg.size()) - 1e-9));
  m = std::min(std::max<size_t>(m, 1), neg.size());
  const float below = neg[m - 1];
  float next = std::nextafter(below, 2.0f);
  bool found = false;
  for (float s : all)
    if (s > below && (!found || s < next)) next = s, found = true;
  return next;
}

cxr_operating_point operating_point(const std::vector<Film>& films, float threshold) {
  uint32_t tp = 0, pos = 0, tn = 0, neg = 0;
  for (const Film& f : films) {
    if (f.positive) ++pos, tp += f.score >= threshold;
    else ++neg, tn += f.score < threshold;
  }
  return {threshold, wilson(tp, pos), wilson(tn, neg)};
}

void reliability(const std::vector<Film>& films, cxr_reliability_bin bins[CXR_RELIABILITY_BINS]) {
  double sum[CXR_RELIABILITY_BINS] = {}, hits[CXR_RELIABILITY_BINS] = {};
  for (int b = 0; b < CXR_RELIABILITY_BINS; ++b) bins[b] = cxr_reliability_bin{};
  for (const Film& f : films) {
    const int b = std::min(CXR_RELIABILITY_BINS - 1, std::max(0, int(double(f.score) * CXR_RELIABILITY_BINS)));
    ++bins[b].count;
    sum[b] += f.score;
    hits[b] += f.positive;
  }
  for (int b = 0; b < CXR_RELIABILITY_BINS; ++b)
    if (bins[b].count) {
      bins[b].mean_predicted = sum[b] / bins[b].count;
      bins[b].observed_rate = hits[b] / bins[b].count;
    }
}

namespace {

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

double negative_log_likelihood(const std::vector<double>& z, const std::vector<bool>& y, double a, double b) {
  double nll = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double t = a * z[i] + b;
    nll -= y[i] ? log_sigmoid(t) : log_sigmoid(-t);
  }
  return nll;
}

}  // namespace

void fit_temperature(const std::vector<double>& z, const std::vector<bool>& y, double* temperature, double* bias) {
  double a = 1, b = 0;
  double nll = negative_log_likelihood(z, y, a, b);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      const double p = 1 / (1 + std::exp(-(a * z[i] + b))), r = p - (y[i] ? 1 : 0), w = p * (1 - p);
      ga += r * z[i];
      gb += r;
      haa += w * z[i] * z[i];
      hab += w * z[i];
      hbb += w;
    }
    // A tiny ridge keeps the step finite when the films are separable.
    haa += 1e-9 * (1 + haa);
    hbb += 1e-9 * (1 + hbb);
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    bool improved = false;
    for (int halving = 0; halving < 30; ++halving, da /= 2, db /= 2) {
      const double na = std::min(1e3, std::max(1e-3, a - da)), nb = b - db;
      const double n = negative_log_likelihood(z, y, na, nb);
      if (n < nll) {
        improved = std::fabs(nll - n) > 1e-12 * (1 + std::fabs(nll));
        a = na, b = nb, nll = n;
        break;
      }
    }
    if (!improved) break;
  }
  *temperature = 1 / a;
  *bias = b;
}

float site_probability(float z, double temperature, double bias) {
  return float(1 / (1 + std::exp(-(double(z) / temperature + bias))));
}

}  // namespace cxr::calibrate
