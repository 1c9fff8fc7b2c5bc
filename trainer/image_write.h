// Encoding pixels to PNG/JPEG bytes in memory (stb_image_write), for the
// report's pictures and the OOD benchmark's generated inputs.
#pragma once
#include <cstdint>
#include <vector>

namespace cxr::train {

// `channels` 1..4, 8-bit samples, rows packed.
std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels);
std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                 int quality = 90);

}  // namespace cxr::train
