// The shared pretrained MobileNetV2-0.35 as core layers, for the tests that
// check the core against itself (test_pretrained.cpp) and against TF.js
// (cxr_pretrained_features, tests/wasm/mobilenet_golden.test.mjs).
#pragma once
#include <deque>
#include <string>
#include <vector>

#include "model/model_file.h"
#include "nn/plan.h"
#include "trainer/pretrained.h"

namespace cxr::train {

// $CXR_PRETRAINED_DIR, else the folder CMake found beside the checkout
// (../shared/pretrained/mobilenet_v2_0.35_imagenet); "" when it has no model.json.
std::string pretrained_test_dir();

// The backbone with its batch norms folded and a random 2-class head
// (seed 1), as `cxr-train pretrained-model` writes it. Views point into storage.
struct PretrainedNet {
  std::vector<LayerDesc> layers;
  std::deque<TensorRecord> storage;
};
Status make_pretrained_net(const PretrainedWeights& weights, PretrainedNet* out);

// The bug this project must not have: the stride-2 layers padded 1 on every
// side (PyTorch's padding=1) instead of Keras' 0 before / 1 after. Same shapes,
// other numbers: the negative control of the parity and golden tests.
void pad_stride2_symmetrically(std::vector<LayerDesc>* layers);

// Value id of the layer named `name` in `plan`; 0 (the input) when absent.
size_t value_of(const Plan& plan, const std::string& name);

}  // namespace cxr::train
