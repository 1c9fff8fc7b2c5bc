// Model files with random weights, for tests and benchmarks only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "support/reference_nets.h"

namespace cxr::testing {

// A complete model file (classes NORMAL/PNEUMONIA, temperature 1, threshold
// 0.5) for a reference architecture with seeded random weights.
std::vector<uint8_t> make_test_model_file(const ReferenceNet& net);
std::vector<uint8_t> make_test_model_file(const std::string& arch, uint32_t seed);

}  // namespace cxr::testing
