// Limits before allocation, measured (issue 5, item 6). Hostile inputs go
// through the public API exactly as the CLI and the browser call it
// (cxr_classify on a reused classifier, cxr_classifier_create), and each must
// be refused with its specific status and message while the process's peak
// resident memory stays within a bound derived from what a refusal may cost:
//
//  - Header-only bombs (PNG/JPEG claiming 60000x60000, DICOM frames whose
//    Rows x Columns x frames overflows, zero bytes, wrong-type files, damaged
//    model headers): refused from the header, before any pixel buffer exists.
//    The bound is +20 MB: the smallest buffer a decoder could allocate for
//    these claims is 3.6 GB (60000^2 gray bytes) or 32 MB (one 4000x4000
//    16-bit DICOM frame), so any pixel allocation breaks it, while the
//    file bytes (< 1 MB), message strings and allocator noise fit easily.
//  - A PNG or JPEG within the limits (16384 x 2441 = 39.99 Mpx) but truncated:
//    the decoder may legitimately reserve a full-size decode before it finds
//    the data missing: at most stb's 8-bit plane (40 MB), its zlib output or
//    JPEG component plane (40 MB) and our 16-bit copy (80 MB), 160 MB. The
//    bound is +300 MB: that and headroom, still far below a runaway (the
//    same claim as 16-bit RGBA is 320 MB, and the 60000^2 claim 3.6 GB).
// The measurement: Linux resets VmHWM when "5" is written to
// /proc/self/clear_refs; peak minus the resident size just before the call is
// what the call cost. Skipped (the refusals still checked) where there is no
// /proc (wasm) or under AddressSanitizer (its shadow memory and quarantine
// change what RSS means; the native Release build measures).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cxr/cxr.h"
#include "decode/image.h"
#include "model/model_file.h"
#include "support/image_bytes.h"
#include "support/test_data.h"
#include "support/test_model.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CXR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CXR_UNDER_ASAN 1
#endif
#endif

namespace cxr {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr long kMB = 1024 * 1024;

// ------------------------------------------------------------ memory

long status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  return -1;
}

bool can_measure() {
#if defined(CXR_UNDER_ASAN) || defined(__EMSCRIPTEN__)
  return false;
#else
  std::ofstream reset("/proc/self/clear_refs");
  return reset && status_kb("VmHWM:") >= 0;
#endif
}

// Peak RSS growth (bytes) while `run` executes, or -1 when not measurable.
// Free memory that earlier tests left resident in the heap is handed back
// first, or an allocation served from it would not show (glibc raises its
// mmap threshold after a large free, so what follows comes from the heap).
template <class F>
long peak_growth(F&& run) {
  const bool measure = can_measure();
  long before = 0;
  if (measure) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    std::ofstream("/proc/self/clear_refs") << "5";
    before = status_kb("VmRSS:");
  }
  run();
  if (!measure) return -1;
  return (status_kb("VmHWM:") - before) * 1024;
}

// ------------------------------------------------------------ inputs

using testing::put_be32;

void png_chunk(Bytes& png, const char* type, const Bytes& data) {
  put_be32(png, uint32_t(data.size()));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_be32(png, crc32(png.data() + start, png.size() - start));
}

Bytes png_header(uint32_t width, uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit gray
  png_chunk(png, "IHDR", ihdr);
  return png;
}

// A real 8-bit gray PNG of `width` x `rows`, whose header then claims `height`
// rows: complete chunks, but the image data ends after `rows` rows.
Bytes short_png(uint32_t width, uint32_t rows, uint32_t height) {
  Bytes png = testing::encode_png(Bytes(size_t(width) * rows, 128), int(width), int(rows), 1);
  // IHDR data starts at 16; its CRC covers type + data (12..28).
  png[20] = uint8_t(height >> 24), png[21] = uint8_t(height >> 16), png[22] = uint8_t(height >> 8),
  png[23] = uint8_t(height);
  const uint32_t crc = crc32(png.data() + 12, 17);
  png[29] = uint8_t(crc >> 24), png[30] = uint8_t(crc >> 16), png[31] = uint8_t(crc >> 8), png[32] = uint8_t(crc);
  return png;
}

Bytes jpeg_header(uint32_t width, uint32_t height) {
  return {0xFF,           0xD8, 0xFF, 0xC0, 0, 11, 8, uint8_t(height >> 8), uint8_t(height), uint8_t(width >> 8),
          uint8_t(width), 1,    1,    0x11, 0};
}

// A real baseline gray JPEG of `width` x `rows` whose SOF then claims
// `height` rows, cut off in the middle of its entropy-coded data.
Bytes short_jpeg(uint32_t width, uint32_t rows, uint32_t height, bool cut = true) {
  std::vector<uint8_t> px(size_t(width) * rows);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 7 % 251);
  Bytes jpeg = testing::encode_jpeg(px, int(width), int(rows), 1, 90);
  for (size_t i = 2; i + 8 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = uint8_t(height >> 8), jpeg[i + 6] = uint8_t(height);
      break;
    }
  if (cut) jpeg.resize(jpeg.size() * 3 / 4);
  return jpeg;
}

// A bare implicit-VR DICOM dataset (16-bit MONOCHROME2) with the given frame
// count and `pixel_bytes` of pixel data.
Bytes dicom_frames(uint32_t rows, uint32_t columns, const std::string& frames, size_t pixel_bytes) {
  return testing::make_bare_dicom({rows, columns, 16, frames, {}, Bytes(pixel_bytes, 0)});
}

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// ------------------------------------------------------------ checks

struct ClassifierDeleter {
  void operator()(cxr_classifier* c) const { cxr_classifier_destroy(c); }
};

cxr_classifier* tiny_classifier() {
  static std::unique_ptr<cxr_classifier, ClassifierDeleter> classifier = [] {
    const Bytes model = testing::make_test_model_file("tiny", 5);
    return std::unique_ptr<cxr_classifier, ClassifierDeleter>(
        cxr_classifier_create(model.data(), model.size(), cxr_backend_portable, nullptr));
  }();
  return classifier.get();
}

struct Hostile {
  const char* what;
  Bytes bytes;
  cxr_status status;
  const char* message;  // a fragment of the expected message
  long bound;           // bytes of peak RSS growth allowed
};

void expect_refused_within(const Hostile& h) {
  SCOPED_TRACE(h.what);
  cxr_classifier* c = tiny_classifier();
  ASSERT_NE(c, nullptr);
  cxr_result result;
  cxr_error error;
  cxr_status status = cxr_status_ok;
  const long growth =
      peak_growth([&] { status = cxr_classify(c, h.bytes.data(), h.bytes.size(), nullptr, &result, &error); });
  EXPECT_EQ(status, h.status) << cxr_status_name(status) << ": " << error.message;
  EXPECT_NE(std::string(error.message).find(h.message), std::string::npos) << error.message;
  if (growth >= 0) {
    std::printf("[ limits ] %-58s %-18s peak RSS %+7.1f MB (bound %ld MB): %s\n", h.what, cxr_status_name(status),
                double(growth) / kMB, h.bound / kMB, error.message);
    EXPECT_LE(growth, h.bound) << "peak RSS grew by " << growth / kMB << " MB";
  }
}

// The instrument itself: a real 4096x4096 decode must show up as at least its
// 16-bit pixel buffer (32 MB), or every bound below would pass vacuously.
TEST(Limits, TheMeasurementSeesARealDecode) {
  if (!can_measure()) GTEST_SKIP() << "peak RSS not measurable here (no /proc, or AddressSanitizer)";
  const Bytes png = testing::encode_png(Bytes(size_t(4096) * 4096, 77), 4096, 4096, 1);
  Image image;
  Status status;
  const long growth = peak_growth([&] { status = decode_image(png.data(), png.size(), &image); });
  ASSERT_TRUE(status.ok()) << status.message;
  std::printf("[ limits ] control: a valid 4096x4096 gray PNG decodes with peak RSS %+.1f MB\n", double(growth) / kMB);
  EXPECT_GE(growth, 32 * kMB);
}

TEST(Limits, HeaderOnlyImageBombsAreRefusedBeforeAllocating) {
  const Hostile cases[] = {
      {"PNG header claiming 60000x60000", png_header(60000, 60000), cxr_status_too_large, "PNG is 60000x60000 pixels",
       20 * kMB},
      {"JPEG header claiming 60000x60000", jpeg_header(60000, 60000), cxr_status_too_large,
       "JPEG is 60000x60000 pixels", 20 * kMB},
      {"PNG header claiming 16000x16000 (256 Mpx)", png_header(16000, 16000), cxr_status_too_large, "16000x16000",
       20 * kMB},
      {"JPEG header claiming 16000x16000 (256 Mpx)", jpeg_header(16000, 16000), cxr_status_too_large, "16000x16000",
       20 * kMB},
      {"DICOM 4000x4000 x 2147483647 frames, 4 KB of pixels", dicom_frames(4000, 4000, "2147483647", 4096),
       cxr_status_corrupt_input, "truncated DICOM pixel data", 20 * kMB},
      {"DICOM 4000x4000 x 4294967295 frames, 4 KB of pixels", dicom_frames(4000, 4000, "4294967295", 4096),
       cxr_status_corrupt_input, "truncated DICOM pixel data", 20 * kMB},
      {"DICOM 65535x65535, 4 KB of pixels", dicom_frames(65535, 65535, "1", 4096), cxr_status_too_large, "limit",
       20 * kMB},
  };
  for (const Hostile& h : cases) expect_refused_within(h);
}

TEST(Limits, TruncatedImagesWithinTheLimitsStayBounded) {
  const Hostile cases[] = {
      {"PNG 16384x2441 (39.99 Mpx) whose data ends after 16 rows", short_png(16384, 16, 2441), cxr_status_corrupt_input,
       "truncated or corrupt PNG: its compressed pixel data is damaged", 300 * kMB},
      {"JPEG 16384x2441 (39.99 Mpx) cut inside its scan", short_jpeg(16384, 16, 2441), cxr_status_corrupt_input,
       "truncated JPEG", 300 * kMB},
      // Complete markers, but the scan's data stops after 16 rows: stb would
      // zero-fill the rest (and did, classifying it, at +210 MB peak).
      {"JPEG 16384x2441 whose scan ends (EOI) after 16 rows", short_jpeg(16384, 16, 2441, false),
       cxr_status_corrupt_input, "corrupt JPEG: its image data stops before the image is complete", 300 * kMB},
      {"PNG header 16384x2441, no data", png_header(16384, 2441), cxr_status_corrupt_input, "truncated PNG", 20 * kMB},
  };
  for (const Hostile& h : cases) expect_refused_within(h);
}

TEST(Limits, EmptyAndWrongTypeFilesAreNamed) {
  const Hostile cases[] = {
      {"zero bytes", Bytes{}, cxr_status_unsupported_format, "empty file (0 bytes)", 20 * kMB},
      {"PDF renamed .jpg", text_bytes("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
       cxr_status_unsupported_format, "PDF document", 20 * kMB},
      {"ZIP renamed .jpg", Bytes{'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       cxr_status_unsupported_format, "ZIP archive", 20 * kMB},
      {"text renamed .jpg", text_bytes("patient list\nname,age\nnot an x-ray\n"), cxr_status_unsupported_format,
       "text file", 20 * kMB},
  };
  for (const Hostile& h : cases) expect_refused_within(h);
  // The classifier is still usable afterwards.
  const Bytes png = testing::encode_png(Bytes(64 * 64, 90), 64, 64, 1);
  cxr_result result;
  EXPECT_EQ(cxr_classify(tiny_classifier(), png.data(), png.size(), nullptr, &result, nullptr), cxr_status_ok);
}

// ------------------------------------------------------------ model files

void set_le32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
void fix_crc(Bytes& b) { set_le32(b, b.size() - 4, crc32(b.data(), b.size() - 4)); }

void expect_model_refused(const char* what, const Bytes& bytes, cxr_status expected, const char* fragment) {
  SCOPED_TRACE(what);
  cxr_error error;
  cxr_classifier* c = nullptr;
  const long growth =
      peak_growth([&] { c = cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &error); });
  EXPECT_EQ(c, nullptr);
  cxr_classifier_destroy(c);
  EXPECT_EQ(error.status, expected) << cxr_status_name(error.status) << ": " << error.message;
  EXPECT_NE(std::string(error.message).find(fragment), std::string::npos) << error.message;
  if (growth >= 0) {
    std::printf("[ limits ] model: %-51s %-18s peak RSS %+7.1f MB (bound 20 MB): %s\n", what,
                cxr_status_name(error.status), double(growth) / kMB, error.message);
    EXPECT_LE(growth, 20 * kMB);
  }
}

TEST(Limits, HostileModelFilesAreRefusedWithoutRunawayMemory) {
  const Bytes good = testing::make_test_model_file("tiny", 5);
  {
    cxr_classifier* c = cxr_classifier_create(good.data(), good.size(), cxr_backend_portable, nullptr);
    ASSERT_NE(c, nullptr);
    cxr_classifier_destroy(c);
  }
  expect_model_refused("empty", Bytes{}, cxr_status_invalid_argument, "no model bytes");
  expect_model_refused("truncated to half", Bytes(good.begin(), good.begin() + good.size() / 2),
                       cxr_status_invalid_model, "checksum mismatch (the file is truncated or damaged)");
  expect_model_refused("truncated inside the header", Bytes(good.begin(), good.begin() + 10), cxr_status_invalid_model,
                       "file is too short (10 bytes)");
  Bytes future = good;
  set_le32(future, 4, 3);
  fix_crc(future);
  expect_model_refused("format version 3 (future)", future, cxr_status_unsupported_model_version,
                       "format version 3, but this cxr reads versions 1 to 2; update cxr");
  Bytes huge_metadata = good;
  set_le32(huge_metadata, 8, 0xFFFFFFF0u);
  fix_crc(huge_metadata);
  expect_model_refused("metadata length 4 GB", huge_metadata, cxr_status_invalid_model, "metadata runs past the end");
  Bytes many_tensors = good;
  set_le32(many_tensors, 12, 0xFFFFFFFFu);
  fix_crc(many_tensors);
  expect_model_refused("tensor count 2^32-1", many_tensors, cxr_status_invalid_model, "too many tensors");

  // Weights whose shape does not match the layer (conv1 claims 2 input channels).
  auto net = testing::make_reference_net("tiny", 1);
  net.tensors[0].dims = {8, 3, 3, 2};
  net.tensors[0].values.resize(8 * 9 * 2);
  net.layers[0].weight = TensorView{net.tensors[0].values.data(), net.tensors[0].dims};
  expect_model_refused("conv1 weights of the wrong shape", testing::make_test_model_file(net), cxr_status_invalid_model,
                       "layer 'conv1' weight has shape [8x3x3x2], expected [8x3x3x1]");
}

}  // namespace
}  // namespace cxr
