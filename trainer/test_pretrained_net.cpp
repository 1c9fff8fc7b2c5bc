#include "trainer/test_pretrained_net.h"

#include <cstdlib>
#include <fstream>

namespace cxr::train {

std::string pretrained_test_dir() {
  const char* env = std::getenv("CXR_PRETRAINED_DIR");
  const std::string dir = env && *env ? env : CXR_PRETRAINED_DIR;
  return std::ifstream(dir + "/model.json").good() ? dir : "";
}

Status make_pretrained_net(const PretrainedWeights& weights, PretrainedNet* out) {
  return pretrained_layers(make_architecture("mobilenet_v2_035", 0, 0), weights, /*head_seed=*/1, &out->layers,
                           &out->storage);
}

void pad_stride2_symmetrically(std::vector<LayerDesc>* layers) {
  for (LayerDesc& l : *layers)
    if (l.type == LayerType::conv2d && l.stride_h == 2) l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
}

size_t value_of(const Plan& plan, const std::string& name) {
  for (const PlannedLayer& l : plan.layers)
    if (l.desc.name == name) return l.output;
  return 0;
}

}  // namespace cxr::train
