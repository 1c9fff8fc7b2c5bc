#include "nn/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cxr::reference {
namespace {

double activate(Activation activation, double x) {
  switch (activation) {
    case Activation::none: return x;
    case Activation::relu: return std::max(x, 0.0);
    case Activation::relu6: return std::min(std::max(x, 0.0), 6.0);
  }
  return x;
}

void put(float* output, float* magnitude, size_t i, double value, double scale) {
  output[i] = float(value);
  if (magnitude) magnitude[i] = float(scale);
}

// Calls visit(input_index) for every valid (non-padded) input pixel of the
// window whose output is at (oy, ox); input_index is the pixel's first float.
template <class Visit>
void for_each_window_pixel(const LayerDesc& l, Shape in, uint32_t oy, uint32_t ox, Visit visit) {
  for (uint32_t ky = 0; ky < l.kernel_h; ++ky) {
    const int64_t iy = int64_t(oy) * l.stride_h - l.pad_top + ky;
    if (iy < 0 || iy >= in.h) continue;
    for (uint32_t kx = 0; kx < l.kernel_w; ++kx) {
      const int64_t ix = int64_t(ox) * l.stride_w - l.pad_left + kx;
      if (ix < 0 || ix >= in.w) continue;
      visit(ky, kx, (size_t(iy) * in.w + size_t(ix)) * in.c);
    }
  }
}

}  // namespace

void conv2d(const LayerDesc& l, Shape in, const float* input, Shape out, float* output, float* magnitude) {
  const uint32_t in_per_group = in.c / l.groups, out_per_group = out.c / l.groups;
  for (uint32_t oy = 0; oy < out.h; ++oy)
    for (uint32_t ox = 0; ox < out.w; ++ox)
      for (uint32_t o = 0; o < out.c; ++o) {
        const uint32_t first_in = o / out_per_group * in_per_group;
        double sum = l.bias.data[o], scale = std::fabs(sum);
        for_each_window_pixel(l, in, oy, ox, [&](uint32_t ky, uint32_t kx, size_t pixel) {
          const float* w = l.weight.data + ((size_t(o) * l.kernel_h + ky) * l.kernel_w + kx) * in_per_group;
          for (uint32_t i = 0; i < in_per_group; ++i) {
            const double term = double(input[pixel + first_in + i]) * w[i];
            sum += term;
            scale += std::fabs(term);
          }
        });
        put(output, magnitude, (size_t(oy) * out.w + ox) * out.c + o, activate(l.activation, sum), scale);
      }
}

void max_pool(const LayerDesc& l, Shape in, const float* input, Shape out, float* output, float* magnitude) {
  for (uint32_t oy = 0; oy < out.h; ++oy)
    for (uint32_t ox = 0; ox < out.w; ++ox)
      for (uint32_t c = 0; c < out.c; ++c) {
        float best = -std::numeric_limits<float>::infinity();
        for_each_window_pixel(l, in, oy, ox,
                              [&](uint32_t, uint32_t, size_t pixel) { best = std::max(best, input[pixel + c]); });
        put(output, magnitude, (size_t(oy) * out.w + ox) * out.c + c, best, std::fabs(best));
      }
}

void avg_pool(const LayerDesc& l, Shape in, const float* input, Shape out, float* output, float* magnitude) {
  for (uint32_t oy = 0; oy < out.h; ++oy)
    for (uint32_t ox = 0; ox < out.w; ++ox)
      for (uint32_t c = 0; c < out.c; ++c) {
        double sum = 0, scale = 0;
        size_t count = 0;
        for_each_window_pixel(l, in, oy, ox, [&](uint32_t, uint32_t, size_t pixel) {
          sum += input[pixel + c];
          scale += std::fabs(input[pixel + c]);
          ++count;
        });
        put(output, magnitude, (size_t(oy) * out.w + ox) * out.c + c, sum / count, scale / count);
      }
}

void global_avg_pool(Shape in, const float* input, float* output, float* magnitude) {
  const size_t pixels = size_t(in.h) * in.w;
  for (uint32_t c = 0; c < in.c; ++c) {
    double sum = 0, scale = 0;
    for (size_t p = 0; p < pixels; ++p) {
      sum += input[p * in.c + c];
      scale += std::fabs(input[p * in.c + c]);
    }
    put(output, magnitude, c, sum / pixels, scale / pixels);
  }
}

void dense(const LayerDesc& l, Shape in, const float* input, float* output, float* magnitude) {
  const size_t inputs = in.size();
  for (uint32_t u = 0; u < l.out_channels; ++u) {
    const float* w = l.weight.data + size_t(u) * inputs;
    double sum = l.bias.data[u], scale = std::fabs(sum);
    for (size_t i = 0; i < inputs; ++i) {
      const double term = double(input[i]) * w[i];
      sum += term;
      scale += std::fabs(term);
    }
    put(output, magnitude, u, activate(l.activation, sum), scale);
  }
}

void add(Activation activation, size_t count, const float* a, const float* b, float* output, float* magnitude) {
  for (size_t i = 0; i < count; ++i)
    put(output, magnitude, i, activate(activation, double(a[i]) + b[i]), std::fabs(a[i]) + std::fabs(b[i]));
}

void softmax(Shape shape, const float* input, float* output, float* magnitude) {
  const size_t pixels = size_t(shape.h) * shape.w;
  for (size_t p = 0; p < pixels; ++p) {
    const float* x = input + p * shape.c;
    const double max = *std::max_element(x, x + shape.c);
    double sum = 0, range = 0;
    for (uint32_t c = 0; c < shape.c; ++c) {
      sum += std::exp(x[c] - max);
      range = std::max(range, max - x[c]);
    }
    // Relative error of a float softmax grows with the logits' range (the
    // rounding of x - max is amplified by exp), see error_bound.
    for (uint32_t c = 0; c < shape.c; ++c) {
      const double probability = std::exp(x[c] - max) / sum;
      put(output, magnitude, p * shape.c + c, probability, probability * (1 + range));
    }
  }
}

void run_layer(const Plan& plan, size_t index, float* arena, float* magnitudes) {
  const PlannedLayer& layer = plan.layers[index];
  const LayerDesc& l = layer.desc;
  const Shape in = plan.shapes[layer.inputs[0]], out = plan.shapes[layer.output];
  const float* x = arena + plan.offsets[layer.inputs[0]];
  float* y = arena + plan.offsets[layer.output];
  float* m = magnitudes ? magnitudes + plan.offsets[layer.output] : nullptr;
  switch (l.type) {
    case LayerType::conv2d: return conv2d(l, in, x, out, y, m);
    case LayerType::max_pool: return max_pool(l, in, x, out, y, m);
    case LayerType::avg_pool: return avg_pool(l, in, x, out, y, m);
    case LayerType::global_avg_pool: return global_avg_pool(in, x, y, m);
    case LayerType::dense: return dense(l, in, x, y, m);
    case LayerType::add: return add(l.activation, out.size(), x, arena + plan.offsets[layer.inputs[1]], y, m);
    case LayerType::softmax: return softmax(in, x, y, m);
  }
}

size_t reduction_size(const Plan& plan, size_t index) {
  const PlannedLayer& layer = plan.layers[index];
  const LayerDesc& l = layer.desc;
  const Shape in = plan.shapes[layer.inputs[0]];
  switch (l.type) {
    case LayerType::conv2d: return size_t(l.kernel_h) * l.kernel_w * (in.c / l.groups) + 1;
    case LayerType::max_pool: return 0;
    case LayerType::avg_pool: return size_t(l.kernel_h) * l.kernel_w;
    case LayerType::global_avg_pool: return size_t(in.h) * in.w;
    case LayerType::dense: return in.size() + 1;
    case LayerType::add: return 2;
    case LayerType::softmax: return in.c;
  }
  return 0;
}

namespace {

class ReferenceBackend final : public Backend {
 public:
  Status prepare(const Plan& plan) override {
    plan_ = &plan;
    return Ok();
  }
  Status run(float* arena) override {
    if (plan_ == nullptr) return Fail(cxr_status_internal, "reference backend run before prepare");
    for (size_t i = 0; i < plan_->layers.size(); ++i) run_layer(*plan_, i, arena, nullptr);
    return Ok();
  }
  const char* name() const override { return "reference"; }

 private:
  const Plan* plan_ = nullptr;
};

}  // namespace
}  // namespace cxr::reference

namespace cxr {
std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<reference::ReferenceBackend>(); }
}  // namespace cxr
