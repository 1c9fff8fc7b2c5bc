// A decoded film: one gray channel, 8- or 16-bit samples kept as decoded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace cxr {

enum class ImageFormat { unknown, jpeg, png, dicom };

struct Image {
  uint32_t width = 0, height = 0;
  uint32_t bit_depth = 8;        // 8 or 16: what the file stored
  uint32_t max_value = 255;      // white: 255 for 8-bit, 65535 for 16-bit
  std::vector<uint16_t> pixels;  // row-major, width*height gray samples
  ImageFormat format = ImageFormat::unknown;
  uint32_t source_channels = 1;       // channels in the file before conversion to gray
  bool color_content = false;         // the file had visibly coloured pixels (not gray in RGB)
  std::vector<std::string> warnings;  // user-facing, e.g. "colour image converted to gray"
  // DICOM: the patient's age in years as the file states it (Patient's Age,
  // else Birth Date to the study's date); -1 when unknown. Compared with the
  // model's intended range (classify/scope.h), never shown.
  double patient_age_years = -1;
};

// Format from magic bytes (never the file name). For non-images, `what` names
// what it looks like ("PDF document", "ZIP archive", "GIF image", ...), else "".
ImageFormat sniff_format(const uint8_t* data, size_t size, std::string* what);

// Decodes JPEG (baseline, progressive), PNG (8/16-bit gray, RGB, RGBA,
// palette) or DICOM (dicom.h: always 16-bit after its display pipeline) to
// gray. Dimensions are checked against CXR_MAX_IMAGE_SIDE and
// CXR_MAX_IMAGE_PIXELS from the header before any pixel is decoded.
// Never aborts on hostile input.
Status decode_image(const uint8_t* data, size_t size, Image* out);

}  // namespace cxr
