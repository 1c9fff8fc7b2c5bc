// libFuzzer target: the model reader (header, tensor records, offsets, JSON
// metadata, layer descriptions) and, for a model it accepts, the planner.
// Each input is read twice: as given, and with its CRC-32 trailer rewritten to
// match, so that mutations get past the checksum into the parsing behind it.
// Seeds: cxr_fuzz_seeds (the "tiny" random-weight model, plain and with an
// OOD gate: half-float weights, f32 and scaled-f16 symmetric triangles, format
// versions 1 and 2).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "classify/ood.h"
#include "model/model_file.h"
#include "nn/plan.h"

namespace {

void read_and_plan(const uint8_t* data, size_t size) {
  cxr::Model model;
  cxr::Status s = cxr::read_model(data, size, &model);
  if (!s.ok()) {
    if (s.message.empty()) __builtin_trap();
    return;
  }
  // As the classifier does: the OOD gate's layers kept alive, then its statistics.
  std::vector<std::string> keep;
  s = cxr::ood_feature_layers(model, &keep);
  if (!s.ok()) {
    if (s.message.empty()) __builtin_trap();
    return;
  }
  cxr::Plan plan;
  s = cxr::build_plan(model.layers, model.info.input, &plan, keep);
  if (!s.ok()) {
    if (s.message.empty()) __builtin_trap();
    return;
  }
  cxr::OodStatistics ood;
  s = cxr::read_ood_statistics(model, plan, &ood);
  if (!s.ok() && s.message.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  read_and_plan(data, size);
  if (size < 8) return 0;
  std::vector<uint8_t> fixed(data, data + size);
  const uint32_t crc = cxr::crc32(fixed.data(), size - 4);
  for (int i = 0; i < 4; ++i) fixed[size - 4 + i] = uint8_t(crc >> (8 * i));
  read_and_plan(fixed.data(), fixed.size());
  return 0;
}
