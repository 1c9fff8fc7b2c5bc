// libFuzzer target: the whole public classify path (cxr_classify: sniff,
// decode, preprocess, network, calibration, class activation map) on one
// classifier, reused across inputs as the CLI and the browser reuse theirs.
// The model is the "tiny" random-weight reference net (32x32 input, equalised,
// per-image normalised), built in memory. Seeds: cxr_fuzz_seeds + DICOM fixtures.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cxr/cxr.h"
#include "support/test_model.h"

namespace {

cxr_classifier* classifier() {
  static cxr_classifier* c = [] {
    const std::vector<uint8_t> model = cxr::testing::make_test_model_file("tiny", 5);
    cxr_error error{};
    cxr_classifier* made = cxr_classifier_create(model.data(), model.size(), cxr_backend_portable, &error);
    if (!made) __builtin_trap();
    return made;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxr_classify_options options{};
  options.want_heatmap = size & 1;
  cxr_result result;
  cxr_error error;
  std::memset(&result, 0xA5, sizeof result);
  const cxr_status status = cxr_classify(classifier(), data, size, &options, &result, &error);
  if (status != error.status) __builtin_trap();
  if (status != cxr_status_ok) {
    if (error.message[0] == '\0' || result.num_classes != 0) __builtin_trap();
    return 0;
  }
  if (result.num_classes != 2 || result.decision_class >= 2 || result.predicted_class >= 2) __builtin_trap();
  float sum = 0;
  for (uint32_t i = 0; i < result.num_classes; ++i) {
    const float p = result.probabilities[i];
    if (!(p >= 0.0f && p <= 1.0f)) __builtin_trap();
    sum += p;
  }
  if (std::fabs(sum - 1.0f) > 1e-4f) __builtin_trap();
  if (result.heatmap) {
    for (size_t i = 0; i < size_t(result.heatmap_width) * result.heatmap_height; ++i)
      if (!(result.heatmap[i] >= 0.0f && result.heatmap[i] <= 1.0f)) __builtin_trap();
  }
  for (uint32_t i = 0; i < result.num_warnings; ++i)
    if (!result.warnings[i] || std::strlen(result.warnings[i]) == 0) __builtin_trap();
  return 0;
}
