#include "nn/plan.h"

#include <algorithm>
#include <limits>
#include <map>

namespace cxr {

ActivationRange activation_range(Activation activation) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  switch (activation) {
    case Activation::none: return {-inf, inf};
    case Activation::relu: return {0.0f, inf};
    case Activation::relu6: return {0.0f, 6.0f};
  }
  return {-inf, inf};
}

uint32_t window_output_size(uint32_t in, uint32_t kernel, uint32_t stride, uint32_t pad_before, uint32_t pad_after) {
  const uint64_t padded = uint64_t(in) + pad_before + pad_after;
  if (kernel == 0 || stride == 0 || padded < kernel) return 0;
  return uint32_t((padded - kernel) / stride + 1);
}

size_t Plan::logits_value() const {
  if (!layers.empty() && layers.back().desc.type == LayerType::softmax) return layers.back().inputs[0];
  return output_value();
}

namespace {

// Per-tensor cap: keeps size arithmetic far from overflow in wasm32.
constexpr size_t kMaxValueFloats = size_t(1) << 27;  // 512 MiB of floats
constexpr size_t kAlignFloats = 16;                  // 64 bytes
constexpr size_t kSlackFloats = 16;                  // XNN_EXTRA_BYTES and more

Status expect_dims(const LayerDesc& l, const TensorView& t, const char* which, const std::vector<uint32_t>& want) {
  if (t.data == nullptr) return Fail(cxr_status_invalid_model, "layer '%s' has no %s tensor", l.name.c_str(), which);
  if (t.dims != want) {
    std::string got, exp;
    for (uint32_t d : t.dims) got += (got.empty() ? "" : "x") + std::to_string(d);
    for (uint32_t d : want) exp += (exp.empty() ? "" : "x") + std::to_string(d);
    return Fail(cxr_status_invalid_model, "layer '%s' %s has shape [%s], expected [%s]", l.name.c_str(), which,
                got.c_str(), exp.c_str());
  }
  return Ok();
}

Status infer_shape(const LayerDesc& l, const std::vector<Shape>& in, Shape* out) {
  const char* name = l.name.c_str();
  const Shape& x = in[0];
  switch (l.type) {
    case LayerType::conv2d: {
      if (l.groups == 0 || l.out_channels == 0 || x.c % l.groups || l.out_channels % l.groups)
        return Fail(cxr_status_invalid_model,
                    "conv2d '%s': %u input and %u output channels do not split into %u groups", name, x.c,
                    l.out_channels, l.groups);
      [[fallthrough]];
    }
    case LayerType::max_pool:
    case LayerType::avg_pool: {
      if (l.kernel_h > 64 || l.kernel_w > 64 || l.stride_h == 0 || l.stride_w == 0 || l.pad_top >= l.kernel_h ||
          l.pad_bottom >= l.kernel_h || l.pad_left >= l.kernel_w || l.pad_right >= l.kernel_w)
        return Fail(cxr_status_invalid_model, "layer '%s': kernel %ux%u, stride %ux%u or padding out of range", name,
                    l.kernel_h, l.kernel_w, l.stride_h, l.stride_w);
      out->h = window_output_size(x.h, l.kernel_h, l.stride_h, l.pad_top, l.pad_bottom);
      out->w = window_output_size(x.w, l.kernel_w, l.stride_w, l.pad_left, l.pad_right);
      if (out->h == 0 || out->w == 0)
        return Fail(cxr_status_invalid_model, "layer '%s': a %ux%u window does not fit a %ux%u input", name, l.kernel_h,
                    l.kernel_w, x.h, x.w);
      if (l.type != LayerType::conv2d) {
        out->c = x.c;
        return Ok();
      }
      out->c = l.out_channels;
      Status s = expect_dims(l, l.weight, "weight", {l.out_channels, l.kernel_h, l.kernel_w, x.c / l.groups});
      return s.ok() ? expect_dims(l, l.bias, "bias", {l.out_channels}) : s;
    }
    case LayerType::global_avg_pool: *out = Shape{1, 1, x.c}; return Ok();
    case LayerType::dense: {
      if (l.out_channels == 0) return Fail(cxr_status_invalid_model, "dense '%s' has no units", name);
      *out = Shape{1, 1, l.out_channels};
      if (x.size() > UINT32_MAX) return Fail(cxr_status_invalid_model, "dense '%s' input too large", name);
      Status s = expect_dims(l, l.weight, "weight", {l.out_channels, uint32_t(x.size())});
      return s.ok() ? expect_dims(l, l.bias, "bias", {l.out_channels}) : s;
    }
    case LayerType::add:
      if (!(in[0] == in[1]))
        return Fail(cxr_status_invalid_model, "add '%s': inputs have different shapes (%ux%ux%u vs %ux%ux%u)", name,
                    in[0].h, in[0].w, in[0].c, in[1].h, in[1].w, in[1].c);
      *out = x;
      return Ok();
    case LayerType::softmax: *out = x; return Ok();
  }
  return Fail(cxr_status_invalid_model, "layer '%s' has an unknown type", name);
}

// Offsets for values with known [first, last] use, first-fit over sorted free
// space: a value's buffer is free again once its last reader has run.
void layout_arena(Plan* plan) {
  const size_t n = plan->shapes.size();
  std::vector<size_t> last_use(n);
  for (size_t v = 0; v < n; ++v) last_use[v] = v == 0 ? 0 : v - 1;  // produced by layer v-1
  for (size_t i = 0; i < plan->layers.size(); ++i)
    for (size_t v : plan->layers[i].inputs) last_use[v] = std::max(last_use[v], i);
  // The CAM features and the logits are read after the run.
  if (plan->cam_features != SIZE_MAX) last_use[plan->cam_features] = SIZE_MAX;
  if (plan->pooled_features != SIZE_MAX) last_use[plan->pooled_features] = SIZE_MAX;
  for (size_t v : plan->kept_values) last_use[v] = SIZE_MAX;
  last_use[plan->logits_value()] = SIZE_MAX;
  last_use[n - 1] = SIZE_MAX;

  struct Block {
    size_t begin, end, value;
  };
  std::vector<Block> live;
  plan->offsets.assign(n, 0);
  plan->arena_floats = 0;
  for (size_t v = 0; v < n; ++v) {
    const size_t step = v == 0 ? 0 : v - 1;  // the layer that writes v
    // Retire blocks whose last reader ran before this layer (not the one writing v:
    // an output must not alias its own inputs).
    live.erase(
        std::remove_if(live.begin(), live.end(), [&](const Block& b) { return v > 0 && last_use[b.value] < step; }),
        live.end());
    std::sort(live.begin(), live.end(), [](const Block& a, const Block& b) { return a.begin < b.begin; });
    const size_t need = (plan->shapes[v].size() + kSlackFloats + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    size_t at = 0;
    for (const Block& b : live) {
      if (b.begin >= at + need) break;
      at = std::max(at, b.end);
    }
    plan->offsets[v] = at;
    live.push_back({at, at + need, v});
    plan->arena_floats = std::max(plan->arena_floats, at + need);
  }
}

}  // namespace

Status build_plan(const std::vector<LayerDesc>& layers, Shape input, Plan* plan,
                  const std::vector<std::string>& keep_alive) {
  *plan = Plan{};
  if (layers.empty()) return Fail(cxr_status_invalid_model, "the model has no layers");
  if (input.size() == 0 || input.size() > kMaxValueFloats)
    return Fail(cxr_status_invalid_model, "input shape %ux%ux%u is out of range", input.h, input.w, input.c);
  std::map<std::string, size_t> value_of{{"input", 0}};
  plan->shapes.push_back(input);
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerDesc& l = layers[i];
    if (l.name.empty() || value_of.count(l.name))
      return Fail(cxr_status_invalid_model, "layer %zu has an empty or repeated name '%s'", i, l.name.c_str());
    PlannedLayer p{l, {}, i + 1};
    const size_t arity = l.type == LayerType::add ? 2 : 1;
    if (l.inputs.empty() && arity == 1) {
      p.inputs.push_back(i);
    } else {
      if (l.inputs.size() != arity)
        return Fail(cxr_status_invalid_model, "layer '%s' takes %zu input(s), has %zu", l.name.c_str(), arity,
                    l.inputs.size());
      for (const std::string& name : l.inputs) {
        auto it = value_of.find(name);
        if (it == value_of.end())
          return Fail(cxr_status_invalid_model, "layer '%s' reads '%s', which no earlier layer makes", l.name.c_str(),
                      name.c_str());
        p.inputs.push_back(it->second);
      }
    }
    std::vector<Shape> in;
    for (size_t v : p.inputs) in.push_back(plan->shapes[v]);
    Shape out;
    CXR_TRY(infer_shape(l, in, &out));
    if (out.size() > kMaxValueFloats)
      return Fail(cxr_status_invalid_model, "layer '%s' output %ux%ux%u is too large", l.name.c_str(), out.h, out.w,
                  out.c);
    plan->shapes.push_back(out);
    value_of[l.name] = i + 1;
    plan->layers.push_back(std::move(p));
  }
  // CAM pair: ... -> global_avg_pool -> dense [-> softmax] at the end.
  const size_t logits = plan->logits_value();
  if (logits > 0 && plan->layers[logits - 1].desc.type == LayerType::dense) {
    const PlannedLayer& head = plan->layers[logits - 1];
    const size_t pooled = head.inputs[0];
    if (pooled > 0 && plan->layers[pooled - 1].desc.type == LayerType::global_avg_pool) {
      plan->cam_features = plan->layers[pooled - 1].inputs[0];
      plan->cam_dense_layer = logits - 1;
      plan->pooled_features = pooled;
    }
  }
  for (const std::string& name : keep_alive) {
    auto it = value_of.find(name);
    if (it == value_of.end() || it->second == 0)
      return Fail(cxr_status_invalid_model, "no layer named '%s' to read features from", name.c_str());
    plan->kept_values.push_back(it->second);
  }
  layout_arena(plan);
  return Ok();
}

}  // namespace cxr
