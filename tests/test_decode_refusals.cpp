// core/decode refusals: oversized headers, truncation at every length,
// damaged and mutated files, fields stb_image 2.27 would overrun on, and
// files that are not images (named in the message).
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
  expect_refusal(decode_status(with_segment_before_first_scan(valid, 0xC4, oversized_table)), cxr_status_corrupt_input,
                 "Huffman table");

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
      {text_bytes(std::string("\0\0\0\x18"
                              "ftypheic\0\0\0\0",
                              16)),
       "HEIC image", "HEIC images"},
      {text_bytes(std::string("\0\0\0\x1C"
                              "ftypavif\0\0\0\0",
                              16)),
       "AVIF image", "AVIF images"},
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

}  // namespace
}  // namespace cxr
