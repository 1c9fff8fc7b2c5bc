// CRC-32 (IEEE 802.3, the zlib/PNG polynomial): the model file's checksum.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cxr {

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace cxr
