// Model files with random weights, for tests and benchmarks only.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cxr/cxr.h"
#include "support/reference_nets.h"

namespace cxr::testing {

// A complete model file (classes NORMAL/PNEUMONIA, temperature 1, threshold
// 0.5) for a reference architecture with seeded random weights.
std::vector<uint8_t> make_test_model_file(const ReferenceNet& net);
std::vector<uint8_t> make_test_model_file(const std::string& arch, uint32_t seed);

// `model` with an "ood" section naming `layers`; when `means` is given, also
// per layer class means (means(layer index, channels), 2 x channels values),
// identity precisions and `threshold`. `f16_weights` stores the layers'
// weights as half floats.
using OodMeansFor = std::vector<float> (*)(size_t layer, uint32_t channels);
std::vector<uint8_t> with_ood_section(const std::vector<uint8_t>& model, const std::vector<std::string>& layers,
                                      OodMeansFor means = nullptr, double threshold = 1.0, bool f16_weights = false);

struct ClassifierDeleter {
  void operator()(cxr_classifier* c) const { cxr_classifier_destroy(c); }
};
using ClassifierPtr = std::unique_ptr<cxr_classifier, ClassifierDeleter>;
// A classifier from model bytes, or null with the reason on stderr.
ClassifierPtr make_classifier(const std::vector<uint8_t>& model, cxr_backend backend = cxr_backend_portable);

}  // namespace cxr::testing
