// Unit tests of the trainer's plain-C++ metrics (no data, no LibTorch).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "trainer/gate.h"
#include "trainer/metrics.h"

namespace cxr::train {
namespace {

using json::Value;

// Distance of (x, y) from the polyline through `points`.
double distance_to_polyline(const Value& points, double x, double y) {
  double best = INFINITY;
  for (size_t i = 0; i + 1 < points.array.size(); ++i) {
    const double ax = points.array[i].array[0].number, ay = points.array[i].array[1].number;
    const double bx = points.array[i + 1].array[0].number, by = points.array[i + 1].array[1].number;
    const double dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    const double t = length2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / length2, 0.0, 1.0) : 0;
    best = std::min(best, std::hypot(x - ax - t * dx, y - ay - t * dy));
  }
  return best;
}

// Kept points are original points, unchanged and in order.
void expect_subsequence(const Value& kept, const Value& all) {
  size_t j = 0;
  for (const Value& p : kept.array) {
    while (j < all.array.size() && json::serialize(all.array[j]) != json::serialize(p)) ++j;
    ASSERT_LT(j, all.array.size()) << json::serialize(p) << " is not an original point (in order)";
  }
}

// A random classifier's scores: a staircase ROC with many straight runs.
void random_scores(size_t n, double separation, uint32_t seed, std::vector<double>* scores, std::vector<int>* labels) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  for (size_t i = 0; i < n; ++i) {
    labels->push_back(int(rng() % 3 != 0));
    scores->push_back(sigmoid(separation * (labels->back() - 0.5) + noise(rng)));
  }
}

TEST(DecimateCurve, StraightRunsGoFirstAndTheDrawnCurveStaysTheSame) {
  // Up 3, right 2, up 1, right 4: only the corners matter.
  Value roc = Value::make_array();
  const double xy[][2] = {{0, 0},   {0, .1},  {0, .2},  {0, .3},  {.1, .3}, {.2, .3},
                          {.2, .4}, {.3, .4}, {.4, .4}, {.5, .4}, {.6, .4}, {1, 1}};
  double threshold = 1;
  for (const auto& p : xy) {
    Value point = Value::make_array();
    point.push(Value::of(p[0])), point.push(Value::of(p[1])), point.push(Value::of(threshold));
    roc.push(std::move(point));
    threshold -= 0.05;
  }
  const Value kept = decimate_curve(roc, 0.0, 100);
  EXPECT_EQ(json::serialize(kept), "[[0,0,1],[0,0.3,0.85],[0.2,0.3,0.75],[0.2,0.4,0.7],[0.6,0.4,0.5],[1,1,0.45]]");
  // The operating point stays even on a straight run: threshold 0.62 -> the point at 0.65.
  const Value with_operating = decimate_curve(roc, 0.62, 100);
  const std::string text = json::serialize(with_operating);
  EXPECT_NE(text.find("[0.3,0.4,0.65]"), std::string::npos) << text;
  EXPECT_EQ(with_operating.array.size(), kept.array.size() + 1);
}

TEST(DecimateCurve, LongCurvesAreCutToTheCapKeepingEndsOperatingPointAndShape) {
  std::vector<double> scores;
  std::vector<int> labels;
  random_scores(3000, 2.5, 1, &scores, &labels);
  const double operating = 0.5;
  const Value report = evaluation_report(scores, labels, std::vector<int>(scores.size(), 1),
                                         std::vector<std::string>(scores.size(), "normal"), operating, 10, 1);
  for (const char* key : {"roc", "pr"}) {
    const Value& kept = *report.find(key);
    SCOPED_TRACE(key);
    ASSERT_LE(kept.array.size(), kCurvePoints);
    ASSERT_GE(kept.array.size(), kCurvePoints / 2);
    // The full curve, as before decimation: every point of it near the kept line.
    Value all = Value::make_array();
    std::vector<double> thresholds(scores);
    std::sort(thresholds.begin(), thresholds.end(), std::greater<double>());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    if (std::string(key) == "roc") all.push(kept.array.front());
    for (double t : thresholds) {
      const Confusion c = confusion_at(scores, labels, t);
      Value p = Value::make_array();
      p.push(Value::of(key == std::string("roc") ? 1 - c.specificity() : c.sensitivity()));
      p.push(Value::of(key == std::string("roc") ? c.sensitivity() : c.precision()));
      p.push(Value::of(t));
      all.push(std::move(p));
    }
    expect_subsequence(kept, all);
    EXPECT_EQ(json::serialize(kept.array.front()), json::serialize(all.array.front()));
    EXPECT_EQ(json::serialize(kept.array.back()), json::serialize(all.array.back()));
    double farthest = 0;
    for (const Value& p : all.array)
      farthest = std::max(farthest, distance_to_polyline(kept, p.array[0].number, p.array[1].number));
    EXPECT_LT(farthest, 0.01);  // under 2 px on a 200 px chart
    // The operating point: the lowest threshold at or above 0.5.
    const double at = *std::min_element(thresholds.begin(), thresholds.end(), [&](double a, double b) {
      return (a >= operating ? a : 2) < (b >= operating ? b : 2);
    });
    bool found = false;
    for (const Value& p : kept.array) found |= p.array[2].number == at;
    EXPECT_TRUE(found) << at;
  }
}

TEST(DecimateCurve, ShortCurvesAreKeptWhole) {
  Value two = Value::make_array();
  for (double v : {0.0, 1.0}) {
    Value p = Value::make_array();
    p.push(Value::of(v)), p.push(Value::of(v)), p.push(Value::of(1 - v));
    two.push(std::move(p));
  }
  EXPECT_EQ(json::serialize(decimate_curve(two, 0.5, 100)), json::serialize(two));
  EXPECT_EQ(json::serialize(decimate_curve(Value::make_array(), 0.5, 100)), "[]");
}

TEST(UncertaintyBand, ReachesAThresholdOutsideIt) {
  UncertaintyBand band;
  ASSERT_TRUE(uncertainty_band(0.2, 0.8, 0.54, &band));  // inside: unchanged
  EXPECT_EQ(band.low, 0.2);
  EXPECT_EQ(band.high, 0.8);
  ASSERT_TRUE(uncertainty_band(0.2, 0.8, 0.8566, &band));  // a film at 0.83 would be NORMAL, 83% wrong
  EXPECT_EQ(band.low, 0.2);
  EXPECT_EQ(band.high, 0.8566);
  ASSERT_TRUE(uncertainty_band(0.2, 0.8, 0.1, &band));
  EXPECT_EQ(band.low, 0.1);
  EXPECT_EQ(band.high, 0.8);
  EXPECT_FALSE(uncertainty_band(0.8, 0.2, 0.5, &band));
  EXPECT_FALSE(uncertainty_band(-0.1, 0.8, 0.5, &band));
  EXPECT_FALSE(uncertainty_band(0.2, 1.5, 0.5, &band));
}

}  // namespace
}  // namespace cxr::train
