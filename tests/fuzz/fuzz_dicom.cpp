// libFuzzer target: the DICOM reader (element walk, transfer syntaxes,
// encapsulated and RLE frames, pixel pipeline). Each input is read twice: as
// given (Part 10 or a bare dataset, as sniffed) and with a Part 10 preamble in
// front, so that mutations of bare datasets reach the Part 10 path too.
// Seeds: the pydicom fixtures (build/*/tests/dicom-fixtures/*.dcm).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "decode/dicom.h"
#include "decode/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxr::Image image;
  cxr::Status s = cxr::decode_image(data, size, &image);
  if (s.ok() && image.pixels.size() != size_t(image.width) * image.height) __builtin_trap();
  if (!s.ok() && (!image.pixels.empty() || s.message.empty())) __builtin_trap();

  std::vector<uint8_t> part10(132 + size, 0);
  std::memcpy(part10.data() + 128, "DICM", 4);
  if (size) std::memcpy(part10.data() + 132, data, size);
  image = cxr::Image{};
  s = cxr::decode_dicom(part10.data(), part10.size(), &image);
  if (s.ok() && image.pixels.size() != size_t(image.width) * image.height) __builtin_trap();
  return 0;
}
