// The OOD gate (core/classify/ood.h) and the uncertainty band: image checks
// on built images, the score against a naive Mahalanobis, and the gate
// through the public API with statistics written into test model files.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "classify/ood.h"
#include "model/model_file.h"
#include "support/classifier_checks.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using json::Value;
using testing::ClassifierPtr;
using testing::make_classifier;

// A textured gray film w x h (8-bit), brightness varying smoothly plus noise.
Image textured(uint32_t w, uint32_t h, uint32_t seed = 1) {
  Image image;
  image.width = w, image.height = h;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-25, 25);
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      image.pixels.push_back(
          uint16_t(std::clamp(120 + 60 * std::sin(x * 0.05) * std::cos(y * 0.03) + noise(rng), 0.0, 255.0)));
  return image;
}

std::string reasons_of(const Image& image) {
  std::vector<std::string> reasons;
  check_image(image, &reasons);
  std::string out;
  for (const std::string& r : reasons) out += r + "|";
  return out;
}

TEST(OodImageChecks, PassAFilmAndNameWhatIsWrongWithOthers) {
  EXPECT_EQ(reasons_of(textured(400, 480)), "");
  Image colour = textured(400, 480);
  colour.color_content = true;
  EXPECT_NE(reasons_of(colour).find("colour"), std::string::npos);
  EXPECT_NE(reasons_of(textured(100, 90)).find("very small"), std::string::npos);
  EXPECT_NE(reasons_of(textured(1000, 300)).find("shape (1000x300)"), std::string::npos);
  Image blank = textured(400, 400);
  for (uint16_t& v : blank.pixels) v = 131;
  EXPECT_EQ(reasons_of(blank), "it is nearly blank (almost one shade)|");
  Image dark = textured(400, 400);  // 85% black with a textured strip
  for (size_t i = 0; i < dark.pixels.size() * 85 / 100; ++i) dark.pixels[i] = 0;
  EXPECT_EQ(reasons_of(dark), "it is mostly pure black or white|");
  Image deep = textured(400, 400);  // 16-bit: judged against its own white
  deep.bit_depth = 16, deep.max_value = 65535;
  for (uint16_t& v : deep.pixels) v = uint16_t(v * 257);
  EXPECT_EQ(reasons_of(deep), "");
}

// (x - m)^T P (x - m) the long way: P (x - m) first, then the dot product.
double naive_distance(const std::vector<double>& x, const std::vector<double>& m, const std::vector<float>& p) {
  const size_t n = x.size();
  std::vector<double> pd(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) pd[i] += p[i * n + j] * (x[j] - m[j]);
  double q = 0;
  for (size_t i = 0; i < n; ++i) q += (x[i] - m[i]) * pd[i];
  return q;
}

TEST(OodScore, IsTheSumOfPerLayerNearestClassDistancesPerFeature) {
  std::mt19937 rng(testing::test_seed());
  std::normal_distribution<float> normal(0, 1);
  const uint32_t classes = 2, sizes[] = {3, 7};
  std::vector<std::vector<float>> means(2), precisions(2);
  OodStatistics stats;
  stats.classes = classes, stats.available = true;
  for (int l = 0; l < 2; ++l) {
    const uint32_t n = sizes[l];
    for (uint32_t i = 0; i < classes * n; ++i) means[l].push_back(normal(rng));
    std::vector<float> a(n * n);  // P = A A^T + I: symmetric positive definite
    for (float& v : a) v = normal(rng);
    precisions[l].assign(n * n, 0.0f);
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) {
        for (uint32_t k = 0; k < n; ++k) precisions[l][i * n + j] += a[i * n + k] * a[j * n + k];
        precisions[l][i * n + j] += i == j;
      }
    stats.layers.push_back(OodLayer{0, n, means[l].data(), precisions[l].data()});
  }
  std::vector<float> x(10);
  for (float& v : x) v = normal(rng);
  double expected = 0;
  size_t offset = 0;
  for (int l = 0; l < 2; ++l) {
    const uint32_t n = sizes[l];
    const std::vector<double> xl(x.begin() + offset, x.begin() + offset + n);
    double best = INFINITY;
    for (uint32_t k = 0; k < classes; ++k)
      best =
          std::min(best, naive_distance(xl, {means[l].begin() + k * n, means[l].begin() + (k + 1) * n}, precisions[l]));
    expected += best;
    offset += n;
  }
  expected /= 10;
  // float inputs, double sums of ~n^2 terms: a few float ulps of the result.
  EXPECT_NEAR(mahalanobis_score(stats, x.data()), expected, 1e-5 * std::max(1.0, expected));
}

// The tiny test network with an "ood" section (support/test_model.h).
using MeansFor = testing::OodMeansFor;
std::vector<uint8_t> tiny_with_gate(const std::vector<std::string>& layers, MeansFor fit = nullptr,
                                    double threshold = 1.0) {
  return testing::with_ood_section(testing::make_test_model_file("tiny", 5), layers, fit, threshold);
}

using testing::classify_ok;

TEST(OodGate, ModelWithoutStatisticsLoadsAndSaysNotAvailable) {
  auto c = make_classifier(testing::make_test_model_file("tiny", 5));
  ASSERT_TRUE(c);
  cxr_model_info info;
  cxr_classifier_info(c.get(), &info);
  EXPECT_EQ(info.ood_feature_check_available, 0);
  const cxr_result r = classify_ok(c.get(), testing::chest_like_png(300, 280, 1));
  EXPECT_EQ(r.ood.feature_check_available, 0);
  EXPECT_EQ(r.ood.score, -1.0f);
  EXPECT_EQ(r.ood.flagged, 0);
  EXPECT_EQ(r.num_features, 12u);  // the pooled features of the "head" layer
  // The image checks still run.
  const cxr_result tiny = classify_ok(c.get(), testing::chest_like_png(64, 64, 1));
  EXPECT_EQ(tiny.ood.flagged, 1);
  ASSERT_EQ(tiny.ood.num_reasons, 1u);
  EXPECT_STREQ(tiny.ood.reasons[0], "it is very small (64x64 pixels)");
}

TEST(OodGate, FeaturesAreTheChannelMeansOfTheNamedLayers) {
  const auto film = testing::chest_like_png(300, 280, 2);
  auto plain = make_classifier(testing::make_test_model_file("tiny", 5));
  auto named = make_classifier(tiny_with_gate({"residual", "gap"}));
  ASSERT_TRUE(plain && named);
  const cxr_result pooled = classify_ok(plain.get(), film), both = classify_ok(named.get(), film);
  EXPECT_EQ(both.ood.feature_check_available, 0);  // defined, not fitted
  ASSERT_EQ(both.num_features, 16u + 12u);
  for (uint32_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(both.features[16 + i], pooled.features[i]);
  EXPECT_EQ(both.probabilities[1], pooled.probabilities[1]);  // keeping values alive changes nothing else
}

TEST(OodGate, XnnpackGivesThePortableFeatures) {
  const auto model = tiny_with_gate({"conv1", "residual", "gap"});
  cxr_error e;
  ClassifierPtr xnn(cxr_classifier_create(model.data(), model.size(), cxr_backend_xnnpack, &e));
  if (!xnn) GTEST_SKIP() << "no XNNPACK in this build: " << e.message;
  auto portable = make_classifier(model);
  const auto film = testing::chest_like_png(300, 280, 6);
  const cxr_result a = classify_ok(portable.get(), film), b = classify_ok(xnn.get(), film);
  ASSERT_EQ(a.num_features, b.num_features);
  for (uint32_t i = 0; i < a.num_features; ++i)
    EXPECT_NEAR(a.features[i], b.features[i], 1e-4f * std::max(1.0f, std::abs(a.features[i]))) << i;
}

std::vector<float> far_means(size_t, uint32_t c) { return std::vector<float>(2 * c, 100.0f); }

TEST(OodGate, FlagsFeaturesFarFromTheTrainingMeansAndSaysWhy) {
  const auto film = testing::chest_like_png(300, 280, 3);
  auto far = make_classifier(tiny_with_gate({"residual", "gap"}, far_means, 50.0));
  ASSERT_TRUE(far);
  const cxr_result r = classify_ok(far.get(), film);
  EXPECT_EQ(r.ood.feature_check_available, 1);
  EXPECT_GT(r.ood.score, 50.0f);  // every feature ~100 away, identity precision
  EXPECT_EQ(r.ood.flagged, 1);
  ASSERT_EQ(r.ood.num_reasons, 1u);
  EXPECT_NE(std::string(r.ood.reasons[0]).find("far from those of the training films"), std::string::npos);
  EXPECT_GT(r.probabilities[0] + r.probabilities[1], 0.99f);  // the output is still there; the front end decides
}

// Means at exactly this film's features: distance 0, passes.
std::vector<float> g_film_features;
std::vector<float> film_means(size_t layer, uint32_t c) {
  const size_t offset = layer == 0 ? 0 : 16;
  std::vector<float> m(g_film_features.begin() + offset, g_film_features.begin() + offset + c);
  m.insert(m.end(), m.begin(), m.end());
  return m;
}

TEST(OodGate, PassesFeaturesAtTheTrainingMeans) {
  const auto film = testing::chest_like_png(300, 280, 4);
  auto unfitted = make_classifier(tiny_with_gate({"residual", "gap"}));
  ASSERT_TRUE(unfitted);
  const cxr_result f = classify_ok(unfitted.get(), film);
  g_film_features.assign(f.features, f.features + f.num_features);
  auto near = make_classifier(tiny_with_gate({"residual", "gap"}, film_means, 0.01));
  ASSERT_TRUE(near);
  const cxr_result r = classify_ok(near.get(), film);
  EXPECT_NEAR(r.ood.score, 0.0f, 1e-6f);
  EXPECT_EQ(r.ood.flagged, 0);
  EXPECT_EQ(r.ood.num_reasons, 0u);
}

TEST(OodGate, InconsistentStatisticsAreRefusedWithAReason) {
  const auto expect_refused = testing::expect_invalid_model;
  expect_refused(tiny_with_gate({"no_such_layer"}), "no layer named 'no_such_layer'");
  // Statistics for a layer with another channel count than the network's.
  auto wrong = [](size_t, uint32_t c) { return std::vector<float>(2 * (c + 1), 0.0f); };
  expect_refused(tiny_with_gate({"gap"}, wrong), "ood statistics");
  expect_refused(tiny_with_gate({"gap"}, far_means, -1.0), "threshold");
}

// The tiny model with threshold 0.5 and an uncertainty band.
std::vector<uint8_t> tiny_with_band(double low, double high) {
  const std::vector<uint8_t> base = testing::make_test_model_file("tiny", 5);
  Model model;
  EXPECT_TRUE(read_model(base.data(), base.size(), &model).ok());
  Value metadata = model.metadata;
  metadata.find("threshold")->set("uncertain_low", Value::of(low));
  metadata.find("threshold")->set("uncertain_high", Value::of(high));
  return write_model(metadata, layer_tensors(model.layers));
}

TEST(UncertaintyBand, MarksProbabilitiesInsideTheBand) {
  const auto film = testing::chest_like_png(300, 280, 5);
  auto none = make_classifier(testing::make_test_model_file("tiny", 5));
  auto everything = make_classifier(tiny_with_band(0.0, 1.0));
  ASSERT_TRUE(none && everything);
  const cxr_result a = classify_ok(none.get(), film), b = classify_ok(everything.get(), film);
  EXPECT_EQ(a.uncertain, 0);
  EXPECT_EQ(a.uncertain_low, a.threshold);
  EXPECT_EQ(b.uncertain, 1);
  EXPECT_EQ(b.decision_class, a.decision_class);  // the band never changes the decision
  // A band tight around this film's probability, and one just beside it.
  const double p = a.probabilities[1];
  const double lo = std::min(p, 0.5) - 1e-3, hi = std::max(p, 0.5) + 1e-3;
  auto around = make_classifier(tiny_with_band(lo, hi));
  ASSERT_TRUE(around);
  EXPECT_EQ(classify_ok(around.get(), film).uncertain, 1);
  if (p > 0.51) {
    auto below = make_classifier(tiny_with_band(0.49, 0.5 + (p - 0.5) / 2));
    ASSERT_TRUE(below);
    EXPECT_EQ(classify_ok(below.get(), film).uncertain, 0);
  }
  // A band that leaves out the threshold is a broken model file.
  const auto bad = tiny_with_band(0.6, 0.9);
  cxr_error e;
  EXPECT_EQ(cxr_classifier_create(bad.data(), bad.size(), cxr_backend_portable, &e), nullptr);
  EXPECT_NE(std::string(e.message).find("uncertain_low"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace cxr
