// An inference backend executes a Plan on its arena.
#pragma once
#include <memory>

#include "common/status.h"
#include "nn/plan.h"

namespace cxr {

class Backend {
 public:
  virtual ~Backend() = default;
  // Called once at load: pre-pack weights, create operators, size scratch.
  // `plan` (and the weights it views) must outlive the backend.
  virtual Status prepare(const Plan& plan) = 0;
  // The input is already at arena + plan.offsets[0]; writes every layer's
  // output at its offset. Must not allocate.
  virtual Status run(float* arena) = 0;
  virtual const char* name() const = 0;
};

std::unique_ptr<Backend> make_reference_backend();  // naive loops, for tests
std::unique_ptr<Backend> make_portable_backend();   // Highway kernels
// nullptr where XNNPACK is not compiled in (wasm).
std::unique_ptr<Backend> make_xnnpack_backend();

}  // namespace cxr
