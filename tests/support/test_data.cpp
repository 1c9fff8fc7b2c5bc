#include "support/test_data.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace cxr::testing {

std::string shared_data_dir() {
  if (const char* env = std::getenv("CXR_DATA_DIR")) return fs::is_directory(env) ? env : "";
  const fs::path dir = fs::path(CXR_SOURCE_DIR) / ".." / "shared" / "data";
  return fs::is_directory(dir / "chest_xray_224") ? fs::canonical(dir).string() : "";
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> list_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (e.is_regular_file() && p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void fill_uniform(std::vector<float>& v, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& x : v) x = dist(rng);
}

uint32_t test_seed() {
  const char* env = std::getenv("CXR_TEST_SEED");
  return env ? uint32_t(std::strtoul(env, nullptr, 10)) : 20261127u;
}

std::vector<uint8_t> chest_like_png(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-20, 20);
  std::vector<uint8_t> px(size_t(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double dx = (x - w / 2.0) / (w / 2.0), dy = (y - h / 2.0) / (h / 2.0);
      const double lungs = std::exp(-8 * (std::abs(dx) - 0.45) * (std::abs(dx) - 0.45) - 2 * dy * dy);
      px[size_t(y) * w + x] = uint8_t(std::clamp(200 - 120 * lungs + noise(rng), 0.0, 255.0));
    }
  return encode_png(px, w, h, 1);
}

}  // namespace cxr::testing
