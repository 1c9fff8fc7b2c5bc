// Our own parse of a PNG's or JPEG's header, before stb_image sees the file:
// its size (refused over the limits without decoding), whether the file ends
// early, and, for JPEG, the guard against fields stb_image 2.27 trusts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cxr::header_check {

// What we learn from the header without decoding anything.
struct HeaderFacts {
  bool has_size = false;
  uint32_t width = 0, height = 0;
  bool truncated = false;             // the file ends before the image data does
  const char* unsupported = nullptr;  // a variant stb cannot decode, named for the user
};

// stb_image 2.27 trusts some JPEG fields that later releases check; each one
// below reaches out-of-bounds memory in 2.27 (nothings/stb #1289 and the
// 2.28 fixes), so the walk refuses them before stb sees the file.
struct JpegWalk {
  HeaderFacts facts;
  const char* damage = nullptr;  // why the file cannot be decoded safely
  bool have_sof = false, progressive = false, dc_defined[4] = {}, ac_defined[4] = {};
  // The frame's components (id, sampling factors), for the scan-length check.
  struct Component {
    uint8_t id;
    uint32_t h, v;
  };
  std::vector<Component> components;
  uint32_t h_max = 1, v_max = 1;
};

HeaderFacts read_png_facts(const uint8_t* data, size_t size);
// JPEG: every marker segment, as stb reads them (header_check.cpp).
JpegWalk walk_jpeg(const uint8_t* data, size_t size);

}  // namespace cxr::header_check
