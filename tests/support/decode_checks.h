// GoogleTest checks shared by the decoder's tests (test_decode*.cpp): decode
// and expect success or a refusal with advice, and synthetic gray content.
#pragma once
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "decode/image.h"
#include "support/image_bytes.h"

namespace cxr::testing {

inline Image decode_ok(const Bytes& bytes) {
  Image image;
  const Status status = decode_image(bytes.data(), bytes.size(), &image);
  EXPECT_TRUE(status.ok()) << status.message;
  return image;
}

inline Status decode_status(const Bytes& bytes) {
  Image image;
  return decode_image(bytes.data(), bytes.size(), &image);
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A refusal is a sentence with advice, never stb's terse reason alone.
inline void expect_refusal(const Status& status, cxr_status code, const std::string& must_mention) {
  EXPECT_EQ(status.code, code) << status.message;
  EXPECT_TRUE(contains(status.message, must_mention)) << status.message;
  EXPECT_TRUE(contains(status.message, "; ")) << "no advice in: " << status.message;
}

inline Bytes random_bytes(size_t n, std::mt19937& rng) {
  Bytes out(n);
  for (uint8_t& b : out) b = uint8_t(rng());
  return out;
}

// DC coefficients for make_flat_block_jpeg.
inline std::vector<int> random_block_dcs(size_t blocks, std::mt19937& rng) {
  std::uniform_int_distribution<int> dc(-1000, 1000);  // odd values exercise the refinement bit
  std::vector<int> out(blocks);
  for (int& v : out) v = dc(rng);
  return out;
}

// Smooth gray content replicated into `channels` (alpha, if any, random).
inline Bytes gray_content(int width, int height, int channels, std::mt19937& rng) {
  Bytes out;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const uint8_t v = uint8_t((x * 255) / (width - 1) / 2 + (y * 255) / (height - 1) / 2);
      for (int c = 0; c < channels; ++c) out.push_back(c == 3 || (c == 1 && channels == 2) ? uint8_t(rng()) : v);
    }
  return out;
}

inline void expect_gray_image(const Image& image, uint32_t width, uint32_t height, uint32_t source_channels) {
  EXPECT_EQ(image.width, width);
  EXPECT_EQ(image.height, height);
  EXPECT_EQ(image.source_channels, source_channels);
  EXPECT_FALSE(image.color_content);
  EXPECT_TRUE(image.warnings.empty());
}

}  // namespace cxr::testing
