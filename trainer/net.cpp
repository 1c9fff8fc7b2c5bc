#include "trainer/net.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <memory>

#include "nn/backend.h"
#include "nn/plan.h"
#include "nn/reference.h"

namespace cxr::train {

std::vector<Op> make_architecture(const std::string& name, int width, int blocks_per_stage) {
  std::vector<Op> ops;
  if (name != "resnet") return ops;
  auto conv = [&](const std::string& n, std::string from, int in, int out, int k, int stride, bool relu) {
    Op op;
    op.kind = Op::conv;
    op.name = n;
    if (!from.empty()) op.inputs = {from};
    op.in_channels = in, op.out_channels = out, op.kernel = k, op.stride = stride, op.relu = relu;
    ops.push_back(op);
    return n;
  };
  std::string last = conv("stem", "input", 1, width, 3, 2, true);
  int channels = width;
  const int stage_widths[] = {width * 3 / 2, width * 3, width * 6, width * 12};
  for (int stage = 0; stage < 4; ++stage)
    for (int block = 0; block < blocks_per_stage; ++block) {
      const std::string b = "s" + std::to_string(stage + 1) + "b" + std::to_string(block + 1);
      const int out = stage_widths[stage], stride = block == 0 ? 2 : 1;
      const std::string shortcut = stride == 1 && channels == out ? last : conv(b + "_down", last, channels, out, 1, stride, false);
      conv(b + "_a", last, channels, out, 3, stride, true);
      const std::string branch = conv(b + "_b", "", out, out, 3, 1, false);
      Op add;
      add.kind = Op::add, add.name = b, add.inputs = {shortcut, branch}, add.relu = true;
      ops.push_back(add);
      last = b, channels = out;
    }
  Op gap;
  gap.kind = Op::gap, gap.name = "gap";
  ops.push_back(gap);
  Op dense;
  dense.kind = Op::dense, dense.name = "logits", dense.in_channels = channels, dense.out_channels = 2;
  ops.push_back(dense);
  return ops;
}

NetImpl::NetImpl(std::vector<Op> ops, double dropout) : ops_(std::move(ops)) {
  for (const Op& op : ops_) {
    if (op.kind == Op::conv) {
      auto options = torch::nn::Conv2dOptions(op.in_channels, op.out_channels, op.kernel)
                         .stride(op.stride).padding(op.kernel / 2).groups(op.groups).bias(false);
      convs_.emplace(op.name, register_module(op.name, torch::nn::Conv2d(options)));
      auto norm = register_module(op.name + "_bn", torch::nn::BatchNorm2d(op.out_channels));
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

torch::Tensor NetImpl::forward(const torch::Tensor& input) {
  std::map<std::string, torch::Tensor> values{{"input", input}};
  torch::Tensor x = input;
  for (const Op& op : ops_) {
    const torch::Tensor in = op.inputs.empty() ? x : values.at(op.inputs[0]);
    switch (op.kind) {
      case Op::conv:
        x = norms_.at(op.name)(convs_.at(op.name)(in));
        if (op.relu) x = torch::relu(x);
        break;
      case Op::add:
        x = values.at(op.inputs[0]) + values.at(op.inputs[1]);
        if (op.relu) x = torch::relu(x);
        break;
      case Op::gap:
        x = in.mean({2, 3});
        break;
      case Op::dense:
        x = denses_.at(op.name)(dropout_(in));
        break;
    }
    values[op.name] = x;
  }
  return x;
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
    LayerDesc l;
    l.name = op.name;
    l.inputs = op.inputs;
    if (op.kind != Op::add && l.inputs.size() == 1 && l.inputs[0] == previous) l.inputs.clear();
    l.activation = op.relu ? Activation::relu : Activation::none;
    if (op.kind == Op::conv) {
      const auto& norm = net.norms_.at(op.name);
      const torch::Tensor scale = norm->weight / torch::sqrt(norm->running_var + norm->options.eps());
      const torch::Tensor weight = net.convs_.at(op.name)->weight * scale.view({-1, 1, 1, 1});
      l.type = LayerType::conv2d;
      l.kernel_h = l.kernel_w = uint32_t(op.kernel);
      l.stride_h = l.stride_w = uint32_t(op.stride);
      l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = uint32_t(op.kernel / 2);
      l.groups = uint32_t(op.groups);
      l.out_channels = uint32_t(op.out_channels);
      l.weight = store(out, op.name + ".weight", weight.permute({0, 2, 3, 1}));  // OIHW -> OHWI
      l.bias = store(out, op.name + ".bias", norm->bias - norm->running_mean * scale);
    } else if (op.kind == Op::add) {
      l.type = LayerType::add;
    } else if (op.kind == Op::gap) {
      l.type = LayerType::global_avg_pool;
    } else {
      const auto& dense = net.denses_.at(op.name);
      l.type = LayerType::dense;
      l.out_channels = uint32_t(op.out_channels);
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
  if (!s.ok()) return *report = "the core refused the exported model: " + s.message, false;

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
    if (!s.ok()) return *report = "backend: " + s.message, false;
    std::vector<float> storage(plan.arena_floats + 16);
    float* arena = storage.data() + ((64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64) / sizeof(float);
    const size_t input_size = plan.shapes[0].size();
    for (int64_t n = 0; n < inputs.size(0); ++n) {
      const torch::Tensor x = inputs[n].contiguous();  // [1,H,W] == HWC with C = 1
      std::copy(x.data_ptr<float>(), x.data_ptr<float>() + input_size, arena + plan.offsets[0]);
      s = backend->run(arena);
      if (!s.ok()) return *report = "backend run: " + s.message, false;
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
