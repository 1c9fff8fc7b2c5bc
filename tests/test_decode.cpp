// core/decode: formats, bit depths, colour detection, limits, truncation,
// non-images, real films. Fixtures stb_image_write cannot make (palette and
// 16-bit PNG, single-component and progressive JPEG, header-only files) are
// built here byte by byte.
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
#include "support/test_data.h"

namespace cxr {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------- PNG writer

uint32_t crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

void put_be16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

void put_be32(Bytes& out, uint32_t v) {
  put_be16(out, v >> 16);
  put_be16(out, v & 0xFFFF);
}

void append_png_chunk(Bytes& png, const char* type, const Bytes& payload) {
  put_be32(png, uint32_t(payload.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), payload.begin(), payload.end());
  png.insert(png.end(), body.begin(), body.end());
  put_be32(png, crc32(body.data(), body.size()));
}

// zlib stream of stored (uncompressed) deflate blocks.
Bytes zlib_stored(const Bytes& raw) {
  Bytes z = {0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(raw.size() - pos, 65535);
    z.push_back(pos + n == raw.size() ? 1 : 0);  // BFINAL, BTYPE=00
    z.push_back(uint8_t(n));
    z.push_back(uint8_t(n >> 8));
    z.push_back(uint8_t(~n));
    z.push_back(uint8_t(~n >> 8));
    z.insert(z.end(), raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;  // Adler-32
  for (uint8_t c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  put_be32(z, b << 16 | a);
  return z;
}

Bytes png_signature_and_header(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {bit_depth, color_type, 0, 0, 0});
  append_png_chunk(png, "IHDR", ihdr);
  return png;
}

// `samples`: rows of packed samples, 16-bit ones big-endian, no filter bytes.
Bytes make_png(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type, const Bytes& samples,
               const Bytes& palette = {}) {
  Bytes png = png_signature_and_header(width, height, bit_depth, color_type);
  if (!palette.empty()) append_png_chunk(png, "PLTE", palette);
  const size_t row_bytes = samples.size() / height;
  Bytes raw;
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    raw.insert(raw.end(), samples.begin() + y * row_bytes, samples.begin() + (y + 1) * row_bytes);
  }
  append_png_chunk(png, "IDAT", zlib_stored(raw));
  append_png_chunk(png, "IEND", {});
  return png;
}

Bytes big_endian_16(const std::vector<uint16_t>& values) {
  Bytes out;
  for (uint16_t v : values) put_be16(out, v);
  return out;
}

// --------------------------------------------------------------- JPEG writer

// Bits MSB first, 0xFF stuffed with 0x00, last byte padded with ones.
class BitWriter {
 public:
  explicit BitWriter(Bytes& out) : out_(out) {}
  void put(uint32_t bits, int count) {
    for (int i = count - 1; i >= 0; --i) {
      byte_ = uint8_t(byte_ << 1 | ((bits >> i) & 1));
      if (++filled_ == 8) emit();
    }
  }
  void flush() {
    while (filled_ != 0) put(1, 1);
  }

 private:
  void emit() {
    out_.push_back(byte_);
    if (byte_ == 0xFF) out_.push_back(0x00);
    byte_ = 0;
    filled_ = 0;
  }
  Bytes& out_;
  uint8_t byte_ = 0;
  int filled_ = 0;
};

void append_segment(Bytes& jpeg, uint8_t marker, const Bytes& payload) {
  jpeg.push_back(0xFF);
  jpeg.push_back(marker);
  put_be16(jpeg, uint32_t(payload.size() + 2));
  jpeg.insert(jpeg.end(), payload.begin(), payload.end());
}

Bytes jpeg_frame_header(uint8_t sof_marker, uint32_t width, uint32_t height) {
  Bytes jpeg = {0xFF, 0xD8};
  append_segment(jpeg, sof_marker, {8, uint8_t(height >> 8), uint8_t(height), uint8_t(width >> 8), uint8_t(width), 1,
                                    1, 0x11, 0});
  return jpeg;
}

// A DHT table body whose symbols all have codes of one length.
Bytes huffman_table(uint8_t class_and_id, int code_length, const Bytes& symbols) {
  Bytes table = {class_and_id};
  Bytes counts(16, 0);
  counts[size_t(code_length - 1)] = uint8_t(symbols.size());
  table.insert(table.end(), counts.begin(), counts.end());
  table.insert(table.end(), symbols.begin(), symbols.end());
  return table;
}

// DC category s (0..11) has the 4-bit code s; the AC table holds one symbol,
// EOB (0x00), with the 1-bit code 0.
void put_dc_difference(BitWriter& bits, int diff) {
  int category = 0;
  while ((std::abs(diff) >> category) != 0) ++category;
  bits.put(uint32_t(category), 4);
  if (category) bits.put(uint32_t(diff >= 0 ? diff : diff + (1 << category) - 1), category);
}

void append_scan_header(Bytes& jpeg, uint8_t spectral_start, uint8_t spectral_end, uint8_t approximation) {
  append_segment(jpeg, 0xDA, {1, 1, 0x00, spectral_start, spectral_end, approximation});
}

// A gray JPEG whose 8x8 blocks are flat: block b has DC coefficient dc[b]
// (quantiser 1), i.e. the value 128 + dc[b] / 8. Baseline: one scan.
// Progressive: a DC scan at half precision, a DC refinement scan, then an
// AC scan of end-of-block codes.
Bytes make_flat_block_jpeg(uint32_t width, uint32_t height, const std::vector<int>& dc, bool progressive) {
  Bytes jpeg = {0xFF, 0xD8};
  Bytes quant = {0x00};
  quant.resize(65, 1);
  append_segment(jpeg, 0xDB, quant);
  Bytes tables = huffman_table(0x00, 4, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});  // DC table 0
  const Bytes ac = huffman_table(0x10, 1, {0x00});                                 // AC table 0
  tables.insert(tables.end(), ac.begin(), ac.end());
  append_segment(jpeg, 0xC4, tables);
  Bytes frame = jpeg_frame_header(progressive ? 0xC2 : 0xC0, width, height);
  jpeg.insert(jpeg.end(), frame.begin() + 2, frame.end());

  auto scan = [&](uint8_t ss, uint8_t se, uint8_t approximation, auto&& encode_block) {
    append_scan_header(jpeg, ss, se, approximation);
    BitWriter bits(jpeg);
    int previous = 0;
    for (int value : dc) encode_block(bits, value, previous);
    bits.flush();
  };
  auto eob = [](BitWriter& bits, int, int&) { bits.put(0, 1); };
  if (!progressive) {
    scan(0, 63, 0x00, [&](BitWriter& bits, int value, int& previous) {
      put_dc_difference(bits, value - previous);
      previous = value;
      bits.put(0, 1);
    });
  } else {
    scan(0, 0, 0x01, [](BitWriter& bits, int value, int& previous) {
      put_dc_difference(bits, (value >> 1) - previous);
      previous = value >> 1;
    });
    scan(0, 0, 0x10, [](BitWriter& bits, int value, int&) { bits.put(uint32_t(value & 1), 1); });
    scan(1, 63, 0x00, eob);
  }
  jpeg.insert(jpeg.end(), {0xFF, 0xD9});
  return jpeg;
}

// --------------------------------------------------------------- helpers

Image decode_ok(const Bytes& bytes) {
  Image image;
  const Status status = decode_image(bytes.data(), bytes.size(), &image);
  EXPECT_TRUE(status.ok()) << status.message;
  return image;
}

Status decode_status(const Bytes& bytes) {
  Image image;
  return decode_image(bytes.data(), bytes.size(), &image);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A refusal is a sentence with advice, never stb's terse reason alone.
void expect_refusal(const Status& status, cxr_status code, const std::string& must_mention) {
  EXPECT_EQ(status.code, code) << status.message;
  EXPECT_TRUE(contains(status.message, must_mention)) << status.message;
  EXPECT_TRUE(contains(status.message, "; ")) << "no advice in: " << status.message;
}

Bytes random_bytes(size_t n, std::mt19937& rng) {
  Bytes out(n);
  for (uint8_t& b : out) b = uint8_t(rng());
  return out;
}

// Smooth gray content replicated into `channels` (alpha, if any, random).
Bytes gray_content(int width, int height, int channels, std::mt19937& rng) {
  Bytes out;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const uint8_t v = uint8_t((x * 255) / (width - 1) / 2 + (y * 255) / (height - 1) / 2);
      for (int c = 0; c < channels; ++c) out.push_back(c == 3 || (c == 1 && channels == 2) ? uint8_t(rng()) : v);
    }
  return out;
}

double bt601(double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; }

void expect_luma_of_rgb(const Image& image, const Bytes& samples, int channels, double levels_of_tolerance) {
  ASSERT_EQ(image.pixels.size() * channels, samples.size());
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    const uint8_t* p = &samples[i * channels];
    ASSERT_NEAR(image.pixels[i], bt601(p[0], p[1], p[2]), levels_of_tolerance) << "pixel " << i;
  }
}

void expect_gray_image(const Image& image, uint32_t width, uint32_t height, uint32_t source_channels) {
  EXPECT_EQ(image.width, width);
  EXPECT_EQ(image.height, height);
  EXPECT_EQ(image.source_channels, source_channels);
  EXPECT_FALSE(image.color_content);
  EXPECT_TRUE(image.warnings.empty());
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
  for (int i = 0; i < 32 * 32; ++i) samples.insert(samples.end(), {uint8_t(i % 32 < 16 ? 220 : 20), 30, uint8_t(i % 32 < 16 ? 20 : 220)});
  const Image image = decode_ok(testing::encode_jpeg(samples, 32, 32, 3, 95));
  EXPECT_TRUE(image.color_content);
  EXPECT_EQ(image.warnings.size(), 1u);
}

std::vector<int> random_block_dcs(size_t blocks, std::mt19937& rng) {
  std::uniform_int_distribution<int> dc(-1000, 1000);  // odd values exercise the refinement bit
  std::vector<int> out(blocks);
  for (int& v : out) v = dc(rng);
  return out;
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

// ---------------------------------------------------------------- limits

void expect_too_large_quickly(const Bytes& header, const std::string& dimensions) {
  const auto start = std::chrono::steady_clock::now();
  const Status status = decode_status(header);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  expect_refusal(status, cxr_status_too_large, dimensions);
  EXPECT_TRUE(contains(status.message, "16384")) << status.message;
  EXPECT_LT(ms, 50.0) << "refused from the header, before any pixel buffer";
}

TEST(Decode, OversizedHeadersAreRefusedBeforeDecoding) {
  expect_too_large_quickly(png_signature_and_header(60000, 60000, 8, 0), "PNG is 60000x60000 pixels");
  expect_too_large_quickly(jpeg_frame_header(0xC0, 60000, 60000), "JPEG is 60000x60000 pixels");
  // Each side within 16384 but 50 megapixels in all.
  expect_too_large_quickly(png_signature_and_header(10000, 5000, 16, 2), "10000x5000");
  expect_too_large_quickly(jpeg_frame_header(0xC2, 5000, 10000), "5000x10000");
  // Just under the limits: not too large (truncated instead, having no data).
  EXPECT_EQ(decode_status(png_signature_and_header(16384, 2441, 8, 0)).code, cxr_status_corrupt_input);
}

// ---------------------------------------------------------------- damage

// Every proper prefix of a valid file is refused as truncated.
void expect_every_prefix_truncated(const Bytes& file, size_t magic_size) {
  for (size_t n = magic_size; n < file.size(); ++n) {
    const Status status = decode_status(Bytes(file.begin(), file.begin() + n));
    ASSERT_EQ(status.code, cxr_status_corrupt_input) << "prefix " << n << ": " << status.message;
    ASSERT_TRUE(contains(status.message, "truncated")) << "prefix " << n << ": " << status.message;
  }
  for (size_t n = 1; n < magic_size; ++n)
    ASSERT_EQ(decode_status(Bytes(file.begin(), file.begin() + n)).code, cxr_status_unsupported_format);
}

TEST(Decode, TruncatedFilesAreRefusedAtEveryLength) {
  std::mt19937 rng(testing::test_seed());
  const Bytes noise = random_bytes(40 * 30 * 3, rng);
  const Bytes png = testing::encode_png(noise, 40, 30, 3);
  const Bytes jpeg = testing::encode_jpeg(noise, 40, 30, 3, 90);
  ASSERT_TRUE(decode_status(png).ok());
  ASSERT_TRUE(decode_status(jpeg).ok());
  expect_every_prefix_truncated(png, 8);
  expect_every_prefix_truncated(jpeg, 3);
  expect_every_prefix_truncated(make_flat_block_jpeg(40, 24, random_block_dcs(15, rng), true), 3);
  expect_refusal(decode_status(Bytes(jpeg.begin(), jpeg.end() - 300)), cxr_status_corrupt_input,
                 "truncated JPEG (the file ends before the image data does)");
}

TEST(Decode, DamagedPngDataIsExplainedInWords) {
  Bytes png = make_png(4, 4, 8, 0, Bytes(16, 50));
  const size_t zlib_header = 8 + 25 + 8;  // signature, IHDR chunk, IDAT length and type
  png[zlib_header] = 0x00;                // not a deflate stream any more
  expect_refusal(decode_status(png), cxr_status_corrupt_input, "PNG");
}

TEST(Decode, RandomlyMutatedFilesNeverCrash) {
  const uint32_t seed = testing::test_seed();
  std::mt19937 rng(seed);
  const Bytes noise = random_bytes(24 * 16 * 3, rng);
  const Bytes originals[] = {testing::encode_png(noise, 24, 16, 3), testing::encode_jpeg(noise, 24, 16, 3, 80),
                             make_flat_block_jpeg(24, 16, random_block_dcs(6, rng), true),
                             make_png(3, 3, 16, 0, big_endian_16({1, 2, 3, 4, 5, 6, 7, 8, 9}))};
  for (const Bytes& original : originals)
    for (int trial = 0; trial < 300; ++trial) {
      Bytes mutated = original;
      for (int flips = 1 + int(rng() % 4); flips > 0; --flips) mutated[rng() % mutated.size()] = uint8_t(rng());
      const Status status = decode_status(mutated);
      if (!status.ok()) {
        ASSERT_TRUE(contains(status.message, "; ")) << "seed " << seed << ": " << status.message;
      }
    }
}

// Fields stb_image 2.27 does not check and overruns memory on (see
// decode.cpp); each is refused before stb sees the file.
Bytes with_segment_before_first_scan(Bytes jpeg, uint8_t marker, const Bytes& payload) {
  const Bytes sos = {0xFF, 0xDA};
  const auto at = std::search(jpeg.begin(), jpeg.end(), sos.begin(), sos.end());
  Bytes segment;
  append_segment(segment, marker, payload);
  jpeg.insert(at, segment.begin(), segment.end());
  return jpeg;
}

TEST(Decode, JpegFieldsThatOverrunStb227AreRefused) {
  const Bytes valid = make_flat_block_jpeg(16, 16, {10, 20, 30, 40}, false);
  ASSERT_TRUE(decode_status(valid).ok());

  Bytes oversized_table = {0x11};  // AC table 1: 400 symbols, more than the 256 stb has room for
  oversized_table.resize(15, 0);
  oversized_table.insert(oversized_table.end(), {200, 200});
  oversized_table.resize(oversized_table.size() + 400, 0x01);
  expect_refusal(decode_status(with_segment_before_first_scan(valid, 0xC4, oversized_table)),
                 cxr_status_corrupt_input, "Huffman table");

  Bytes undefined_table = valid;  // the scan asks for DC/AC table 1, never defined
  const Bytes sos = {0xFF, 0xDA};
  *(std::search(undefined_table.begin(), undefined_table.end(), sos.begin(), sos.end()) + 6) = 0x11;
  expect_refusal(decode_status(undefined_table), cxr_status_corrupt_input, "never defines");

  Bytes fractional_sampling = {0xFF, 0xD8};  // luma 3x1 sampled, chroma 2x1: 3/2 is not whole
  append_segment(fractional_sampling, 0xC0, {8, 0, 16, 0, 16, 3, 1, 0x31, 0, 2, 0x21, 0, 3, 0x11, 0});
  expect_refusal(decode_status(fractional_sampling), cxr_status_corrupt_input, "sampling");
}

// ---------------------------------------------------------------- not images

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct ForeignCase {
  Bytes bytes;
  std::string sniffed;  // part of sniff_format's `what`
  std::string message;  // part of decode_image's message
};

TEST(Decode, NonImagesAreNamed) {
  const Bytes riff = text_bytes(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  Bytes bmp = text_bytes("BM");
  bmp.resize(14, 0);
  bmp.insert(bmp.end(), {40, 0, 0, 0});
  const ForeignCase cases[] = {
      {text_bytes("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"), "PDF document", "not an image: PDF document"},
      {text_bytes(std::string("PK\x03\x04\x14\0\x06\0", 8)), "ZIP archive", "ZIP"},
      {text_bytes("GIF89a\x01\0\x01\0"), "GIF image", "GIF images are not supported"},
      {bmp, "BMP image", "BMP images"},
      {text_bytes(std::string("II*\0\x08\0\0\0", 8)), "TIFF image", "TIFF images"},
      {text_bytes(std::string("MM\0*\0\0\0\x08", 8)), "TIFF image", "TIFF images"},
      {riff, "WebP image", "WebP images"},
      {text_bytes(std::string("\0\0\0\x0CjP  \r\n\x87\n", 12)), "JPEG 2000 image", "JPEG 2000 images"},
      {text_bytes(std::string("\0\0\0\x18" "ftypheic\0\0\0\0", 16)), "HEIC image", "HEIC images"},
      {text_bytes(std::string("\0\0\0\x1C" "ftypavif\0\0\0\0", 16)), "AVIF image", "AVIF images"},
      {text_bytes(std::string("\x1F\x8B\x08\0\0\0", 6)), "gzip archive", "gzip"},
      {text_bytes("Patient: anonymous\nNotes: follow-up film attached\n"), "text file", "text file"},
      {text_bytes("<!DOCTYPE html><html><body>x-ray</body></html>"), "HTML page", "HTML"},
      {Bytes{}, "empty file", "empty file (0 bytes)"},
  };
  for (const ForeignCase& c : cases) {
    SCOPED_TRACE(c.sniffed);
    std::string what;
    EXPECT_EQ(sniff_format(c.bytes.data(), c.bytes.size(), &what), ImageFormat::unknown);
    EXPECT_TRUE(contains(what, c.sniffed)) << what;
    expect_refusal(decode_status(c.bytes), cxr_status_unsupported_format, c.message);
  }
  const Bytes unknown = {0x00, 0x01, 0x02, 0xFE, 0x80, 0x00, 0x13};
  std::string what = "stale";
  EXPECT_EQ(sniff_format(unknown.data(), unknown.size(), &what), ImageFormat::unknown);
  EXPECT_EQ(what, "");
  expect_refusal(decode_status(unknown), cxr_status_unsupported_format, "not a PNG, JPEG or DICOM image");
}

// The DICOM reader itself is tested in test_dicom.cpp.
TEST(Decode, DicomWithoutAnImageIsRecognisedAndRefused) {
  Bytes dicom(128, 0);
  dicom.insert(dicom.end(), {'D', 'I', 'C', 'M', 0x02, 0x00, 0x00, 0x00});
  std::string what;
  EXPECT_EQ(sniff_format(dicom.data(), dicom.size(), &what), ImageFormat::dicom);
  expect_refusal(decode_status(dicom), cxr_status_unsupported_format, "this DICOM file holds no image");
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
