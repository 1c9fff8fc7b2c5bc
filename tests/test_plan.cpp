#include <gtest/gtest.h>

#include <algorithm>

#include "nn/plan.h"
#include "support/reference_nets.h"

namespace cxr {
namespace {

using testing::make_reference_net;

TEST(Plan, InfersReferenceShapes) {
  const auto net = make_reference_net("study_cnn", 1);
  Plan plan;
  ASSERT_TRUE(build_plan(net.layers, net.input, &plan).ok());
  // 64 -conv3 valid-> 62 -pool2-> 31 -conv3-> 29 -pool2-> 14
  EXPECT_EQ(plan.shapes[2], (Shape{31, 31, 32}));
  EXPECT_EQ(plan.shapes[4], (Shape{14, 14, 64}));
  EXPECT_EQ(plan.shapes.back(), (Shape{1, 1, 2}));
  EXPECT_EQ(plan.cam_features, SIZE_MAX);  // flatten+dense head: no CAM

  const auto resnet = make_reference_net("resnet18", 1);
  ASSERT_TRUE(build_plan(resnet.layers, resnet.input, &plan).ok());
  ASSERT_NE(plan.cam_features, SIZE_MAX);
  EXPECT_EQ(plan.shapes[plan.cam_features], (Shape{7, 7, 512}));
}

// Two values may share arena memory only if one is dead before the other is written.
TEST(Plan, ArenaNeverOverlapsLiveValues) {
  for (const std::string& arch : testing::reference_net_names()) {
    const auto net = make_reference_net(arch, 1);
    Plan plan;
    ASSERT_TRUE(build_plan(net.layers, net.input, &plan).ok());
    const size_t n = plan.shapes.size();
    std::vector<size_t> last(n);
    for (size_t v = 0; v < n; ++v) last[v] = v;  // as a layer index: v-1 writes v
    for (size_t i = 0; i < plan.layers.size(); ++i)
      for (size_t v : plan.layers[i].inputs) last[v] = std::max(last[v], i + 1);
    last[n - 1] = last[plan.logits_value()] = SIZE_MAX;
    if (plan.cam_features != SIZE_MAX) last[plan.cam_features] = SIZE_MAX;
    size_t total = 0;
    for (size_t a = 0; a < n; ++a) {
      total += plan.shapes[a].size();
      EXPECT_EQ(plan.offsets[a] % 16, 0u);
      EXPECT_LE(plan.offsets[a] + plan.shapes[a].size(), plan.arena_floats);
      for (size_t b = a + 1; b < n; ++b) {
        const bool overlap_time = last[a] >= b;  // a still needed when b is written (at step b)
        const bool overlap_space = plan.offsets[a] < plan.offsets[b] + plan.shapes[b].size() &&
                                   plan.offsets[b] < plan.offsets[a] + plan.shapes[a].size();
        EXPECT_FALSE(overlap_time && overlap_space) << arch << ": values " << a << " and " << b;
      }
    }
    EXPECT_LT(plan.arena_floats, total + 16 * 2 * n) << arch;  // reuse happened or at least no blow-up
  }
}

TEST(Plan, RefusesInconsistentNetworks) {
  auto expect_refused = [](std::vector<LayerDesc> layers, Shape input, const char* fragment) {
    Plan plan;
    Status s = build_plan(layers, input, &plan);
    EXPECT_EQ(s.code, cxr_status_invalid_model);
    EXPECT_NE(s.message.find(fragment), std::string::npos) << s.message;
  };
  const auto net = make_reference_net("tiny", 1);
  auto layers = net.layers;
  layers[0].out_channels = 9;  // weight says 8
  expect_refused(layers, net.input, "expected [9x3x3x1]");
  layers = net.layers;
  layers[4].inputs = {"conv1", "project"};  // 32x32x8 + 16x16x16
  expect_refused(layers, net.input, "different shapes");
  layers = net.layers;
  layers[1].inputs = {"nowhere"};
  expect_refused(layers, net.input, "no earlier layer");
  layers = net.layers;
  layers[2].name = "conv1";
  expect_refused(layers, net.input, "repeated name");
  expect_refused(net.layers, Shape{2, 2, 1}, "does not fit");
  expect_refused({}, net.input, "no layers");
  layers = net.layers;
  layers[2].groups = 5;
  expect_refused(layers, net.input, "groups");
}

}  // namespace
}  // namespace cxr
