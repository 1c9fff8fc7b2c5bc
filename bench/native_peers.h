#pragma once
#include <string>
#include <vector>

namespace cxr::bench {

// Prints the native side-by-side table for the model file at `model_path`,
// comparing outputs on `films` and timing the first. Returns 0 on success.
int bench_native_peers(const std::string& model_path, const std::vector<std::string>& films, int runs);

}  // namespace cxr::bench
