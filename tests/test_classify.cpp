#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>

#include "classify/cam.h"
#include "cxr/cxr.h"
#include "model/model_file.h"
#include "nn/backend.h"
#include "support/reference_nets.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using testing::ClassifierPtr;
using testing::make_classifier;
using testing::make_reference_net;
using testing::make_test_model_file;

TEST(Classify, ProducesCalibratedConsistentResult) {
  auto c = make_classifier(make_test_model_file("tiny", 5));
  const auto png = testing::chest_like_png(300, 280, 1);
  const cxr_classify_options options{1};
  cxr_result r;
  cxr_error e;
  ASSERT_EQ(cxr_classify(c.get(), png.data(), png.size(), &options, &r, &e), cxr_status_ok) << e.message;
  EXPECT_EQ(r.num_classes, 2u);
  EXPECT_STREQ(r.class_names[1], "PNEUMONIA");
  EXPECT_NEAR(r.probabilities[0] + r.probabilities[1], 1.0f, 1e-6f);
  // temperature 1: probabilities are the softmax of the logits
  EXPECT_NEAR(r.probabilities[1], 1 / (1 + std::exp(r.logits[0] - r.logits[1])), 1e-6);
  EXPECT_EQ(r.decision_class, r.probabilities[1] >= r.threshold ? 1u : 0u);
  EXPECT_EQ(r.image_width, 300u);
  EXPECT_EQ(r.image_height, 280u);
  ASSERT_NE(r.heatmap, nullptr);
  EXPECT_EQ(r.heatmap_width, 32u);
  const float* end = r.heatmap + r.heatmap_width * r.heatmap_height;
  const float peak = *std::max_element(r.heatmap, end);
  EXPECT_TRUE(peak == 1.0f || peak == 0.0f) << peak;  // scaled to 1, or no positive evidence at all
  EXPECT_GE(*std::min_element(r.heatmap, end), 0.0f);
  EXPECT_GT(r.timings.total_ms, 0.0);
  EXPECT_GE(r.timings.total_ms, r.timings.inference_ms);
}

TEST(Classify, TemperatureAndThresholdComeFromTheModel) {
  const auto net = make_reference_net("tiny", 5);
  Model base;
  auto bytes = make_test_model_file(net);
  ASSERT_TRUE(read_model(bytes.data(), bytes.size(), &base).ok());
  json::Value meta = base.metadata;
  meta.set("temperature", json::Value::of(2.5));
  meta.find("threshold")->set("probability", json::Value::of(0.0));  // everything is positive
  auto c = make_classifier(write_model(meta, layer_tensors(net.layers)));
  const auto png = testing::chest_like_png(64, 64, 2);
  cxr_result r;
  ASSERT_EQ(cxr_classify(c.get(), png.data(), png.size(), nullptr, &r, nullptr), cxr_status_ok);
  EXPECT_NEAR(r.probabilities[1], 1 / (1 + std::exp((r.logits[0] - r.logits[1]) / 2.5)), 1e-6);
  EXPECT_EQ(r.decision_class, 1u);
  EXPECT_EQ(r.heatmap, nullptr);  // not requested
}

TEST(Classify, BadInputFailsAndTheClassifierCarriesOn) {
  auto c = make_classifier(make_test_model_file("tiny", 5));
  const auto good = testing::chest_like_png(64, 64, 3);
  cxr_result first, again;
  ASSERT_EQ(cxr_classify(c.get(), good.data(), good.size(), nullptr, &first, nullptr), cxr_status_ok);
  const std::string pdf = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
  cxr_result r;
  cxr_error e;
  EXPECT_EQ(cxr_classify(c.get(), reinterpret_cast<const uint8_t*>(pdf.data()), pdf.size(), nullptr, &r, &e),
            cxr_status_unsupported_format);
  EXPECT_NE(std::string(e.message).find("PDF"), std::string::npos) << e.message;
  EXPECT_EQ(r.num_classes, 0u);
  EXPECT_NE(cxr_classify(c.get(), good.data(), good.size() / 2, nullptr, &r, &e), cxr_status_ok);
  ASSERT_EQ(cxr_classify(c.get(), good.data(), good.size(), nullptr, &again, nullptr), cxr_status_ok);
  EXPECT_EQ(0, std::memcmp(first.logits, again.logits, sizeof first.logits));
}

TEST(Classify, XnnpackAgreesWithPortableOnRealFilms) {
  CXR_REQUIRE_SHARED_DATA(data);
  const auto model = make_test_model_file("resnet18", 11);
  auto portable = make_classifier(model);
  cxr_error e;
  ClassifierPtr xnn(cxr_classifier_create(model.data(), model.size(), cxr_backend_xnnpack, &e));
  if (!xnn) GTEST_SKIP() << e.message;
  const auto files = testing::list_files(data + "/chest_xray_fullres_samples", ".jpeg");
  ASSERT_FALSE(files.empty());
  for (size_t i = 0; i < files.size(); i += 10) {
    const auto bytes = testing::read_file(files[i]);
    cxr_result a, b;
    ASSERT_EQ(cxr_classify(portable.get(), bytes.data(), bytes.size(), nullptr, &a, nullptr), cxr_status_ok);
    ASSERT_EQ(cxr_classify(xnn.get(), bytes.data(), bytes.size(), nullptr, &b, nullptr), cxr_status_ok);
    EXPECT_EQ(a.predicted_class, b.predicted_class) << files[i];
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(a.logits[k], b.logits[k], 1e-3f * (1 + std::abs(a.logits[k])));
  }
}

TEST(Cam, MeanOfTheMapPlusBiasIsTheLogit) {
  const auto net = make_reference_net("tiny", 9);
  Plan plan;
  ASSERT_TRUE(build_plan(net.layers, net.input, &plan).ok());
  auto backend = make_reference_backend();
  ASSERT_TRUE(backend->prepare(plan).ok());
  std::vector<float> arena(plan.arena_floats);
  std::mt19937 rng(testing::test_seed());
  std::normal_distribution<float> normal;
  for (size_t i = 0; i < net.input.size(); ++i) arena[plan.offsets[0] + i] = normal(rng);
  ASSERT_TRUE(backend->run(arena.data()).ok());
  const Shape f = plan.shapes[plan.cam_features];
  const LayerDesc& head = plan.layers[plan.cam_dense_layer].desc;
  for (uint32_t k = 0; k < 2; ++k) {
    std::vector<float> cam;
    class_activation_map(arena.data() + plan.offsets[plan.cam_features], f, head.weight.data + k * f.c, &cam);
    const double mean = std::accumulate(cam.begin(), cam.end(), 0.0) / cam.size();
    EXPECT_NEAR(mean + head.bias.data[k], arena[plan.offsets[plan.logits_value()] + k], 1e-4);
  }
}

TEST(Cam, HeatmapPeaksWhereTheEvidenceIs) {
  std::vector<float> cam(7 * 7, -1.0f);
  cam[2 * 7 + 5] = 3.0f;  // row 2, column 5
  std::vector<float> heat;
  heatmap_from_cam(cam, 7, 7, 224, 224, &heat);
  const size_t peak = std::max_element(heat.begin(), heat.end()) - heat.begin();
  EXPECT_NEAR(double(peak / 224), (2 + 0.5) * 32, 20);
  EXPECT_NEAR(double(peak % 224), (5 + 0.5) * 32, 20);
  EXPECT_FLOAT_EQ(heat[peak], 1.0f);
  EXPECT_EQ(heat[0], 0.0f);  // negative evidence clipped
}

}  // namespace
}  // namespace cxr
