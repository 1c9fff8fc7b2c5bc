// libFuzzer target: the site calibration record's reader (a file a user
// imports, so hostile bytes). Whatever it accepts must write back and read
// again to the same text (one definition of the schema, no drift), and every
// refusal must say why. Seeds: cxr_fuzz_seeds (a valid record, with and
// without temperature).
#include <cstddef>
#include <cstdint>
#include <string>

#include "calibrate/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxr::calibrate::SiteRecord record, again;
  const cxr::Status s = cxr::calibrate::parse_record(std::string(reinterpret_cast<const char*>(data), size), &record);
  if (!s.ok()) {
    if (s.message.empty()) __builtin_trap();
    return 0;
  }
  const std::string written = cxr::calibrate::write_record(record);
  if (!cxr::calibrate::parse_record(written, &again).ok()) __builtin_trap();
  if (cxr::calibrate::write_record(again) != written) __builtin_trap();
  (void)cxr::calibrate::label(record);
  return 0;
}
