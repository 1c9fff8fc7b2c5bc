// The shared ImageNet MobileNetV2-0.35 (../shared/pretrained) through the core:
// every backend computes the same network (naive reference, the portable
// kernels on every Highway target this CPU runs, XNNPACK) at the input sizes
// the next model may use; and read_pretrained refuses damaged weights. Skips
// with a message when the folder is absent. (Whether the network is the one
// Keras defined is tests/wasm/mobilenet_golden.test.mjs's question: engines
// that share a wrong padding agree with each other.)
//
// Tolerance: errors compound through the layers, so per-layer bounds do not
// apply to the output. As tests/test_backends.cpp: the first-order sum of the
// layers' bounds at unit gain, FLT_EPSILON * sum_l (K_l + 2) * max(1, max|x|),
// K_l each layer's reduction size, doubled because both engines round.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nn/backend.h"
#include "nn/portable_backend.h"
#include "nn/reference.h"
#include "tests/support/fast_backends.h"
#include "trainer/test_pretrained_net.h"

namespace cxr::train {
namespace {

#define CXR_REQUIRE_PRETRAINED(dir)                                                                           \
  const std::string dir = pretrained_test_dir();                                                              \
  if (dir.empty())                                                                                            \
  GTEST_SKIP() << "pretrained weights not found: no model.json in $CXR_PRETRAINED_DIR or " CXR_PRETRAINED_DIR \
                  " (set CXR_PRETRAINED_DIR to the folder holding model.json and weights.bin); skipping"

struct Outputs {
  std::vector<float> gap, logits;
};

Outputs run(Backend& backend, const Plan& plan, const std::vector<float>& input) {
  std::vector<float> arena(plan.arena_floats, std::nanf(""));  // a value nobody wrote shows
  std::copy(input.begin(), input.end(), arena.begin() + plan.offsets[0]);
  const Status ran = backend.run(arena.data());
  EXPECT_TRUE(ran.ok()) << backend.name() << ": " << ran.message;
  auto value = [&](size_t v) {
    return std::vector<float>(arena.begin() + plan.offsets[v], arena.begin() + plan.offsets[v] + plan.shapes[v].size());
  };
  return {value(value_of(plan, "gap")), value(plan.logits_value())};
}

// The bound for two float engines on the layers up to value `upto` (see top).
float network_tolerance(const Plan& plan, size_t upto, const std::vector<float>& values) {
  size_t terms = 0;
  for (size_t i = 0; i < plan.layers.size() && plan.layers[i].output <= upto; ++i)
    terms += reference::reduction_size(plan, i) + 2;
  float scale = 1.0f;
  for (float x : values) scale = std::max(scale, std::fabs(x));
  return 2 * FLT_EPSILON * float(terms) * scale;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = a.size() == b.size() ? 0.0f : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return std::isnan(worst) ? INFINITY : worst;
}

std::vector<float> random_input(uint32_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);  // the fixed normalisation's range
  std::vector<float> input(size_t(size) * size);
  for (float& x : input) x = u(rng);
  return input;
}

using testing::fast_backends;
using testing::NamedBackend;

class PretrainedMobileNet : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PretrainedMobileNet, EveryBackendComputesTheSameNetwork) {
  CXR_REQUIRE_PRETRAINED(dir);
  const uint32_t size = GetParam();
  PretrainedWeights weights;
  const Status read = read_pretrained(dir, &weights);
  ASSERT_TRUE(read.ok()) << read.message;
  PretrainedNet net;
  ASSERT_TRUE(make_pretrained_net(weights, &net).ok());
  Plan plan;
  const Status planned = build_plan(net.layers, Shape{size, size, 1}, &plan);
  ASSERT_TRUE(planned.ok()) << planned.message;
  ASSERT_EQ(plan.shapes[value_of(plan, "gap")].c, 1280u);
  const std::vector<float> input = random_input(size, size);

  std::unique_ptr<Backend> reference = make_reference_backend();
  ASSERT_TRUE(reference->prepare(plan).ok());
  const Outputs want = run(*reference, plan, input);
  const float gap_tolerance = network_tolerance(plan, value_of(plan, "gap"), want.gap);
  const float logit_tolerance = network_tolerance(plan, plan.logits_value(), want.logits);
  for (NamedBackend& b : fast_backends()) {
    const Status prepared = b.backend->prepare(plan);
    ASSERT_TRUE(prepared.ok()) << b.name << ": " << prepared.message;
    const Outputs got = run(*b.backend, plan, input);
    const float gap_error = max_difference(got.gap, want.gap), logit_error = max_difference(got.logits, want.logits);
    std::printf("  %u px %-16s vs reference: max |d gap| %.3g (tolerance %.3g), max |d logit| %.3g (tolerance %.3g)\n",
                size, b.name.c_str(), double(gap_error), double(gap_tolerance), double(logit_error),
                double(logit_tolerance));
    EXPECT_LE(gap_error, gap_tolerance) << b.name << " at " << size << " px: pooled features";
    EXPECT_LE(logit_error, logit_tolerance) << b.name << " at " << size << " px: logits";
  }

  // Negative control: PyTorch's symmetric padding on the stride-2 layers must
  // land far outside the tolerance, or the test could not see that bug.
  PretrainedNet symmetric;
  ASSERT_TRUE(make_pretrained_net(weights, &symmetric).ok());
  pad_stride2_symmetrically(&symmetric.layers);
  Plan symmetric_plan;
  ASSERT_TRUE(build_plan(symmetric.layers, Shape{size, size, 1}, &symmetric_plan).ok());
  std::unique_ptr<Backend> portable = make_portable_backend();
  ASSERT_TRUE(portable->prepare(symmetric_plan).ok());
  const float wrong = max_difference(run(*portable, symmetric_plan, input).gap, want.gap);
  std::printf("  %u px symmetric stride-2 padding (the bug): max |d gap| %.3g\n", size, double(wrong));
  EXPECT_GT(wrong, 10 * gap_tolerance) << "the tolerance would not catch a wrong padding";
}

INSTANTIATE_TEST_SUITE_P(Sizes, PretrainedMobileNet, ::testing::Values(128u, 160u, 224u),
                         [](const auto& info) { return std::to_string(info.param) + "px"; });

// A copy of the two files in a fresh temporary folder, removed afterwards.
class PretrainedCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = pretrained_test_dir();
    if (source_.empty())
      GTEST_SKIP() << "pretrained weights not found: no model.json in $CXR_PRETRAINED_DIR or " CXR_PRETRAINED_DIR
                      "; nothing to copy";
    char name[] = "/tmp/cxr_pretrained_XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
    for (const char* file : {"model.json", "weights.bin"})
      std::filesystem::copy_file(source_ + "/" + file, dir_ + "/" + file);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static void alter_byte(const std::string& path, std::streamoff offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(offset);
    const char byte = char(file.get());
    file.seekp(offset);
    file.put(char(byte ^ 1));
    ASSERT_TRUE(file.good()) << path;
  }
  // read_pretrained's message for the copy (empty when it accepts it).
  std::string refusal() {
    PretrainedWeights weights;
    const Status s = read_pretrained(dir_, &weights);
    return s.ok() ? "" : s.message;
  }
  std::string source_, dir_;
};

TEST_F(PretrainedCopy, AnUntouchedCopyIsAccepted) { EXPECT_EQ(refusal(), ""); }

TEST_F(PretrainedCopy, TruncatedWeightsAreRefusedByName) {
  std::filesystem::resize_file(dir_ + "/weights.bin", std::filesystem::file_size(dir_ + "/weights.bin") - 4);
  const std::string message = refusal();
  EXPECT_NE(message.find(dir_ + "/weights.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("2155228 bytes"), std::string::npos) << "says it is short: " << message;
}

TEST_F(PretrainedCopy, AlteredTopologyIsRefusedByName) {
  alter_byte(dir_ + "/model.json", 100);
  const std::string message = refusal();
  EXPECT_NE(message.find(dir_ + "/model.json"), std::string::npos) << message;
}

TEST_F(PretrainedCopy, AlteredWeightIsRefusedByName) {
  alter_byte(dir_ + "/weights.bin", 1000);  // one bit of one weight: same size
  const std::string message = refusal();
  EXPECT_NE(message.find(dir_ + "/weights.bin"), std::string::npos) << message;
}

TEST(Pretrained, MissingFolderIsRefusedByName) {
  PretrainedWeights weights;
  const Status s = read_pretrained("/nonexistent/cxr-pretrained", &weights);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message.find("/nonexistent/cxr-pretrained/model.json"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("--pretrained"), std::string::npos) << "says what to do: " << s.message;
}

}  // namespace
}  // namespace cxr::train
