// ImageNet-pretrained weights for the trainer's architectures, read from the
// TF.js "layers" export in ../shared/pretrained/mobilenet_v2_0.35_imagenet/
// (model.json: topology + weightsManifest; weights.bin: float32 little-endian
// tensors concatenated in manifest order). Plain C++: the trainer initialises
// LibTorch modules from it, and the tests build whole core networks from it.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/model_file.h"
#include "trainer/architecture.h"

namespace cxr::train {

struct PretrainedTensor {
  std::vector<uint32_t> shape;  // as the manifest gives it (Keras: HWIO, depthwise [kh,kw,C,1])
  std::vector<float> values;
};

struct PretrainedWeights {
  std::map<std::string, PretrainedTensor> tensors;  // by manifest name, e.g. "Conv1/kernel"
  std::string source;                               // folder and checksums, for the model's provenance
};

// The checkpoint the project was built on (its README gives provenance and
// licence); any other bytes are refused.
constexpr const char kMobilenetV2ModelJsonSha256[] = "d29e363b274ab0992ed63353e0d2d9aa9da2a906627089d175eff05f0b39059d";
constexpr const char kMobilenetV2WeightsSha256[] = "bbf22382808a66c17b162ca26f8c11c992f5f304a1ac91b0376573d58c0bc07b";

// Reads DIR/model.json and DIR/weights.bin after checking both files'
// SHA-256; a missing, truncated or altered file is refused with a sentence
// that names it and says what to do.
Status read_pretrained(const std::string& dir, PretrainedWeights* out);

// A conv op's pretrained weights, in the core's layout: weight OHWI
// [out][kh][kw][in/groups] (a first conv with one input channel gets the
// RGB kernel summed over its three input channels: a gray image is R = G = B),
// and its batch norm's four vectors. Refuses a missing tensor or a shape that
// is not the op's.
struct PretrainedConv {
  std::vector<float> weight, gamma, beta, mean, variance;
};
Status pretrained_conv(const PretrainedWeights& weights, const Op& op, PretrainedConv* out);

// The whole network as core layers with every batch norm folded into its conv
// (w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps))
// and a dense head drawn at random from `head_seed` (uniform +-1/sqrt(in), like
// a fresh linear layer): what the core runs before any fine-tuning. Views
// point into `storage`.
Status pretrained_layers(const std::vector<Op>& ops, const PretrainedWeights& weights, uint64_t head_seed,
                         std::vector<LayerDesc>* layers, std::deque<TensorRecord>* storage);

}  // namespace cxr::train
