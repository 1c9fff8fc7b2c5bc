// Reference architectures with seeded random weights, for tests, the bench and
// the test-model tool. Weights are He-initialised so activations stay in a
// sane range through depth.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "preprocess/preprocess.h"

namespace cxr::testing {

struct NetTensor {
  std::string name;
  std::vector<uint32_t> dims;
  std::vector<float> values;
};

struct ReferenceNet {
  std::string arch;
  Shape input;
  PreprocessSpec preprocess;
  std::vector<LayerDesc> layers;  // weight/bias views point into `tensors`
  std::deque<NetTensor> tensors;  // stable addresses; moving keeps them valid

  ReferenceNet() = default;
  ReferenceNet(ReferenceNet&&) = default;
  ReferenceNet& operator=(ReferenceNet&&) = default;
  ReferenceNet(const ReferenceNet&) = delete;
  ReferenceNet& operator=(const ReferenceNet&) = delete;
};

// "study_cnn": the origin study's CNN at 64x64x3 (conv32-pool-conv64-pool-dense64-dense2).
// "resnet18":  a ResNet-18-like net at 224x224x1 with a GAP+dense head (CAM-capable).
// "tiny":      a few conv (one with Keras' asymmetric stride-2 padding)/depthwise/
//              pool/residual layers at 32x32x1 with GAP+dense,
//              quick enough for exhaustive tests.
// Returns an empty net (no layers) for an unknown name.
ReferenceNet make_reference_net(const std::string& arch, uint32_t seed);
std::vector<std::string> reference_net_names();

}  // namespace cxr::testing
