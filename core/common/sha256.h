// SHA-256 (FIPS 180-4), to check that files read from outside the project
// (pretrained weights) are byte for byte the ones the project was built on, and
// to name the films a site calibration was measured on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace cxr {

// Lower-case hex digest of `size` bytes.
std::string sha256_hex(const uint8_t* data, size_t size);

}  // namespace cxr
