#include "trainer/net.h"

#include <ATen/Parallel.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <memory>

#include "nn/backend.h"
#include "nn/plan.h"
#include "nn/reference.h"
#include "trainer/util.h"

namespace cxr::train {

void set_single_thread() {
  static bool done = false;
  if (done) return;
  at::set_num_interop_threads(1);
  torch::set_num_threads(1);
  done = true;
}

namespace {

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::none: return x;
    case Activation::relu: return torch::relu(x);
    case Activation::relu6: return torch::clamp(x, 0.0, 6.0);
  }
  return x;
}

}  // namespace

NetImpl::NetImpl(std::vector<Op> ops, double dropout) : ops_(std::move(ops)) {
  for (const Op& op : ops_) {
    if (op.kind == Op::conv) {
      auto options = torch::nn::Conv2dOptions(op.in_channels, op.out_channels, op.kernel)
                         .stride(op.stride)
                         .padding(op.pad_before == op.pad_after ? op.pad_before : 0)
                         .groups(op.groups)
                         .bias(false);
      convs_.emplace(op.name, register_module(op.name, torch::nn::Conv2d(options)));
      auto norm = register_module(
          op.name + "_bn",
          torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(op.out_channels).eps(op.batch_norm_eps)));
      // Zero-init the last norm of each residual branch: blocks start as identity.
      if (op.name.size() > 2 && op.name.compare(op.name.size() - 2, 2, "_b") == 0)
        torch::nn::init::zeros_(norm->weight);
      norms_.emplace(op.name, norm);
    } else if (op.kind == Op::dense) {
      denses_.emplace(op.name, register_module(op.name, torch::nn::Linear(op.in_channels, op.out_channels)));
    }
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor NetImpl::forward(const torch::Tensor& input) { return forward(input, nullptr); }

torch::Tensor NetImpl::forward(const torch::Tensor& input, torch::Tensor* features) {
  std::map<std::string, torch::Tensor> values{{"input", input}};
  torch::Tensor x = input;
  for (const Op& op : ops_) {
    const torch::Tensor in = op.inputs.empty() ? x : values.at(op.inputs[0]);
    switch (op.kind) {
      case Op::conv: {
        // Asymmetric padding (Keras' stride-2 layers) is padded here; symmetric
        // padding is the conv's own.
        const torch::Tensor padded =
            op.pad_before == op.pad_after
                ? in
                : torch::constant_pad_nd(in, {op.pad_before, op.pad_after, op.pad_before, op.pad_after});
        x = activate(norms_.at(op.name)(convs_.at(op.name)(padded)), op.activation);
        break;
      }
      case Op::add: x = activate(values.at(op.inputs[0]) + values.at(op.inputs[1]), op.activation); break;
      case Op::gap:
        if (features) *features = in;
        x = in.mean({2, 3});
        break;
      case Op::dense: x = denses_.at(op.name)(dropout_(in)); break;
    }
    values[op.name] = x;
  }
  return x;
}

Status NetImpl::load_pretrained(const PretrainedWeights& weights) {
  torch::NoGradGuard no_grad;
  for (const Op& op : ops_) {
    if (op.kind != Op::conv) continue;
    PretrainedConv conv;
    CXR_TRY(pretrained_conv(weights, op, &conv));
    auto& weight = convs_.at(op.name)->weight;  // OIHW; `conv.weight` is OHWI
    const auto vector = [](const std::vector<float>& v) { return torch::tensor(v); };
    const torch::Tensor ohwi =
        vector(conv.weight).view({weight.size(0), weight.size(2), weight.size(3), weight.size(1)});
    weight.copy_(ohwi.permute({0, 3, 1, 2}));
    auto& norm = norms_.at(op.name);
    norm->weight.copy_(vector(conv.gamma));
    norm->bias.copy_(vector(conv.beta));
    norm->running_mean.copy_(vector(conv.mean));
    norm->running_var.copy_(vector(conv.variance));
  }
  return Ok();
}

torch::Tensor NetImpl::frame_evidence_share(const torch::Tensor& features, double frame) {
  const torch::Tensor& weight = denses_.begin()->second->weight;  // [2][C]; the only dense layer
  const torch::Tensor margin = weight[1] - weight[0];
  const torch::Tensor evidence = torch::einsum("nchw,c->nhw", {features, margin});
  const int64_t h = features.size(2), w = features.size(3);
  std::vector<float> mask(size_t(h * w), 0.0f);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const double cy = (double(y) + 0.5) / double(h), cx = (double(x) + 0.5) / double(w);
      if (cy < frame || cy > 1 - frame || cx < frame || cx > 1 - frame) mask[size_t(y * w + x)] = 1.0f;
    }
  const torch::Tensor in_frame = torch::tensor(mask).view({h, w});
  const torch::Tensor energy = evidence * evidence;
  return (energy * in_frame).sum({1, 2}) / (energy.sum({1, 2}) + 1e-6);
}

std::vector<torch::Tensor> NetImpl::head_parameters() {
  std::vector<torch::Tensor> head;
  for (auto& [name, dense] : denses_)
    for (const auto& p : dense->parameters()) head.push_back(p);
  return head;
}

size_t NetImpl::parameter_count() {
  size_t n = 0;
  for (const auto& p : parameters()) n += size_t(p.numel());
  return n;
}

namespace {

TensorView store(ExportedNet* out, const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
  TensorRecord& r = out->storage.emplace_back();
  r.name = name;
  for (int64_t d : c.sizes()) r.dims.push_back(uint32_t(d));
  r.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return TensorView{r.values.data(), r.dims};
}

}  // namespace

void ExportedNet::build(NetImpl& net, ExportedNet* out) {
  torch::NoGradGuard no_grad;
  std::string previous = "input";
  for (const Op& op : net.ops_) {
    LayerDesc l = layer_of(op, previous);
    if (op.kind == Op::conv) {
      const auto& norm = net.norms_.at(op.name);
      const torch::Tensor scale = norm->weight / torch::sqrt(norm->running_var + norm->options.eps());
      const torch::Tensor weight = net.convs_.at(op.name)->weight * scale.view({-1, 1, 1, 1});
      l.weight = store(out, op.name + ".weight", weight.permute({0, 2, 3, 1}));  // OIHW -> OHWI
      l.bias = store(out, op.name + ".bias", norm->bias - norm->running_mean * scale);
    } else if (op.kind == Op::dense) {
      const auto& dense = net.denses_.at(op.name);
      l.weight = store(out, op.name + ".weight", dense->weight);  // [units][in]; GAP output is 1x1xC
      l.bias = store(out, op.name + ".bias", dense->bias);
    }
    out->layers.push_back(std::move(l));
    previous = op.name;
  }
}

bool check_parity(NetImpl& net, const std::vector<uint8_t>& model_bytes, const torch::Tensor& inputs,
                  std::string* report) {
  Model model;
  Status s = read_model(model_bytes.data(), model_bytes.size(), &model);
  Plan plan;
  if (s.ok()) s = build_plan(model.layers, model.info.input, &plan);
  if (!s.ok()) {
    *report = "the core refused the exported model: " + s.message;
    return false;
  }

  net.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = net.forward(inputs).contiguous();
  // Float summation error grows at most linearly with the number of terms
  // added along the way; allow 4 ulp-units per term of all layers'
  // reductions, at the logits' scale (the BN fold adds a rounding per weight).
  size_t terms = 0;
  for (size_t i = 0; i < plan.layers.size(); ++i) terms += reference::reduction_size(plan, i);
  const float scale = std::max(1.0f, expected.abs().max().item<float>());
  const float tolerance = 4.0f * FLT_EPSILON * float(terms) * scale;

  float worst = 0;
  bool same_class = true;
  for (auto make : {make_reference_backend, make_portable_backend, make_xnnpack_backend}) {
    std::unique_ptr<Backend> backend = make();
    if (!backend) continue;  // XNNPACK not compiled in
    s = backend->prepare(plan);
    if (!s.ok()) {
      *report = "backend: " + s.message;
      return false;
    }
    std::vector<float> storage(plan.arena_floats + 16);
    float* arena = storage.data() + ((64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64) / sizeof(float);
    const size_t input_size = plan.shapes[0].size();
    for (int64_t n = 0; n < inputs.size(0); ++n) {
      const torch::Tensor x = inputs[n].contiguous();  // [1,H,W] == HWC with C = 1
      std::copy(x.data_ptr<float>(), x.data_ptr<float>() + input_size, arena + plan.offsets[0]);
      s = backend->run(arena);
      if (!s.ok()) {
        *report = "backend run: " + s.message;
        return false;
      }
      const float* logits = arena + plan.offsets[plan.logits_value()];
      const float* want = expected[n].data_ptr<float>();
      for (int k = 0; k < 2; ++k) worst = std::max(worst, std::fabs(logits[k] - want[k]));
      same_class &= (logits[1] > logits[0]) == (want[1] > want[0]);
    }
  }
  char text[256];
  snprintf(text, sizeof text, "parity core vs LibTorch on %lld inputs: max |dlogit| %.3g (tolerance %.3g), %s",
           static_cast<long long>(inputs.size(0)), double(worst), double(tolerance),
           same_class ? "same class on every input" : "CLASS DIFFERS");
  *report = text;
  return same_class && worst <= tolerance;
}

}  // namespace cxr::train
