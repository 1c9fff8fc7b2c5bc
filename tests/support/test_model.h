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

struct ClassifierDeleter {
  void operator()(cxr_classifier* c) const { cxr_classifier_destroy(c); }
};
using ClassifierPtr = std::unique_ptr<cxr_classifier, ClassifierDeleter>;
// A classifier from model bytes, or null with the reason on stderr.
ClassifierPtr make_classifier(const std::vector<uint8_t>& model, cxr_backend backend = cxr_backend_portable);

}  // namespace cxr::testing
