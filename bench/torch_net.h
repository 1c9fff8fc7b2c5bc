// The model file's layers run by LibTorch (ATen ops, NCHW, one thread): the
// native peer of issue 6. make_torch_net returns nullptr, with a reason, where
// LibTorch is not built in or a layer has no LibTorch counterpart here.
#pragma once
#include <memory>
#include <string>

#include "model/model_file.h"

namespace cxr::bench {

class PeerNet {
 public:
  virtual ~PeerNet() = default;
  // input: the network input, HWC; logits: the logits layer's outputs.
  virtual void run(const float* input, float* logits) = 0;
};

// `model` must outlive the net.
std::unique_ptr<PeerNet> make_torch_net(const Model& model, std::string* why_not);

}  // namespace cxr::bench
