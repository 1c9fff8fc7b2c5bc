// Where tests find real X-rays, and small helpers for synthetic fixtures.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "encode/image_write.h"

namespace cxr::testing {

// ../shared/data beside the checkout (or $CXR_DATA_DIR), "" when absent.
std::string shared_data_dir();
// Skip a test with a clear message when the shared data is missing:
//   CXR_REQUIRE_SHARED_DATA(dir);
#define CXR_REQUIRE_SHARED_DATA(dir)                                          \
  const std::string dir = ::cxr::testing::shared_data_dir();                  \
  if (dir.empty())                                                            \
  GTEST_SKIP() << "../shared/data not found (set CXR_DATA_DIR to the folder " \
                  "holding chest_xray_224/); skipping real-image test"

std::vector<uint8_t> read_file(const std::string& path);
// Sorted regular files under `dir` (recursive) whose name ends with `suffix`.
std::vector<std::string> list_files(const std::string& dir, const std::string& suffix);

// Encoders for fixtures (encode/image_write.h); JPEG at quality 95 unless told.
using ::cxr::encode_png;
inline std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                        int quality = 95) {
  return ::cxr::encode_jpeg(pixels, width, height, channels, quality);
}

// A chest-like synthetic film as PNG: bright mediastinum, darker lungs, noise.
std::vector<uint8_t> chest_like_png(int width, int height, uint32_t seed);

// Uniform floats in [lo, hi) from a replayable generator.
void fill_uniform(std::vector<float>& v, std::mt19937& rng, float lo, float hi);

// Seed for randomised tests: $CXR_TEST_SEED or a fixed default; printed by the
// tests that use it so a failure can be replayed.
uint32_t test_seed();

}  // namespace cxr::testing
