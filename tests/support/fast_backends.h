// The fast backends a test compares with the naive reference: the portable
// backend on every Highway target this CPU runs (SSE4 has wasm SIMD128's
// vector width; in wasm, SIMD128 itself), then XNNPACK where compiled in.
// Header-only, so the trainer's tests use it without the test support library.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/backend.h"
#include "nn/portable_backend.h"

namespace cxr::testing {

struct NamedBackend {
  std::string name;
  std::unique_ptr<Backend> backend;
};

inline std::vector<NamedBackend> fast_backends() {
  std::vector<NamedBackend> backends;
  for (const portable::Kernels* k : portable::all_supported_kernels())
    backends.push_back({std::string("portable/") + k->target, make_portable_backend(*k)});
  if (std::unique_ptr<Backend> x = make_xnnpack_backend()) backends.push_back({"xnnpack", std::move(x)});
  return backends;
}

}  // namespace cxr::testing
