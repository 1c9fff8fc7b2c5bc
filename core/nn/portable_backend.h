// The portable backend on a chosen target's kernels. make_portable_backend()
// (backend.h) uses the best target; tests use this to check every target the
// CPU runs (natively SSE4 stands in for wasm's SIMD128: same vector width).
#pragma once
#include <memory>
#include <vector>

#include "nn/backend.h"
#include "nn/portable_kernels.h"

namespace cxr {

// `kernels` must outlive the backend (the tables are static).
std::unique_ptr<Backend> make_portable_backend(const portable::Kernels& kernels);

// For profiling (bench/): runs a prepared portable backend once like run(),
// and sets layer_ms[i] to the wall time of plan layer i. Refuses other backends.
Status run_timed(Backend& portable_backend, float* arena, std::vector<double>* layer_ms);

}  // namespace cxr
