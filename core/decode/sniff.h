// What a file's bytes are, from its first bytes alone (names are never
// consulted): the formats we read (image.h, sniff_format), and, for a
// refusal, the ones we recognise but do not read (a PDF renamed .jpg, a
// GIF, a Word file, a text file, ...).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/status.h"

namespace cxr::sniff {

inline bool bytes_at(const uint8_t* data, size_t size, size_t offset, const char* magic, size_t length) {
  return size >= offset + length && std::memcmp(data + offset, magic, length) == 0;
}
inline uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
inline uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

// The refusal for bytes sniff_format calls unknown: what they look like, and
// what to choose instead.
Status refuse_unknown(const uint8_t* data, size_t size);

}  // namespace cxr::sniff
