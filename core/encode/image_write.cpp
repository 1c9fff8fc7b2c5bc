#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image_write.h"  // /usr/include/stb (in wasm, /usr/include itself is off the path)

#include "encode/image_write.h"

namespace cxr {
namespace {
void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}
}  // namespace

std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  std::vector<uint8_t> out;
  stbi_write_png_to_func(append, &out, width, height, channels, pixels.data(), width * channels);
  return out;
}

std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels, int quality) {
  std::vector<uint8_t> out;
  stbi_write_jpg_to_func(append, &out, width, height, channels, pixels.data(), quality);
  return out;
}

}  // namespace cxr
