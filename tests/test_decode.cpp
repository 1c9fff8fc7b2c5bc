// core/decode: formats, bit depths, colour detection, reuse of the output,
// real films. Refusals (limits, truncation, damage, non-images) are in
// test_decode_refusals.cpp; the PNG/JPEG files stb_image_write cannot make are
// built byte by byte in support/image_bytes.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "decode/image.h"
#include "support/decode_checks.h"
#include "support/image_bytes.h"
#include "support/test_data.h"

namespace cxr {
namespace {

using namespace testing;  // cxr::testing: the byte builders and the checks

double bt601(double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; }

void expect_luma_of_rgb(const Image& image, const Bytes& samples, int channels, double levels_of_tolerance) {
  ASSERT_EQ(image.pixels.size() * channels, samples.size());
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    const uint8_t* p = &samples[i * channels];
    ASSERT_NEAR(image.pixels[i], bt601(p[0], p[1], p[2]), levels_of_tolerance) << "pixel " << i;
  }
}

// ---------------------------------------------------------------- PNG

TEST(Decode, PngGrayRgbRgbaAndGrayAlphaWithGrayContentAreExact) {
  std::mt19937 rng(testing::test_seed());
  for (int channels = 1; channels <= 4; ++channels) {
    SCOPED_TRACE(::testing::Message() << channels << " channels");
    const Bytes samples = gray_content(37, 23, channels, rng);
    const Image image = decode_ok(testing::encode_png(samples, 37, 23, channels));
    expect_gray_image(image, 37, 23, uint32_t(channels));
    EXPECT_EQ(image.format, ImageFormat::png);
    EXPECT_EQ(image.bit_depth, 8u);
    EXPECT_EQ(image.max_value, 255u);
    for (size_t i = 0; i < image.pixels.size(); ++i) ASSERT_EQ(image.pixels[i], samples[i * channels]);
  }
}

TEST(Decode, ColouredRgbAndRgbaBecomeLumaWithAWarning) {
  std::mt19937 rng(testing::test_seed());
  for (int channels : {3, 4}) {
    const Bytes samples = random_bytes(20 * 10 * size_t(channels), rng);
    const Image image = decode_ok(testing::encode_png(samples, 20, 10, channels));
    EXPECT_TRUE(image.color_content);
    ASSERT_EQ(image.warnings.size(), 1u);
    EXPECT_EQ(image.warnings[0], "colour image converted to gray");
    expect_luma_of_rgb(image, samples, channels, 1.0);  // alpha ignored
  }
}

TEST(Decode, SlightChannelNoiseIsNotColour) {
  std::mt19937 rng(testing::test_seed());
  Bytes samples = gray_content(16, 16, 3, rng);
  for (size_t i = 0; i < samples.size(); i += 3) samples[i] = uint8_t(std::min(255, samples[i] + 3));
  EXPECT_FALSE(decode_ok(testing::encode_png(samples, 16, 16, 3)).color_content);
}

TEST(Decode, PalettePngMapsEntriesToGray) {
  const Bytes gray_palette = {0, 0, 0, 100, 100, 100, 255, 255, 255};
  const Bytes indices = {0, 1, 2, 1, 2, 1, 0, 0};
  const Image gray = decode_ok(make_png(4, 2, 8, 3, indices, gray_palette));
  expect_gray_image(gray, 4, 2, 3);
  EXPECT_EQ(gray.pixels, (std::vector<uint16_t>{0, 100, 255, 100, 255, 100, 0, 0}));

  const Bytes colour_palette = {255, 0, 0, 0, 0, 255, 40, 40, 40};
  const Image colour = decode_ok(make_png(4, 2, 8, 3, indices, colour_palette));
  EXPECT_TRUE(colour.color_content);
  EXPECT_NEAR(colour.pixels[0], bt601(255, 0, 0), 1.0);
  EXPECT_NEAR(colour.pixels[1], bt601(0, 0, 255), 1.0);
  EXPECT_EQ(colour.pixels[2], 40);
}

TEST(Decode, SixteenBitGrayPngKeepsEveryValue) {
  const std::vector<uint16_t> values = {0, 1, 255, 256, 257, 12345, 40000, 65534, 65535, 4095};
  const Image image = decode_ok(make_png(5, 2, 16, 0, big_endian_16(values)));
  expect_gray_image(image, 5, 2, 1);
  EXPECT_EQ(image.bit_depth, 16u);
  EXPECT_EQ(image.max_value, 65535u);
  EXPECT_EQ(image.pixels, values);
}

TEST(Decode, SixteenBitRgbPngBecomesSixteenBitLuma) {
  const std::vector<uint16_t> rgb = {65535, 0, 0, 1000, 1000, 1000, 0, 30000, 65535, 65535, 65535, 65535};
  const Image image = decode_ok(make_png(2, 2, 16, 2, big_endian_16(rgb)));
  EXPECT_EQ(image.bit_depth, 16u);
  EXPECT_TRUE(image.color_content);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(image.pixels[i], bt601(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]), 256.0) << i;
  EXPECT_EQ(image.pixels[1], 1000);
  EXPECT_EQ(image.pixels[3], 65535);
}

// ---------------------------------------------------------------- JPEG

TEST(Decode, BaselineJpegDecodesWithinAFewLevels) {
  std::mt19937 rng(testing::test_seed());
  const Bytes samples = gray_content(64, 48, 3, rng);
  const Image image = decode_ok(testing::encode_jpeg(samples, 64, 48, 3, 95));
  expect_gray_image(image, 64, 48, 3);  // stb_image_write stores YCbCr
  EXPECT_EQ(image.format, ImageFormat::jpeg);
  EXPECT_EQ(image.bit_depth, 8u);
  for (size_t i = 0; i < image.pixels.size(); ++i) ASSERT_NEAR(image.pixels[i], samples[3 * i], 4) << i;
}

TEST(Decode, ColouredJpegGetsTheWarning) {
  Bytes samples;
  for (int i = 0; i < 32 * 32; ++i)
    samples.insert(samples.end(), {uint8_t(i % 32 < 16 ? 220 : 20), 30, uint8_t(i % 32 < 16 ? 20 : 220)});
  const Image image = decode_ok(testing::encode_jpeg(samples, 32, 32, 3, 95));
  EXPECT_TRUE(image.color_content);
  EXPECT_EQ(image.warnings.size(), 1u);
}

void expect_flat_blocks(const Image& image, uint32_t width, uint32_t height, const std::vector<int>& dc) {
  expect_gray_image(image, width, height, 1);
  const uint32_t blocks_across = (width + 7) / 8;
  for (uint32_t y = 0; y < height; ++y)
    for (uint32_t x = 0; x < width; ++x) {
      const double expected = std::clamp(128.0 + dc[(y / 8) * blocks_across + x / 8] / 8.0, 0.0, 255.0);
      ASSERT_NEAR(image.pixels[y * width + x], expected, 1.0) << "x " << x << " y " << y;
    }
}

TEST(Decode, SingleComponentBaselineAndProgressiveJpeg) {
  // The shared dataset holds no progressive JPEG (all 5927 files are SOF0),
  // and stb_image_write cannot write one, so this test builds it.
  std::mt19937 rng(testing::test_seed());
  const uint32_t width = 30, height = 21;  // partial blocks on both axes
  const std::vector<int> dc = random_block_dcs(4 * 3, rng);
  for (bool progressive : {false, true}) {
    SCOPED_TRACE(progressive ? "progressive" : "baseline");
    const Bytes jpeg = make_flat_block_jpeg(width, height, dc, progressive);
    const Bytes frame_marker = {0xFF, uint8_t(progressive ? 0xC2 : 0xC0)};
    ASSERT_NE(std::search(jpeg.begin(), jpeg.end(), frame_marker.begin(), frame_marker.end()), jpeg.end());
    expect_flat_blocks(decode_ok(jpeg), width, height, dc);
  }
}

TEST(Decode, FormatComesFromTheBytesNotTheName) {
  // A PNG saved under a .jpeg name, read back: the API sees only bytes.
  std::mt19937 rng(testing::test_seed());
  const Bytes png = testing::encode_png(gray_content(8, 8, 1, rng), 8, 8, 1);
  const std::string path = (std::filesystem::temp_directory_path() / "cxr_test_decode_misnamed.jpeg").string();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  const Bytes read_back = testing::read_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(sniff_format(read_back.data(), read_back.size(), nullptr), ImageFormat::png);
  EXPECT_EQ(decode_ok(read_back).format, ImageFormat::png);
}

TEST(Decode, BadArgumentsAndReuseOfTheOutput) {
  const Bytes jpeg = make_flat_block_jpeg(8, 8, {0}, false);
  EXPECT_EQ(decode_image(jpeg.data(), jpeg.size(), nullptr).code, cxr_status_invalid_argument);
  Image image;
  EXPECT_EQ(decode_image(nullptr, 10, &image).code, cxr_status_invalid_argument);
  EXPECT_EQ(decode_image(nullptr, 0, &image).code, cxr_status_unsupported_format);
  // A coloured image then a gray one into the same Image: nothing carries over.
  std::mt19937 rng(testing::test_seed());
  const Bytes colour = testing::encode_png(random_bytes(4 * 4 * 3, rng), 4, 4, 3);
  ASSERT_TRUE(decode_image(colour.data(), colour.size(), &image).ok());
  ASSERT_TRUE(image.color_content);
  ASSERT_TRUE(decode_image(jpeg.data(), jpeg.size(), &image).ok());
  expect_gray_image(image, 8, 8, 1);
  // A failure leaves an empty image.
  EXPECT_FALSE(decode_image(jpeg.data(), jpeg.size() - 2, &image).ok());
  EXPECT_EQ(image.width, 0u);
  EXPECT_TRUE(image.pixels.empty());
}

// ---------------------------------------------------------------- real films

TEST(Decode, EveryTenthDatasetImageIsGray224) {
  CXR_REQUIRE_SHARED_DATA(dir);
  const std::vector<std::string> files = testing::list_files(dir + "/chest_xray_224", ".jpeg");
  ASSERT_GT(files.size(), 5000u);
  for (size_t i = 0; i < files.size(); i += 10) {
    SCOPED_TRACE(files[i]);
    const Image image = decode_ok(testing::read_file(files[i]));
    expect_gray_image(image, 224, 224, 3);
    ASSERT_EQ(image.format, ImageFormat::jpeg);
  }
}

TEST(Decode, FullResolutionSamplesHaveSaneSizes) {
  CXR_REQUIRE_SHARED_DATA(dir);
  const std::vector<std::string> files = testing::list_files(dir + "/chest_xray_fullres_samples", ".jpeg");
  ASSERT_EQ(files.size(), 71u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const Image image = decode_ok(testing::read_file(file));
    // Some originals are small (the smallest is 439x227); none is huge or a strip.
    EXPECT_GE(std::min(image.width, image.height), 200u);
    EXPECT_LE(std::max(image.width, image.height), 4000u);
    EXPECT_LE(std::max(image.width, image.height), 3 * std::min(image.width, image.height));
    EXPECT_EQ(image.pixels.size(), size_t(image.width) * image.height);
    EXPECT_FALSE(image.color_content);
  }
}

}  // namespace
}  // namespace cxr
