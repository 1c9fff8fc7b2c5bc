// Encoding pixels to PNG/JPEG bytes in memory (stb_image_write): the trainer's
// report pictures and generated OOD inputs, and the tests' fixtures. Its own
// library (cxr_image_write), not part of cxr_core: the app never encodes.
#pragma once
#include <cstdint>
#include <vector>

namespace cxr {

// `channels` 1..4, 8-bit samples, rows packed.
std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels);
std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                 int quality = 90);

}  // namespace cxr
