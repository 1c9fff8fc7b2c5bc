// The portable backend's 3x3 depthwise kernel (MobileNetV2's) splits every map
// into an interior, where no tap is padding and one channel vector runs along
// a whole row, and a border computed pixel by pixel (portable_kernels.cpp,
// DepthwiseConv3x3). These cases aim at that split: maps with no interior at
// all, one interior column or row, padding on one side only (Keras's stride
// 2), on both or none, unequal strides, and channel counts off every vector
// width, on every Highway target this CPU runs, against the naive reference
// with reference::error_bound. Tests/test_kernels.cpp covers the depthwise op
// in general; this file, the geometry of the split.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nn/plan.h"
#include "nn/portable_backend.h"
#include "nn/reference.h"
#include "support/test_data.h"

namespace cxr {
namespace {

struct Geometry {
  Shape in;
  uint32_t stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right;
};

struct Case {
  LayerDesc layer;
  std::vector<float> weights, bias;
  Plan plan;
};

// Builds the one-layer plan with `weights` ([c][3][3][1]) and `bias`.
void make_case(const Geometry& g, Activation activation, std::vector<float> weights, std::vector<float> bias, Case* c) {
  LayerDesc& l = c->layer;
  l.name = "dw";
  l.kernel_h = l.kernel_w = 3;
  l.stride_h = g.stride_h, l.stride_w = g.stride_w;
  l.pad_top = g.pad_top, l.pad_left = g.pad_left, l.pad_bottom = g.pad_bottom, l.pad_right = g.pad_right;
  l.groups = l.out_channels = g.in.c;
  l.activation = activation;
  c->weights = std::move(weights);
  c->bias = std::move(bias);
  l.weight = TensorView{c->weights.data(), {g.in.c, 3, 3, 1}};
  l.bias = TensorView{c->bias.data(), {g.in.c}};
  ASSERT_TRUE(build_plan({l}, g.in, &c->plan).ok());
}

// Weights and bias in [-1, 1].
void make_random_case(const Geometry& g, Activation activation, std::mt19937& rng, Case* c) {
  std::vector<float> weights(size_t(9) * g.in.c), bias(g.in.c);
  testing::fill_uniform(weights, rng, -1.0f, 1.0f);
  testing::fill_uniform(bias, rng, -1.0f, 1.0f);
  make_case(g, activation, std::move(weights), std::move(bias), c);
}

// How many outputs of `backend_plan` run by `kernels` differ from the
// reference's for `reference_plan` (same geometry) by more than the bound.
size_t mismatches(const portable::Kernels& kernels, const Plan& backend_plan, const Plan& reference_plan,
                  const std::vector<float>& input) {
  std::vector<float> fast(backend_plan.arena_floats), slow(reference_plan.arena_floats),
      magnitude(reference_plan.arena_floats);
  std::copy(input.begin(), input.end(), fast.begin() + backend_plan.offsets[0]);
  std::copy(input.begin(), input.end(), slow.begin() + reference_plan.offsets[0]);
  auto backend = make_portable_backend(kernels);
  EXPECT_TRUE(backend->prepare(backend_plan).ok());
  EXPECT_TRUE(backend->run(fast.data()).ok());
  reference::run_layer(reference_plan, 0, slow.data(), magnitude.data());
  const size_t out = backend_plan.offsets[1], terms = reference::reduction_size(reference_plan, 0);
  size_t wrong = 0;
  for (size_t i = 0; i < backend_plan.shapes[1].size(); ++i)
    wrong += !(std::fabs(fast[out + i] - slow[out + i]) <= reference::error_bound(terms, magnitude[out + i]));
  return wrong;
}

const Geometry kGeometries[] = {
    {{1, 1, 5}, 1, 1, 1, 1, 1, 1},     // no interior: every tap but the centre is padding
    {{2, 2, 17}, 2, 2, 0, 0, 1, 1},    // Keras stride 2, one output pixel, on the border
    {{3, 3, 3}, 1, 1, 1, 1, 1, 1},     // one interior pixel
    {{3, 7, 9}, 1, 1, 1, 1, 1, 1},     // one interior row
    {{8, 3, 48}, 1, 1, 1, 1, 1, 1},    // one interior column
    {{5, 6, 7}, 1, 1, 0, 0, 0, 0},     // 'valid': interior only
    {{9, 11, 13}, 2, 2, 0, 0, 1, 1},   // Keras stride 2, odd map
    {{10, 12, 24}, 2, 2, 0, 0, 1, 1},  // Keras stride 2, even map
    {{9, 10, 33}, 2, 2, 1, 1, 1, 1},   // symmetric stride 2
    {{7, 9, 20}, 2, 1, 1, 0, 2, 2},    // unequal strides and pads, padding wider than one tap
    {{16, 16, 16}, 1, 1, 1, 1, 1, 1},  // MobileNetV2's first depthwise, smaller
    {{14, 14, 144}, 1, 1, 1, 1, 1, 1},
};

TEST(Depthwise3x3, InteriorAndBorderMatchTheReference) {
  std::mt19937 rng(testing::test_seed());
  for (const portable::Kernels* kernels : portable::all_supported_kernels())
    for (const Geometry& g : kGeometries)
      for (Activation activation : {Activation::none, Activation::relu6}) {
        std::ostringstream label;
        label << kernels->target << " " << g.in.h << "x" << g.in.w << "x" << g.in.c << " stride " << g.stride_h << ","
              << g.stride_w << " pads " << g.pad_top << "," << g.pad_left << "," << g.pad_bottom << "," << g.pad_right
              << (activation == Activation::relu6 ? " relu6" : "");
        SCOPED_TRACE(label.str());
        Case c;
        make_random_case(g, activation, rng, &c);
        std::vector<float> input(g.in.size());
        testing::fill_uniform(input, rng, -1.0f, 1.0f);
        EXPECT_EQ(mismatches(*kernels, c.plan, c.plan, input), 0u);
      }
}

// Negative control: the same comparison flags one tap weight off by 5% of its
// range, in a map with interior and border both.
TEST(Depthwise3x3, ToleranceCatchesAWrongTapWeight) {
  std::mt19937 rng(testing::test_seed());
  for (const portable::Kernels* kernels : portable::all_supported_kernels())
    for (size_t tap : {0, 4, 8}) {
      SCOPED_TRACE(std::string(kernels->target) + " tap " + std::to_string(tap));
      const Geometry g{{9, 11, 13}, 1, 1, 1, 1, 1, 1};
      Case right, wrong;
      make_random_case(g, Activation::none, rng, &right);
      std::vector<float> off_by_one_tap = right.weights;
      off_by_one_tap[5 * 9 + tap] += 0.1f;  // channel 5's: [c][3][3][1]
      make_case(g, Activation::none, off_by_one_tap, right.bias, &wrong);
      std::vector<float> input(g.in.size());
      testing::fill_uniform(input, rng, 0.5f, 1.0f);  // no cancellation can hide it
      EXPECT_EQ(mismatches(*kernels, right.plan, right.plan, input), 0u);
      EXPECT_GT(mismatches(*kernels, wrong.plan, right.plan, input), 0u);
    }
}

}  // namespace
}  // namespace cxr
