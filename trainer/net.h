// The trained network as a small graph of ops that map one-to-one onto the
// core's layers: conv (+ batch norm while training, folded at export), add,
// global average pool, dense. LibTorch inside; NCHW with 1 input channel.
#pragma once
#include <torch/torch.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "model/model_file.h"
#include "nn/layers.h"

namespace cxr::train {

struct Op {
  enum Kind { conv, add, gap, dense } kind = conv;
  std::string name;
  std::vector<std::string> inputs;  // op names or "input"; empty: the previous op
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, groups = 1;
  bool relu = false;
};

// "resnet": a 3x3/stride-2 stem, then one ResNet basic block per stage
// (stride 2, 1x1 projection shortcut) at widths w*{1.5,3,6,12}, GAP, dense.
// `width` is the stem's channels.
std::vector<Op> make_architecture(const std::string& name, int width, int blocks_per_stage);

class NetImpl : public torch::nn::Module {
 public:
  NetImpl(std::vector<Op> ops, double dropout);
  torch::Tensor forward(const torch::Tensor& input);  // [N,1,H,W] -> logits [N,2]
  const std::vector<Op>& ops() const { return ops_; }
  size_t parameter_count();

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
