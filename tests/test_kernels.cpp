// Every op of the fast backends against the naive reference, over randomised
// shapes: the portable backend on every Highway target this CPU runs (SSE4 has
// wasm SIMD128's vector width) and XNNPACK where compiled in.
//
// Each case is a small network whose last layer is the op under test. After a
// backend runs, the reference recomputes that last layer from the inputs the
// backend itself produced (they are still in its arena: a layer's output never
// aliases its inputs), so only the op under test is judged. Tolerance per
// output: reference::error_bound(K, magnitude), with K the reduction size and
// magnitude the sum of |terms| (see reference.h). Replay a failure with
// CXR_TEST_SEED=<seed printed in the trace>.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nn/backend.h"
#include "nn/plan.h"
#include "nn/portable_backend.h"
#include "nn/reference.h"
#include "nn/winograd.h"
#include "support/fast_backends.h"
#include "support/test_data.h"

namespace cxr {
namespace {

using testing::fill_uniform;

// A network under test; owns its weights (LayerDesc views point into them).
struct Net {
  std::string label;
  Shape input;
  std::vector<LayerDesc> layers;
  std::vector<std::vector<float>> storage;  // moving keeps the views valid

  Net() = default;
  Net(Net&&) = default;
  Net& operator=(Net&&) = default;
  Net(const Net&) = delete;  // a copy's views would point into the original

  void set_weights(LayerDesc& l, std::mt19937& rng, std::vector<uint32_t> weight_dims) {
    size_t count = 1;
    for (uint32_t d : weight_dims) count *= d;
    storage.emplace_back(count);
    fill_uniform(storage.back(), rng, -1.0f, 1.0f);
    l.weight = TensorView{storage.back().data(), weight_dims};
    storage.emplace_back(l.out_channels);
    fill_uniform(storage.back(), rng, -1.0f, 1.0f);
    l.bias = TensorView{storage.back().data(), {l.out_channels}};
  }
};

Activation random_activation(std::mt19937& rng) { return Activation(std::uniform_int_distribution<int>(0, 2)(rng)); }

uint32_t uniform(std::mt19937& rng, uint32_t lo, uint32_t hi) {
  return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
}

std::string describe(const LayerDesc& l, Shape in) {
  std::ostringstream s;
  s << layer_type_name(l.type) << " in " << in.h << "x" << in.w << "x" << in.c << " kernel " << l.kernel_h << "x"
    << l.kernel_w << " stride " << l.stride_h << "x" << l.stride_w << " pad t" << l.pad_top << " l" << l.pad_left
    << " b" << l.pad_bottom << " r" << l.pad_right << " groups " << l.groups << " out " << l.out_channels << " "
    << activation_name(l.activation);
  return s.str();
}

LayerDesc layer(LayerType type, const char* name) {
  LayerDesc l;
  l.type = type;
  l.name = name;
  return l;
}

// A case ends with the op under test, which names it.
Net end_with(Net net, const LayerDesc& op) {
  net.label = describe(op, net.input);
  net.layers.push_back(op);
  return net;
}

// Random window geometry (kernel from `kernels`, stride 1-2 or up to the
// kernel, each side's padding independent) and an input it fits.
void random_window(std::mt19937& rng, const std::vector<uint32_t>& kernels, LayerDesc* l, Shape* in) {
  l->kernel_h = kernels[uniform(rng, 0, uint32_t(kernels.size() - 1))];
  l->kernel_w = uniform(rng, 0, 3) == 0 ? kernels[uniform(rng, 0, uint32_t(kernels.size() - 1))] : l->kernel_h;
  l->stride_h = uniform(rng, 1, 2);
  l->stride_w = uniform(rng, 1, 2);
  l->pad_top = uniform(rng, 0, l->kernel_h - 1);
  l->pad_bottom = uniform(rng, 0, l->kernel_h - 1);
  l->pad_left = uniform(rng, 0, l->kernel_w - 1);
  l->pad_right = uniform(rng, 0, l->kernel_w - 1);
  in->h = uniform(rng, std::max<int>(1, int(l->kernel_h) - int(l->pad_top + l->pad_bottom)), 15);
  in->w = uniform(rng, std::max<int>(1, int(l->kernel_w) - int(l->pad_left + l->pad_right)), 15);
}

Net random_conv(std::mt19937& rng) {
  Net net;
  LayerDesc l = layer(LayerType::conv2d, "conv");
  random_window(rng, {1, 3, 5, 7}, &l, &net.input);
  // Plain, grouped, depthwise, depthwise with multiplier 2.
  const uint32_t mode = uniform(rng, 0, 3);
  const uint32_t group_in = mode >= 2 ? 1 : uniform(rng, 1, 24);
  l.groups = mode == 0 ? 1 : uniform(rng, 2, mode >= 2 ? 40 : 4);
  l.out_channels = l.groups * (mode == 2 ? 1 : mode == 3 ? 2 : uniform(rng, 1, mode == 0 ? 70 : 20));
  net.input.c = l.groups * group_in;
  l.activation = random_activation(rng);
  net.set_weights(l, rng, {l.out_channels, l.kernel_h, l.kernel_w, group_in});
  return end_with(std::move(net), l);
}

Net random_pool(std::mt19937& rng, LayerType type) {
  Net net;
  LayerDesc l = layer(type, "pool");
  random_window(rng, {1, 2, 3, 4}, &l, &net.input);
  net.input.c = uniform(rng, 1, 40);
  return end_with(std::move(net), l);
}

Net random_global_avg_pool(std::mt19937& rng) {
  Net net;
  net.input = Shape{uniform(rng, 1, 20), uniform(rng, 1, 20), uniform(rng, 1, 70)};
  return end_with(std::move(net), layer(LayerType::global_avg_pool, "gap"));
}

Net random_dense(std::mt19937& rng) {
  Net net;
  net.input = Shape{uniform(rng, 1, 4), uniform(rng, 1, 4), uniform(rng, 1, 50)};
  LayerDesc l = layer(LayerType::dense, "dense");
  l.out_channels = uniform(rng, 1, 70);
  l.activation = random_activation(rng);
  net.set_weights(l, rng, {l.out_channels, uint32_t(net.input.size())});
  return end_with(std::move(net), l);
}

// add(input, 1x1 conv of the input): the two operands live at different offsets.
Net random_add(std::mt19937& rng) {
  Net net;
  net.input = Shape{uniform(rng, 1, 12), uniform(rng, 1, 12), uniform(rng, 1, 40)};
  LayerDesc branch = layer(LayerType::conv2d, "branch");
  branch.out_channels = net.input.c;
  net.set_weights(branch, rng, {net.input.c, 1, 1, net.input.c});
  LayerDesc l = layer(LayerType::add, "add");
  l.inputs = {"input", "branch"};
  l.activation = random_activation(rng);
  net.layers.push_back(branch);
  return end_with(std::move(net), l);
}

// softmax(add(input, input)): a softmax as the first layer hits a build_plan
// bug (its CAM-head check indexes layer -1), so a doubling add feeds it.
Net random_softmax(std::mt19937& rng) {
  Net net;
  const bool one_pixel = uniform(rng, 0, 1);
  net.input = Shape{one_pixel ? 1 : uniform(rng, 1, 5), one_pixel ? 1 : uniform(rng, 1, 5), uniform(rng, 1, 20)};
  LayerDesc twice = layer(LayerType::add, "twice");
  twice.inputs = {"input", "input"};
  net.layers.push_back(twice);
  return end_with(std::move(net), layer(LayerType::softmax, "softmax"));
}

// XNNPACK refuses 1x1 pooling windows ("invalid parameter"); nothing else here.
bool xnnpack_refuses(const Net& net) {
  for (const LayerDesc& l : net.layers)
    if ((l.type == LayerType::max_pool || l.type == LayerType::avg_pool) && l.kernel_h * l.kernel_w == 1) return true;
  return false;
}

// The portable backend runs 3x3 stride-1 ungrouped convolutions on maps of at
// least winograd::kMinTiles tiles as Winograd F(4x4, 3x3). Their rounding error scales with the
// values inside the transforms, not with direct convolution's terms: the
// pipeline run on absolute values, |A^T| (sum over channels of |G| |g| |G^T| .
// |B^T| |d| |B|) |A| + |bias|, is that scale for each output.
bool runs_as_winograd(const LayerDesc& l, Shape out) {
  return l.type == LayerType::conv2d && l.kernel_h == 3 && l.kernel_w == 3 && l.stride_h == 1 && l.stride_w == 1 &&
         l.groups == 1 && winograd::tiles(out.h, out.w) >= winograd::kMinTiles;
}

std::vector<double> winograd_magnitudes(const LayerDesc& l, Shape in, const float* input, Shape out) {
  using namespace winograd;
  // |G| |g| |G^T| per (output, input channel) and position.
  std::vector<double> u(size_t(out.c) * in.c * kPositions, 0.0);
  for (size_t o = 0; o < out.c; ++o)
    for (size_t i = 0; i < in.c; ++i)
      for (size_t p = 0; p < kPositions; ++p)
        for (size_t ky = 0; ky < 3; ++ky)
          for (size_t kx = 0; kx < 3; ++kx)
            u[(o * in.c + i) * kPositions + p] += std::fabs(kG[p / kPatch][ky] * kG[p % kPatch][kx]) *
                                                  std::fabs(l.weight.data[((o * 3 + ky) * 3 + kx) * in.c + i]);
  std::vector<double> magnitude(out.size());
  for (size_t ty = 0; ty < out.h; ty += kTile)
    for (size_t tx = 0; tx < out.w; tx += kTile) {
      std::vector<double> v(size_t(in.c) * kPositions, 0.0);  // |B^T| |d| |B| per input channel
      for (size_t i = 0; i < kPatch; ++i)
        for (size_t j = 0; j < kPatch; ++j) {
          const int64_t y = int64_t(ty + i) - l.pad_top, x = int64_t(tx + j) - l.pad_left;
          if (y < 0 || y >= in.h || x < 0 || x >= in.w) continue;
          for (size_t c = 0; c < in.c; ++c)
            for (size_t p = 0; p < kPositions; ++p)
              v[c * kPositions + p] += std::fabs(kBt[p / kPatch][i] * kBt[p % kPatch][j]) *
                                       std::fabs(input[(size_t(y) * in.w + size_t(x)) * in.c + c]);
        }
      for (size_t o = 0; o < out.c; ++o) {
        double m[kPositions] = {};
        for (size_t c = 0; c < in.c; ++c)
          for (size_t p = 0; p < kPositions; ++p) m[p] += u[(o * in.c + c) * kPositions + p] * v[c * kPositions + p];
        for (size_t r = 0; r < kTile && ty + r < out.h; ++r)
          for (size_t q = 0; q < kTile && tx + q < out.w; ++q) {
            double sum = std::fabs(l.bias.data[o]);
            for (size_t p = 0; p < kPositions; ++p) sum += std::fabs(kAt[r][p / kPatch] * kAt[q][p % kPatch]) * m[p];
            magnitude[((ty + r) * out.w + tx + q) * out.c + o] = sum;
          }
      }
    }
  return magnitude;
}

// Runs `net` on `backend`, recomputes its last layer with the reference from
// the backend's own inputs, and checks every output. A backend that must
// refuse the network has to say so with backend_unavailable at prepare.
void check_last_layer(const Net& net, Backend& backend, bool must_refuse, bool portable, std::mt19937& rng,
                      float input_scale) {
  Plan plan;
  const Status planned = build_plan(net.layers, net.input, &plan);
  ASSERT_TRUE(planned.ok()) << planned.message;
  const Status prepared = backend.prepare(plan);
  if (must_refuse) {
    EXPECT_EQ(prepared.code, cxr_status_backend_unavailable) << prepared.message;
    return;
  }
  ASSERT_TRUE(prepared.ok()) << prepared.message;
  // NaN everywhere but the input: a kernel reading what nobody wrote shows.
  std::vector<float> arena(plan.arena_floats, std::nanf(""));
  std::vector<float> input(net.input.size());
  fill_uniform(input, rng, -input_scale, input_scale);
  std::copy(input.begin(), input.end(), arena.begin() + plan.offsets[0]);
  const Status ran = backend.run(arena.data());
  EXPECT_TRUE(ran.ok()) << ran.message;

  const size_t last = plan.layers.size() - 1, out = plan.layers[last].output;
  std::vector<float> expected = arena, magnitude(plan.arena_floats, 0.0f);
  reference::run_layer(plan, last, expected.data(), magnitude.data());
  size_t terms = reference::reduction_size(plan, last);
  std::vector<double> winograd_magnitude;
  const bool winograd = portable && runs_as_winograd(plan.layers[last].desc, plan.shapes[out]);
  if (winograd) {
    const LayerDesc& l = plan.layers[last].desc;
    const size_t in = plan.layers[last].inputs[0];
    winograd_magnitude = winograd_magnitudes(l, plan.shapes[in], arena.data() + plan.offsets[in], plan.shapes[out]);
    terms = plan.shapes[in].c + 4 * winograd::kPatch + 1;  // channels, 4 transform passes, bias
  }
  size_t failures = 0;
  for (size_t i = 0; i < plan.shapes[out].size() && failures < 5; ++i) {
    const size_t at = plan.offsets[out] + i;
    const float bound = reference::error_bound(terms, winograd ? float(winograd_magnitude[i]) : magnitude[at]);
    if (!(std::fabs(arena[at] - expected[at]) <= bound)) {
      ++failures;
      ADD_FAILURE() << "output " << i << ": " << arena[at] << " vs reference " << expected[at] << " (bound " << bound
                    << ", K " << terms << ")";
    }
  }
}

// Runs networks 0..cases-1 from `make` (case index, and a generator seeded
// per case for the weights and random shapes) on every fast backend.
void check_cases(const char* op, int cases, const std::function<Net(std::mt19937&, int)>& make,
                 float input_scale = 1.0f) {
  const uint32_t seed = testing::test_seed();
  for (testing::NamedBackend& b : testing::fast_backends()) {
    Backend& backend = *b.backend;
    int refused = 0;
    for (int i = 0; i < cases; ++i) {
      std::mt19937 rng(seed + uint32_t(i));
      const Net net = make(rng, i);
      SCOPED_TRACE(b.name + " case " + std::to_string(i) + " (CXR_TEST_SEED=" + std::to_string(seed) +
                   "): " + net.label);
      const bool must_refuse = b.name == "xnnpack" && xnnpack_refuses(net);
      refused += must_refuse;
      check_last_layer(net, backend, must_refuse, b.name.rfind("portable/", 0) == 0, rng, input_scale);
    }
    if (refused) std::printf("  %s refused %d of %d %s cases (1x1 windows)\n", b.name.c_str(), refused, cases, op);
  }
}

// Runs `cases` random networks from `make` on every fast backend.
void check_random_cases(const char* op, int cases, const std::function<Net(std::mt19937&)>& make,
                        float input_scale = 1.0f) {
  check_cases(
      op, cases, [&](std::mt19937& rng, int) { return make(rng); }, input_scale);
}

TEST(Kernels, Conv2d) { check_random_cases("conv2d", 60, random_conv); }
TEST(Kernels, MaxPool) {
  check_random_cases("max_pool", 40, [](std::mt19937& r) { return random_pool(r, LayerType::max_pool); });
}
TEST(Kernels, AvgPool) {
  check_random_cases("avg_pool", 40, [](std::mt19937& r) { return random_pool(r, LayerType::avg_pool); });
}
TEST(Kernels, GlobalAvgPool) { check_random_cases("global_avg_pool", 30, random_global_avg_pool); }
TEST(Kernels, Dense) { check_random_cases("dense", 30, random_dense); }
TEST(Kernels, Add) { check_random_cases("add", 30, random_add); }
TEST(Kernels, Softmax) { check_random_cases("softmax", 30, random_softmax); }
// Logits up to +-160: exp overflows in float unless the max is subtracted.
TEST(Kernels, SoftmaxLargeLogits) { check_random_cases("softmax", 10, random_softmax, 80.0f); }

// Sizes that exercise the GEMM's full 4-row tiles, several column panels on
// every target (AVX-512 panels are 32 wide) and several im2col tiles; 1x1
// kernels take the direct GEMM path at stride 1 and im2col at stride 2.
TEST(Kernels, LargeConvolutions) {
  check_random_cases("conv2d", 8, [](std::mt19937& rng) {
    Net net;
    net.input = Shape{23, 21, 40};
    LayerDesc l = layer(LayerType::conv2d, "conv");
    l.kernel_h = l.kernel_w = uniform(rng, 0, 1) ? 3 : 1;
    l.stride_h = l.stride_w = uniform(rng, 1, 2);
    l.pad_top = l.pad_left = l.kernel_h / 2, l.pad_bottom = l.pad_right = uniform(rng, 0, l.kernel_h - 1);
    l.out_channels = 67;
    l.activation = random_activation(rng);
    net.set_weights(l, rng, {67, l.kernel_h, l.kernel_w, 40});
    return end_with(std::move(net), l);
  });
}

// 3x3 stride-1 convolutions take Winograd F(4x4, 3x3) in the portable
// backend: sizes off the tile (partial 4x4 tiles at the bottom and right),
// each side's padding 0-2 (taps in the padding), channel counts off the
// vector width, and inputs large enough for several batches of tiles.
TEST(Kernels, WinogradConvolutions) {
  check_random_cases("conv2d 3x3/1", 40, [](std::mt19937& rng) {
    Net net;
    const bool large = uniform(rng, 0, 3) == 0;
    LayerDesc l = layer(LayerType::conv2d, "conv");
    l.kernel_h = l.kernel_w = 3;
    l.pad_top = uniform(rng, 0, 2), l.pad_bottom = uniform(rng, 0, 2);
    l.pad_left = uniform(rng, 0, 2), l.pad_right = uniform(rng, 0, 2);
    net.input.h = uniform(rng, std::max(1, 3 - int(l.pad_top + l.pad_bottom)), large ? 40 : 9);
    net.input.w = uniform(rng, std::max(1, 3 - int(l.pad_left + l.pad_right)), large ? 40 : 9);
    net.input.c = uniform(rng, 1, large ? 64 : 20);
    l.out_channels = uniform(rng, 1, large ? 80 : 40);
    l.activation = random_activation(rng);
    net.set_weights(l, rng, {l.out_channels, 3, 3, net.input.c});
    return end_with(std::move(net), l);
  });
}

// MobileNetV2's convolutions at exactly its geometries (a random case hits
// them only by chance): odd maps, 1-pixel maps and channel counts off every
// vector width. `in` x `channels` is the op's input.
struct MobileNetCase {
  Shape in;
  uint32_t out_channels;
};

Net mobilenet_conv(std::mt19937& rng, Shape in, uint32_t out_channels, uint32_t kernel, uint32_t stride,
                   uint32_t pad_before, uint32_t pad_after, bool depthwise, Activation activation) {
  Net net;
  net.input = in;
  LayerDesc l = layer(LayerType::conv2d, "conv");
  l.kernel_h = l.kernel_w = kernel;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_left = pad_before;
  l.pad_bottom = l.pad_right = pad_after;
  l.groups = depthwise ? in.c : 1;
  l.out_channels = out_channels;
  l.activation = activation;
  net.set_weights(l, rng, {out_channels, kernel, kernel, depthwise ? 1 : in.c});
  return end_with(std::move(net), l);
}

// Depthwise 3x3 with ReLU6 or linear, at stride 1 (pad 1 each side) and at
// stride 2 as Keras pads it (0 before, 1 after: ZeroPadding2D then 'valid').
TEST(Kernels, MobileNetDepthwise) {
  // A stride-2 input of 2x2 gives a 1-pixel output; 1x1 only at stride 1.
  const MobileNetCase shapes[] = {{{7, 9, 13}, 13}, {{7, 9, 57}, 57},     {{9, 7, 24}, 24},  {{2, 2, 24}, 24},
                                  {{1, 1, 57}, 57}, {{14, 14, 144}, 144}, {{15, 11, 84}, 84}};
  constexpr int kShapes = sizeof shapes / sizeof shapes[0];
  check_cases("depthwise 3x3", kShapes * 4, [&](std::mt19937& rng, int i) {
    const MobileNetCase& c = shapes[i / 4];
    const bool stride2 = i % 2 == 1 && c.in.h > 1;
    const Activation activation = (i / 2) % 2 ? Activation::relu6 : Activation::none;
    return stride2 ? mobilenet_conv(rng, c.in, c.out_channels, 3, 2, 0, 1, true, activation)
                   : mobilenet_conv(rng, c.in, c.out_channels, 3, 1, 1, 1, true, activation);
  });
}

// 1x1 pointwise: expansions (x6, ReLU6) and linear projections back down,
// and the first and last convolutions (3x3 stride-2 Keras-padded from one
// gray channel; 1x1 to 1280 with ReLU6).
TEST(Kernels, MobileNetPointwise) {
  const MobileNetCase expand[] = {{{7, 9, 13}, 78}, {{1, 1, 24}, 144}, {{7, 9, 57}, 342}, {{14, 14, 16}, 96}};
  const MobileNetCase project[] = {{{7, 9, 78}, 13}, {{1, 1, 144}, 24}, {{7, 9, 342}, 57}, {{14, 14, 96}, 24}};
  check_cases("pointwise", 4 * 2 + 2, [&](std::mt19937& rng, int i) {
    if (i < 4) return mobilenet_conv(rng, expand[i].in, expand[i].out_channels, 1, 1, 0, 0, false, Activation::relu6);
    if (i < 8)
      return mobilenet_conv(rng, project[i - 4].in, project[i - 4].out_channels, 1, 1, 0, 0, false, Activation::none);
    if (i == 8) return mobilenet_conv(rng, {15, 13, 1}, 16, 3, 2, 0, 1, false, Activation::relu6);
    return mobilenet_conv(rng, {3, 5, 112}, 1280, 1, 1, 0, 0, false, Activation::relu6);
  });
}

// The residual add of MobileNetV2 (linear) is Kernels.Add's random_add with
// activation none; its shapes there (1-12 pixels a side, 1-40 channels) cover
// odd maps, 1-pixel maps and counts off the vector width.

// The tolerance must still catch a small real error: one weight off by 10% of
// its range (5% was caught too with direct convolution's bound; Winograd
// F(4x4, 3x3)'s bound is looser, see winograd_magnitudes).
TEST(Kernels, ToleranceCatchesAWrongWeight) {
  std::mt19937 rng(testing::test_seed());
  Net net;
  net.input = Shape{16, 16, 8};  // 16 tiles: the portable backend takes Winograd
  LayerDesc l = layer(LayerType::conv2d, "conv");
  l.kernel_h = l.kernel_w = 3;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  l.out_channels = 16;
  net.set_weights(l, rng, {16, 3, 3, 8});
  net.layers.push_back(l);
  Plan plan;
  ASSERT_TRUE(build_plan(net.layers, net.input, &plan).ok());
  std::vector<float> arena(plan.arena_floats);
  fill_uniform(arena, rng, -1.0f, 1.0f);
  std::unique_ptr<Backend> backend = make_portable_backend();
  ASSERT_TRUE(backend->prepare(plan).ok());
  ASSERT_TRUE(backend->run(arena.data()).ok());
  net.storage[0][4 * 8] += 0.2f;  // output channel 0, centre tap, input channel 0
  std::vector<float> expected = arena, magnitude(plan.arena_floats);
  reference::run_layer(plan, 0, expected.data(), magnitude.data());
  // The looser of the two bounds check_last_layer uses for this layer.
  const std::vector<double> winograd_magnitude =
      winograd_magnitudes(l, net.input, arena.data() + plan.offsets[0], plan.shapes[1]);
  size_t caught = 0;
  for (size_t i = 0; i < plan.shapes[1].size(); ++i) {
    const size_t at = plan.offsets[1] + i;
    const float bound = std::max(reference::error_bound(reference::reduction_size(plan, 0), magnitude[at]),
                                 reference::error_bound(8 + 4 * winograd::kPatch + 1, float(winograd_magnitude[i])));
    caught += std::fabs(arena[at] - expected[at]) > bound;
  }
  // Channel 0 of every pixel changes by 0.2 * input; all but the rare tiny
  // inputs must be caught.
  EXPECT_GT(caught, 16u * 16u * 9 / 10);
}

TEST(Kernels, PortableTargets) {
  std::string names;
  for (const portable::Kernels* k : portable::all_supported_kernels()) names += std::string(" ") + k->target;
  std::printf("  portable targets:%s (best %s, panel width %zu)\n", names.c_str(), portable::best_kernels().target,
              portable::best_kernels().panel_width);
  EXPECT_FALSE(names.empty());
}

}  // namespace
}  // namespace cxr
