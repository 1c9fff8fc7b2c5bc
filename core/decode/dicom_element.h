// DICOM at the level of one element: tags, element headers, value readers
// and the refusals every reader of the structure shares. Used by the walk
// (dicom_parse.cpp) and the frame extraction (dicom_frames.cpp). Not part of
// the core's interface.
#pragma once
#include <cstddef>
#include <cstdint>

#include "decode/dicom_internal.h"

namespace cxr::dicom {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;

constexpr uint32_t tag(uint32_t group, uint32_t element) { return group << 16 | element; }
constexpr uint32_t kItem = tag(0xFFFE, 0xE000);
constexpr uint32_t kItemDelimiter = tag(0xFFFE, 0xE00D);
constexpr uint32_t kSequenceDelimiter = tag(0xFFFE, 0xE0DD);
constexpr uint32_t kPixelData = tag(0x7FE0, 0x0010);

inline uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
inline uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

inline bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
// One of the VRs of PS3.5 6.2.
bool known_vr(uint8_t a, uint8_t b);

struct Header {
  uint32_t tag = 0;
  char vr[2] = {0, 0};  // {0, 0}: implicit (or an item/delimiter)
  uint32_t length = 0;
  size_t value = 0;  // offset of the value
};

// One element header at pos. Items and delimiters have no VR; an explicit
// header with an unknown VR is read as implicit (some writers mix them).
bool read_header(const uint8_t* d, size_t size, size_t pos, bool implicit, Header* h);

inline bool vr_is(const Header& h, const char* vr) { return h.vr[0] == vr[0] && h.vr[1] == vr[1]; }

// cxr_status_corrupt_input with what is wrong and what to do about it.
Status corrupt(const char* what);
Status truncated_file();    // the file ends inside its header
Status truncated_pixels();  // the file ends before the image does

}  // namespace cxr::dicom
