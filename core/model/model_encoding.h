// Internal to core/model/: what the reader and the writer of the model file
// (model_file.h) agree on beyond the public declarations.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace cxr {

constexpr size_t kModelHeaderBytes = 16, kModelTrailerBytes = 4, kModelDataAlign = 64;

// cxr_status_invalid_model with "invalid model file: <why>; re-download or re-export the model".
Status bad_model(const std::string& why);

// How a tensor's dtype stores it: bytes per element, whether only the upper
// triangle of a square matrix is stored, and whether a scale precedes it.
struct Encoding {
  uint32_t element_bytes;
  bool triangle, scaled;
};
Encoding encoding_of(uint32_t dtype);

}  // namespace cxr
