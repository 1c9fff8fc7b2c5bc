// The portable backend: plans every layer once at prepare (choosing a kernel,
// packing weights into the layout it wants, sizing one scratch buffer) and then
// runs the plan with one target's Highway kernels without allocating.
//
// Convolutions: 1x1 stride-1 unpadded ungrouped ones are a GEMM straight on the
// input; depthwise (multiplier 1) ones a direct kernel vectorised over
// channels; 3x3 stride-1 ungrouped ones on maps of at least 8 tiles Winograd
// F(4x4, 3x3) (nn/winograd.h: 36 GEMMs on transformed tiles, 4x fewer
// multiplies); everything else
// (any kernel, stride, padding, groups) an indirect GEMM per group, reading
// each output pixel's taps in place through offsets computed at prepare (no
// im2col copy). Dense is a one-row GEMM over the same packed layout.
//
// Not thread-safe: run() works in the backend's own Winograd scratch, so use
// one backend per thread (as one classifier per thread).
#include "nn/portable_backend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "common/allocate.h"
#include "nn/winograd.h"

namespace cxr {
namespace {

using portable::Clamp;
using portable::GemmArgs;
using portable::IndirectA;
using portable::Kernels;
using portable::WindowArgs;

// A batch of Winograd tiles (16 transformed input and 16 output matrices)
// stays in L2 too; larger batches reuse each packed weight panel over more rows.
constexpr size_t kWinogradBatchFloats = 65536;

size_t round_up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// What prepare() answers when a buffer cannot be had (common/allocate.h).
constexpr char kNoMemory[] = "not enough memory to prepare the network's weights";

// GEMM right-hand sides for `groups` groups in Kernels::gemm's panels, and
// the bias, zero-padded to whole panels.
struct PackedGemm {
  std::vector<float> weights, bias;
  size_t group_weights = 0, group_bias = 0;  // floats per group
  size_t depth = 0, cols = 0, panel_width = 0;

  // Zeroed room for it all.
  Status resize(size_t groups, size_t depth_, size_t cols_, size_t panel_width_) {
    depth = depth_, cols = cols_, panel_width = panel_width_;
    group_bias = round_up(cols, panel_width);
    group_weights = group_bias * depth;
    weights.clear(), bias.clear();
    CXR_TRY(try_resize(&weights, groups * group_weights, kNoMemory));
    return try_resize(&bias, groups * group_bias, kNoMemory);
  }

  // B[k][n] of group g; a last panel of at most half the width is packed
  // half as wide (portable_kernels.h, GemmArgs).
  float& at(size_t g, size_t n, size_t k) {
    const size_t first = n / panel_width * panel_width;
    const size_t width = cols - first <= panel_width / 2 ? panel_width / 2 : panel_width;
    return weights[g * group_weights + first * depth + k * width + (n - first)];
  }

  // From weights stored row per output ([groups * cols][depth]: conv OHWI and
  // dense [units][in] both are).
  Status pack(const float* w, const float* b, size_t groups, size_t depth_, size_t cols_, size_t panel_width_) {
    CXR_TRY(resize(groups, depth_, cols_, panel_width_));
    for (size_t g = 0; g < groups; ++g)
      for (size_t n = 0; n < cols; ++n) {
        const size_t out = g * cols + n;
        for (size_t k = 0; k < depth; ++k) at(g, n, k) = w[out * depth + k];
        bias[g * group_bias + n] = b[out];
      }
    return Ok();
  }
};

enum class StepKind {
  gemm_direct,
  indirect_gemm,
  winograd,
  depthwise,
  max_pool,
  avg_pool,
  global_avg_pool,
  dense,
  add,
  softmax
};

// One layer, planned: which kernel, its packed weights and geometry. Arena
// pointers are only known in run(), so they are stored as offsets.
struct Step {
  StepKind kind = StepKind::gemm_direct;
  size_t input = 0, input2 = 0, output = 0;  // arena offsets
  Shape in, out;
  WindowArgs window;  // geometry; pointers set in run()
  Clamp clamp{};
  PackedGemm gemm;
  std::vector<float> depthwise_weights, bias;  // bias: depthwise and Winograd (not in the GEMM)
  std::vector<uint32_t> tap_offsets;           // indirect GEMM: per output pixel and tap (IndirectA)
  uint32_t groups = 1;
  size_t depth = 0, tile_rows = 0;  // Winograd: input channels, tiles per batch
  size_t scratch_floats = 0;
};

WindowArgs window_of(const LayerDesc& l, Shape in, Shape out) {
  WindowArgs w;
  w.in_h = in.h, w.in_w = in.w, w.channels = in.c, w.out_h = out.h, w.out_w = out.w;
  w.kernel_h = l.kernel_h, w.kernel_w = l.kernel_w, w.stride_h = l.stride_h, w.stride_w = l.stride_w;
  w.pad_top = l.pad_top, w.pad_left = l.pad_left;
  return w;
}

void softmax_channels(size_t pixels, size_t channels, const float* input, float* output) {
  for (size_t p = 0; p < pixels; ++p, input += channels, output += channels) {
    const float max = *std::max_element(input, input + channels);
    float sum = 0.0f;
    for (size_t c = 0; c < channels; ++c) sum += output[c] = std::exp(input[c] - max);
    const float scale = 1.0f / sum;
    for (size_t c = 0; c < channels; ++c) output[c] *= scale;
  }
}

class PortableBackend final : public Backend {
 public:
  explicit PortableBackend(const Kernels& kernels) : kernels_(kernels) {}

  Status prepare(const Plan& plan) override {
    steps_.clear();
    scratch_.clear();
    for (const Shape& shape : plan.shapes)
      if (shape.size() >= portable::kPaddedTap)  // tap offsets are 32-bit
        return Fail(cxr_status_too_large, "a feature map of the network is too large for the portable backend");
    // Every buffer sized by the model goes through try_resize; steps_ itself
    // holds one small record per layer.
    zeros_.clear();
    steps_.resize(plan.layers.size());
    for (size_t i = 0; i < plan.layers.size(); ++i) {
      const Status status = plan_step(plan, plan.layers[i], &steps_[i]);
      if (!status.ok()) {
        steps_.clear();
        return status;
      }
    }
    size_t scratch = 0, channels = 0;
    for (const Step& s : steps_) scratch = std::max(scratch, s.scratch_floats);
    for (const Step& s : steps_) channels = std::max<size_t>(channels, s.in.c);
    Status status = try_resize(&scratch_, scratch, kNoMemory);
    if (status.ok()) status = try_resize(&zeros_, channels, kNoMemory);
    if (!status.ok()) steps_.clear();
    return status;
  }

  Status run(float* arena) override {
    if (steps_.empty()) return Fail(cxr_status_internal, "portable backend run before prepare");
    for (const Step& s : steps_) run_step(s, arena);
    return Ok();
  }

  const char* name() const override { return "portable"; }

  Status run_timed(float* arena, std::vector<double>* layer_ms) {
    if (steps_.empty()) return Fail(cxr_status_internal, "portable backend run before prepare");
    layer_ms->clear();
    for (const Step& s : steps_) {
      const auto start = std::chrono::steady_clock::now();
      run_step(s, arena);
      layer_ms->push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    return Ok();
  }

 private:
  Status plan_step(const Plan& plan, const PlannedLayer& layer, Step* step) const {
    const LayerDesc& l = layer.desc;
    Step& s = *step;
    s.in = plan.shapes[layer.inputs[0]];
    s.out = plan.shapes[layer.output];
    s.input = plan.offsets[layer.inputs[0]];
    s.input2 = layer.inputs.size() > 1 ? plan.offsets[layer.inputs[1]] : 0;
    s.output = plan.offsets[layer.output];
    s.window = window_of(l, s.in, s.out);
    s.clamp = activation_range(l.activation);
    s.groups = l.groups;
    switch (l.type) {
      case LayerType::conv2d: return plan_conv(l, &s);
      case LayerType::dense:
        s.kind = StepKind::dense;
        return s.gemm.pack(l.weight.data, l.bias.data, 1, s.in.size(), s.out.c, kernels_.panel_width);
      case LayerType::max_pool: s.kind = StepKind::max_pool; break;
      case LayerType::avg_pool: s.kind = StepKind::avg_pool; break;
      case LayerType::global_avg_pool: s.kind = StepKind::global_avg_pool; break;
      case LayerType::add: s.kind = StepKind::add; break;
      case LayerType::softmax: s.kind = StepKind::softmax; break;
    }
    return Ok();
  }

  // A copy of `count` floats of the model's, through try_resize.
  static Status copy_floats(const float* from, size_t count, std::vector<float>* to) {
    CXR_TRY(try_resize(to, count, kNoMemory));
    std::copy(from, from + count, to->begin());
    return Ok();
  }

  Status plan_conv(const LayerDesc& l, Step* s) const {
    const size_t taps = size_t(l.kernel_h) * l.kernel_w;
    if (l.groups == s->in.c && s->out.c == s->in.c) {
      // Depthwise: weights [c][kh][kw][1] transposed to [kh*kw][c] so a tap's
      // weights for consecutive channels are one vector load.
      s->kind = StepKind::depthwise;
      CXR_TRY(try_resize(&s->depthwise_weights, taps * s->in.c, kNoMemory));
      for (size_t c = 0; c < s->in.c; ++c)
        for (size_t t = 0; t < taps; ++t) s->depthwise_weights[t * s->in.c + c] = l.weight.data[c * taps + t];
      return copy_floats(l.bias.data, s->in.c, &s->bias);
    }
    if (l.kernel_h == 3 && l.kernel_w == 3 && l.stride_h == 1 && l.stride_w == 1 && l.groups == 1 &&
        winograd::tiles(s->out.h, s->out.w) >= winograd::kMinTiles)
      return plan_winograd(l, s);
    const size_t group_in = s->in.c / l.groups, group_out = s->out.c / l.groups;
    s->depth = taps * group_in;
    CXR_TRY(s->gemm.pack(l.weight.data, l.bias.data, l.groups, s->depth, group_out, kernels_.panel_width));
    const bool pointwise = taps == 1 && l.stride_h == 1 && l.stride_w == 1 && l.pad_top == 0 && l.pad_left == 0 &&
                           l.pad_bottom == 0 && l.pad_right == 0 && l.groups == 1;
    if (pointwise) {
      s->kind = StepKind::gemm_direct;  // the input already is the GEMM's A
      return Ok();
    }
    s->kind = StepKind::indirect_gemm;
    const WindowArgs& w = s->window;
    CXR_TRY(try_resize(&s->tap_offsets, size_t(s->out.h) * s->out.w * taps, kNoMemory));
    s->tap_offsets.clear();  // keeps the capacity: the push_backs below do not allocate
    for (uint32_t oy = 0; oy < s->out.h; ++oy)
      for (uint32_t ox = 0; ox < s->out.w; ++ox)
        for (uint32_t ky = 0; ky < w.kernel_h; ++ky)
          for (uint32_t kx = 0; kx < w.kernel_w; ++kx) {
            const int64_t y = int64_t(oy) * w.stride_h - w.pad_top + ky;
            const int64_t x = int64_t(ox) * w.stride_w - w.pad_left + kx;
            const bool inside = y >= 0 && y < w.in_h && x >= 0 && x < w.in_w;
            s->tap_offsets.push_back(inside ? uint32_t((y * w.in_w + x) * s->in.c) : portable::kPaddedTap);
          }
    return Ok();
  }

  Status plan_winograd(const LayerDesc& l, Step* s) const {
    s->kind = StepKind::winograd;
    const size_t in_c = s->in.c, out_c = s->out.c, positions = winograd::kPositions;
    // A GEMM per position, bias zero: it is added after the output transform.
    CXR_TRY(s->gemm.resize(positions, in_c, out_c, kernels_.panel_width));
    winograd::transform_weights(l.weight.data, out_c, in_c, [&](size_t position, size_t o, size_t i) -> float& {
      return s->gemm.at(position, o, i);
    });
    CXR_TRY(copy_floats(l.bias.data, out_c, &s->bias));
    s->depth = in_c;
    const size_t per_tile = positions * (in_c + out_c);
    s->tile_rows =
        std::min(round_up(winograd_tiles(*s), 4), std::max<size_t>(4, kWinogradBatchFloats / per_tile / 4 * 4));
    s->scratch_floats = s->tile_rows * per_tile;
    return Ok();
  }

  static size_t winograd_tiles(const Step& s) { return winograd::tiles(s.out.h, s.out.w); }

  void run_step(const Step& s, float* arena) {
    const float* input = arena + s.input;
    float* output = arena + s.output;
    WindowArgs window = s.window;
    window.input = input;
    window.output = output;
    GemmArgs g;
    g.packed_b = s.gemm.weights.data();
    g.bias = s.gemm.bias.data();
    g.clamp = s.clamp;
    switch (s.kind) {
      case StepKind::gemm_direct:
      case StepKind::dense:
        g.rows = s.kind == StepKind::dense ? 1 : size_t(s.in.h) * s.in.w;
        g.depth = s.kind == StepKind::dense ? s.in.size() : s.in.c;
        g.cols = s.out.c;
        g.a = input, g.a_stride = g.depth;
        g.c = output, g.c_stride = s.out.c;
        return kernels_.gemm(g);
      case StepKind::indirect_gemm: return run_indirect_gemm(s, input, output, g);
      case StepKind::winograd: return run_winograd(s, input, output, g);
      case StepKind::depthwise:
        return kernels_.depthwise_conv(window, s.depthwise_weights.data(), s.bias.data(), s.clamp);
      case StepKind::max_pool: return kernels_.max_pool(window);
      case StepKind::avg_pool: return kernels_.avg_pool(window);
      case StepKind::global_avg_pool: return kernels_.global_avg_pool(size_t(s.in.h) * s.in.w, s.in.c, input, output);
      case StepKind::add: return kernels_.add(s.out.size(), input, arena + s.input2, output, s.clamp);
      case StepKind::softmax: return softmax_channels(size_t(s.in.h) * s.in.w, s.in.c, input, output);
    }
  }

  void run_indirect_gemm(const Step& s, const float* input, float* output, GemmArgs g) {
    const size_t group_in = s.in.c / s.groups, group_out = s.out.c / s.groups;
    IndirectA a;
    a.taps = size_t(s.window.kernel_h) * s.window.kernel_w;
    a.channels = group_in;
    a.zeros = zeros_.data();
    a.offsets = s.tap_offsets.data();
    g.rows = size_t(s.out.h) * s.out.w;
    g.depth = s.depth;
    g.cols = group_out;
    g.c_stride = s.out.c;
    for (uint32_t group = 0; group < s.groups; ++group) {
      a.input = input + group * group_in;
      g.packed_b = s.gemm.weights.data() + group * s.gemm.group_weights;
      g.bias = s.gemm.bias.data() + group * s.gemm.group_bias;
      g.c = output + group * group_out;
      kernels_.indirect_gemm(g, a);
    }
  }

  // Per batch of tiles: transform in, one GEMM per position (no bias, no
  // clamp: both come after the output transform), transform out.
  void run_winograd(const Step& s, const float* input, float* output, GemmArgs g) {
    portable::WinogradArgs w;
    w.in_h = s.in.h, w.in_w = s.in.w, w.in_c = s.in.c, w.out_h = s.out.h, w.out_w = s.out.w, w.out_c = s.out.c;
    w.pad_top = s.window.pad_top, w.pad_left = s.window.pad_left;
    w.input = input, w.zeros = zeros_.data(), w.output = output;
    const size_t tiles = winograd_tiles(s), positions = winograd::kPositions;
    float* v = scratch_.data();
    float* m = v + s.tile_rows * positions * s.in.c;
    g.depth = s.in.c, g.cols = s.out.c;
    g.a_stride = s.in.c, g.c_stride = s.out.c;
    g.clamp = activation_range(Activation::none);
    for (size_t first = 0; first < tiles; first += s.tile_rows) {
      g.rows = std::min(s.tile_rows, tiles - first);
      kernels_.winograd_input(w, first, g.rows, v);
      for (size_t p = 0; p < positions; ++p) {
        g.a = v + p * g.rows * s.in.c;
        g.packed_b = s.gemm.weights.data() + p * s.gemm.group_weights;
        g.bias = s.gemm.bias.data() + p * s.gemm.group_bias;
        g.c = m + p * g.rows * s.out.c;
        kernels_.gemm(g);
      }
      kernels_.winograd_output(w, first, g.rows, m, s.bias.data(), s.clamp);
    }
  }

  const Kernels& kernels_;
  std::vector<Step> steps_;
  std::vector<float> scratch_;  // one Winograd batch, sized for the largest layer
  std::vector<float> zeros_;    // what padded taps read: the widest input's channels
};

}  // namespace

std::unique_ptr<Backend> make_portable_backend(const portable::Kernels& kernels) {
  return std::make_unique<PortableBackend>(kernels);
}

std::unique_ptr<Backend> make_portable_backend() { return make_portable_backend(portable::best_kernels()); }

Status run_timed(Backend& portable_backend, float* arena, std::vector<double>* layer_ms) {
  auto* backend = dynamic_cast<PortableBackend*>(&portable_backend);
  if (!backend) return Fail(cxr_status_internal, "per-layer timing needs the portable backend");
  return backend->run_timed(arena, layer_ms);
}

}  // namespace cxr
