// The portable backend on a chosen target's kernels. make_portable_backend()
// (backend.h) uses the best target; tests use this to check every target the
// CPU runs (natively SSE4 stands in for wasm's SIMD128: same vector width).
#pragma once
#include <memory>

#include "nn/backend.h"
#include "nn/portable_kernels.h"

namespace cxr {

// `kernels` must outlive the backend (the tables are static).
std::unique_ptr<Backend> make_portable_backend(const portable::Kernels& kernels);

}  // namespace cxr
