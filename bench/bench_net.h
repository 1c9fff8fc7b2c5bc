// The core's network alone, for the side-by-side benchmark: model bytes ->
// plan -> one backend, and an input tensor -> logits. The native bench and the
// bench wasm module (net_wasm.cpp) both use it, so that every peer is timed on
// exactly what they compute: the preprocessed tensor in, the logits out.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/model_file.h"
#include "nn/backend.h"
#include "nn/plan.h"

namespace cxr::bench {

class BenchNet {
 public:
  // `backend` from backend.h (make_portable_backend, make_xnnpack_backend).
  Status load(const uint8_t* model_bytes, size_t size, std::unique_ptr<Backend> backend);
  float* input() { return arena_ + plan_.offsets[0]; }
  size_t input_size() const { return plan_.shapes[0].size(); }
  Status run() { return backend_->run(arena_); }
  const float* logits() const { return arena_ + plan_.offsets[plan_.logits_value()]; }
  size_t num_logits() const { return plan_.shapes[plan_.logits_value()].size(); }
  const Model& model() const { return model_; }
  // Where the time goes, for the portable backend only: a table of every
  // layer's median wall time over `runs` runs (after one warm-up) with its
  // output shape, share of the total and multiply-adds per ns.
  std::string profile_table(int runs);

 private:
  Model model_;
  Plan plan_;
  std::unique_ptr<Backend> backend_;
  std::vector<float> storage_;
  float* arena_ = nullptr;
};

// Decodes an image and preprocesses it with the model's spec, as cxr_classify does.
Status preprocess_image(const uint8_t* bytes, size_t size, const Model& model, std::vector<float>* out);

}  // namespace cxr::bench
