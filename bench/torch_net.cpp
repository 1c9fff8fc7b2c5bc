#include "torch_net.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "nn/plan.h"

namespace cxr::bench {
namespace {

at::Tensor tensor(const TensorView& v) {
  std::vector<int64_t> dims(v.dims.begin(), v.dims.end());
  return at::from_blob(const_cast<float*>(v.data), dims, at::kFloat).clone();
}

class TorchNet : public PeerNet {
 public:
  explicit TorchNet(Plan plan) : plan_(std::move(plan)) {
    for (const PlannedLayer& l : plan_.layers) {
      const bool conv = l.desc.type == LayerType::conv2d;
      weights_.push_back(l.desc.weight.data ? tensor(l.desc.weight) : at::Tensor());
      if (conv) weights_.back() = weights_.back().permute({0, 3, 1, 2}).contiguous();  // OHWI -> OIHW
      biases_.push_back(l.desc.bias.data ? tensor(l.desc.bias) : at::Tensor());
    }
  }

  void run(const float* input, float* logits) override {
    c10::InferenceMode guard;
    const Shape& in = plan_.shapes[0];
    std::vector<at::Tensor> values(plan_.shapes.size());
    values[0] = at::from_blob(const_cast<float*>(input), {1, in.h, in.w, in.c}, at::kFloat).permute({0, 3, 1, 2});
    for (size_t i = 0; i < plan_.layers.size(); ++i) {
      const LayerDesc& d = plan_.layers[i].desc;
      const at::Tensor& x = values[plan_.layers[i].inputs[0]];
      at::Tensor y;
      switch (d.type) {
        case LayerType::conv2d: {
          // LibTorch pads symmetrically; pad explicitly only where the model does not.
          const bool symmetric = d.pad_top == d.pad_bottom && d.pad_left == d.pad_right;
          const at::Tensor padded =
              symmetric ? x : at::constant_pad_nd(x, {d.pad_left, d.pad_right, d.pad_top, d.pad_bottom});
          y = at::conv2d(padded, weights_[i], biases_[i], {d.stride_h, d.stride_w},
                         {symmetric ? d.pad_top : 0, symmetric ? d.pad_left : 0}, {1, 1}, d.groups);
          break;
        }
        case LayerType::add: y = x + values[plan_.layers[i].inputs[1]]; break;
        case LayerType::global_avg_pool: y = x.mean({2, 3}, /*keepdim=*/true); break;
        case LayerType::dense: y = at::linear(x.permute({0, 2, 3, 1}).reshape({1, -1}), weights_[i], biases_[i]); break;
        case LayerType::softmax: y = at::softmax(x.reshape({1, -1}), 1); break;
        default: break;  // refused in make_torch_net
      }
      if (d.activation == Activation::relu) y = at::relu(y);
      if (d.activation == Activation::relu6) y = at::clamp(y, 0, 6);
      values[i + 1] = y;
    }
    const at::Tensor out = values[plan_.logits_value()].contiguous();
    std::copy(out.data_ptr<float>(), out.data_ptr<float>() + out.numel(), logits);
  }

 private:
  Plan plan_;
  std::vector<at::Tensor> weights_, biases_;
};

}  // namespace

std::unique_ptr<PeerNet> make_torch_net(const Model& model, std::string* why_not) {
  Plan plan;
  const Status s = build_plan(model.layers, model.info.input, &plan);
  if (!s.ok()) {
    *why_not = s.message;
    return nullptr;
  }
  for (const PlannedLayer& l : plan.layers)
    if (l.desc.type == LayerType::max_pool || l.desc.type == LayerType::avg_pool) {
      *why_not = std::string("no LibTorch mapping for ") + layer_type_name(l.desc.type) + " here";
      return nullptr;
    }
  at::set_num_threads(1);
  return std::make_unique<TorchNet>(std::move(plan));
}

}  // namespace cxr::bench
