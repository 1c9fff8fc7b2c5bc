// The trained network (trainer/architecture.h's ops) in LibTorch: NCHW with
// 1 input channel, a batch norm after every conv while training (folded at
// export).
#pragma once
#include <torch/torch.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "model/model_file.h"
#include "nn/layers.h"
#include "trainer/architecture.h"
#include "trainer/pretrained.h"

namespace cxr::train {

// LibTorch on one thread (intra- and inter-op), once per process: one thread
// beats two on these shared 2-core machines.
void set_single_thread();

class NetImpl : public torch::nn::Module {
 public:
  NetImpl(std::vector<Op> ops, double dropout);
  torch::Tensor forward(const torch::Tensor& input);  // [N,1,H,W] -> logits [N,2]
  // Also hands back the feature map the global average pool reads ([N,C,h,w]).
  torch::Tensor forward(const torch::Tensor& input, torch::Tensor* features);
  // Per film, the share of the class-activation evidence that lies in the
  // feature map's outer frame: sum over frame cells of e^2 / sum over all
  // cells of e^2, where e = (w_PNEUMONIA - w_NORMAL) . features is the cell's
  // contribution to the logit margin (the CAM of the decision). Cells count as
  // frame when their centre lies in the outer `frame` fraction of each side,
  // the region `cxr-train shortcuts` measures. [N], differentiable.
  torch::Tensor frame_evidence_share(const torch::Tensor& features, double frame);
  const std::vector<Op>& ops() const { return ops_; }
  size_t parameter_count();
  // Every conv and batch norm from pretrained weights (the dense head keeps
  // its random initialisation); refuses a checkpoint that does not fit.
  Status load_pretrained(const PretrainedWeights& weights);
  // The parameters of the dense head (for a learning rate of its own).
  std::vector<torch::Tensor> head_parameters();

 private:
  std::vector<Op> ops_;
  std::map<std::string, torch::nn::Conv2d> convs_;
  std::map<std::string, torch::nn::BatchNorm2d> norms_;
  std::map<std::string, torch::nn::Linear> denses_;
  torch::nn::Dropout dropout_{nullptr};
  friend struct ExportedNet;
};
TORCH_MODULE(Net);

// The core's layer list with batch norm folded into each conv
// (w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps)),
// conv weights OHWI, dense [units][in].
struct ExportedNet {
  std::vector<LayerDesc> layers;     // views into `storage`
  std::deque<TensorRecord> storage;  // stable addresses
  static void build(NetImpl& net, ExportedNet* out);
};

// Runs the exported model bytes through the core (read_model, build_plan, the
// reference, portable and, natively, XNNPACK backends) and LibTorch's eval-mode forward (batch
// norm not folded) on the same normalised inputs [N,1,H,W]; checks every logit
// within a tolerance derived from the summed reduction sizes and the same
// argmax on every input. Fills a one-line report.
bool check_parity(NetImpl& net, const std::vector<uint8_t>& model_bytes, const torch::Tensor& inputs,
                  std::string* report);

}  // namespace cxr::train
