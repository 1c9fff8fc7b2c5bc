// Whole networks on every backend: a hand-built net that uses every op, and
// the reference architectures (tests/support/reference_nets.h). Checks
// agreement (logits within tolerance, same argmax), that run() keeps no state
// between images, and that the output depends on the input.
//
// Network tolerance: errors compound through layers, so per-layer bounds do
// not apply to the logits. We use the first-order sum of the layers' bounds
// at unit gain, |a - b| <= FLT_EPSILON * sum_l (K_l + 2) * max(1, max|logit|),
// where K_l is layer l's reduction size (reference::reduction_size): loose for
// rounding, but a plumbing error (wrong offset, stale buffer, missed
// activation) moves logits by O(1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nn/backend.h"
#include "nn/plan.h"
#include "nn/portable_backend.h"
#include "nn/reference.h"
#include "support/fast_backends.h"
#include "support/reference_nets.h"
#include "support/test_data.h"

namespace cxr {
namespace {

using testing::fast_backends;
using testing::NamedBackend;
using testing::ReferenceNet;

// 24x24x3 through every op: strided conv with asymmetric padding, depthwise,
// pointwise, residual add, max and average pooling, grouped conv, GAP, dense,
// softmax.
ReferenceNet hand_built_net(uint32_t seed) {
  ReferenceNet net;
  net.arch = "hand_built";
  net.input = Shape{24, 24, 3};
  testing::NetBuilder b(net, seed);
  b.conv("stem", 16, 3, 2, Activation::relu6);
  LayerDesc& stem = net.layers.back();
  stem.pad_top = stem.pad_left = 0;  // TensorFlow-style SAME: pad only bottom/right
  b.conv("dw", 16, 3, 1, Activation::relu, /*groups=*/16);
  b.conv("pw", 16, 1, 1, Activation::none);
  b.add("residual", "stem", "pw", Activation::relu);
  b.pool("max", LayerType::max_pool, 2, 2, 0);
  b.pool("avg", LayerType::avg_pool, 3, 1, 1);
  b.conv("grouped", 24, 3, 1, Activation::relu, /*groups=*/4);
  b.global_pool("gap");
  b.dense("logits", 3, Activation::none);
  b.softmax("probabilities");
  return net;
}

struct Output {
  std::vector<float> logits, probabilities;  // probabilities empty without a softmax
};

// Copies `input` into `arena`, runs, and reads the logits (and probabilities).
Output run_net(Backend& backend, const Plan& plan, const std::vector<float>& input, std::vector<float>& arena) {
  std::copy(input.begin(), input.end(), arena.begin() + plan.offsets[0]);
  const Status ran = backend.run(arena.data());
  EXPECT_TRUE(ran.ok()) << backend.name() << ": " << ran.message;
  auto value = [&](size_t v) {
    const float* p = arena.data() + plan.offsets[v];
    return std::vector<float>(p, p + plan.shapes[v].size());
  };
  Output out{value(plan.logits_value()), {}};
  if (plan.logits_value() != plan.output_value()) out.probabilities = value(plan.output_value());
  return out;
}

float network_tolerance(const Plan& plan, const std::vector<float>& logits) {
  size_t terms = 0;
  for (size_t i = 0; i < plan.layers.size(); ++i) terms += reference::reduction_size(plan, i) + 2;
  float scale = 1.0f;
  for (float x : logits) scale = std::max(scale, std::fabs(x));
  return FLT_EPSILON * float(terms) * scale;
}

size_t argmax(const std::vector<float>& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

void expect_close(const Output& got, const Output& want, float tolerance, const std::string& who) {
  ASSERT_EQ(got.logits.size(), want.logits.size());
  for (size_t i = 0; i < want.logits.size(); ++i)
    EXPECT_NEAR(got.logits[i], want.logits[i], tolerance) << who << " logit " << i;
  EXPECT_EQ(argmax(got.logits), argmax(want.logits)) << who;
  ASSERT_EQ(got.probabilities.size(), want.probabilities.size());
  // Softmax has gain <= 1/2 around its input: the logits' tolerance covers it.
  for (size_t i = 0; i < want.probabilities.size(); ++i)
    EXPECT_NEAR(got.probabilities[i], want.probabilities[i], tolerance) << who << " probability " << i;
}

std::vector<float> random_input(Shape shape, std::mt19937& rng) {
  std::vector<float> input(shape.size());
  testing::fill_uniform(input, rng, 0.0f, 1.0f);
  return input;
}

class HandBuiltNet : public ::testing::Test {
 protected:
  void SetUp() override {
    SCOPED_TRACE("CXR_TEST_SEED=" + std::to_string(seed_));
    const Status s = build_plan(net_.layers, net_.input, &plan_);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  const uint32_t seed_ = testing::test_seed();
  ReferenceNet net_ = hand_built_net(seed_);
  Plan plan_;
};

TEST_F(HandBuiltNet, FastBackendsAgreeWithReference) {
  SCOPED_TRACE("CXR_TEST_SEED=" + std::to_string(seed_));
  std::mt19937 rng(seed_);
  const std::vector<float> input = random_input(net_.input, rng);
  std::vector<float> arena(plan_.arena_floats, std::nanf(""));
  std::unique_ptr<Backend> reference = make_reference_backend();
  ASSERT_TRUE(reference->prepare(plan_).ok());
  const Output want = run_net(*reference, plan_, input, arena);
  const float tolerance = network_tolerance(plan_, want.logits);
  for (NamedBackend& b : fast_backends()) {
    const Status s = b.backend->prepare(plan_);
    ASSERT_TRUE(s.ok()) << b.name << ": " << s.message;
    std::fill(arena.begin(), arena.end(), std::nanf(""));
    expect_close(run_net(*b.backend, plan_, input, arena), want, tolerance, b.name);
  }
}

// Same input, three runs: on one arena, on another (XNNPACK re-binds), and on
// the first again: bit-identical, so nothing carries over between images.
TEST_F(HandBuiltNet, RunsKeepNoState) {
  std::mt19937 rng(seed_);
  const std::vector<float> input = random_input(net_.input, rng), other = random_input(net_.input, rng);
  for (NamedBackend& b : fast_backends()) {
    ASSERT_TRUE(b.backend->prepare(plan_).ok()) << b.name;
    std::vector<float> arena(plan_.arena_floats), second_arena(plan_.arena_floats, -1.0f);
    const Output first = run_net(*b.backend, plan_, input, arena);
    run_net(*b.backend, plan_, other, arena);  // a different image in between
    const Output elsewhere = run_net(*b.backend, plan_, input, second_arena);
    const Output again = run_net(*b.backend, plan_, input, arena);
    EXPECT_EQ(first.logits, elsewhere.logits) << b.name;
    EXPECT_EQ(first.logits, again.logits) << b.name;
    EXPECT_EQ(first.probabilities, again.probabilities) << b.name;
  }
}

TEST_F(HandBuiltNet, DifferentInputsGiveDifferentOutputs) {
  std::mt19937 rng(seed_);
  const std::vector<float> a = random_input(net_.input, rng), b = random_input(net_.input, rng);
  std::vector<NamedBackend> backends = fast_backends();
  backends.push_back({"reference", make_reference_backend()});
  for (NamedBackend& nb : backends) {
    ASSERT_TRUE(nb.backend->prepare(plan_).ok()) << nb.name;
    std::vector<float> arena(plan_.arena_floats);
    const Output out_a = run_net(*nb.backend, plan_, a, arena), out_b = run_net(*nb.backend, plan_, b, arena);
    float largest = 0;
    for (size_t i = 0; i < out_a.logits.size(); ++i)
      largest = std::max(largest, std::fabs(out_a.logits[i] - out_b.logits[i]));
    EXPECT_GT(largest, 1e-4f) << nb.name << ": the output does not depend on the input";
  }
}

TEST(Backends, RefuseRunBeforePrepare) {
  std::vector<float> arena(64);
  for (const std::unique_ptr<Backend>& b : [] {
         std::vector<std::unique_ptr<Backend>> v;
         v.push_back(make_reference_backend());
         v.push_back(make_portable_backend());
         if (auto x = make_xnnpack_backend()) v.push_back(std::move(x));
         return v;
       }())
    EXPECT_EQ(b->run(arena.data()).code, cxr_status_internal) << b->name();
}

// The reference architectures: every fast backend against the naive
// reference where that is quick, and portable against XNNPACK everywhere.
void check_reference_net(const std::string& arch, bool with_reference) {
  const uint32_t seed = testing::test_seed();
  SCOPED_TRACE(arch + " CXR_TEST_SEED=" + std::to_string(seed));
  const ReferenceNet net = testing::make_reference_net(arch, seed);
  ASSERT_FALSE(net.layers.empty());
  Plan plan;
  const Status s = build_plan(net.layers, net.input, &plan);
  ASSERT_TRUE(s.ok()) << s.message;
  std::mt19937 rng(seed);
  const std::vector<float> input = random_input(net.input, rng);
  std::vector<float> arena(plan.arena_floats);

  std::vector<NamedBackend> backends = fast_backends();
  if (with_reference) backends.insert(backends.begin(), NamedBackend{"reference", make_reference_backend()});
  if (backends.size() < 2) GTEST_SKIP() << arch << ": one backend here (no XNNPACK), nothing to compare with";
  Output want;
  std::string want_name;
  for (NamedBackend& b : backends) {
    const Status prepared = b.backend->prepare(plan);
    ASSERT_TRUE(prepared.ok()) << b.name << ": " << prepared.message;
    const Output got = run_net(*b.backend, plan, input, arena);
    if (want_name.empty()) {
      want = got, want_name = b.name;
      continue;
    }
    // Two float backends may each be off by the tolerance.
    expect_close(got, want, 2 * network_tolerance(plan, want.logits), b.name + " vs " + want_name);
  }
}

TEST(ReferenceNets, Tiny) { check_reference_net("tiny", true); }
TEST(ReferenceNets, StudyCnn) { check_reference_net("study_cnn", true); }
TEST(ReferenceNets, Resnet18) { check_reference_net("resnet18", false); }

}  // namespace
}  // namespace cxr
