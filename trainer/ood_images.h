// Out-of-distribution inputs made by code, for the OOD gate's benchmark:
// things a user might drop by mistake (photos, scanned documents, blank or
// noisy files, colour pictures) and X-rays the model was not made for
// (rotated, cropped to a detail, inverted polarity, thumbnails). Each comes
// back as encoded file bytes, so it goes through the core like a real upload.
// Deterministic given the seed.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace cxr::train {

// A decoded in-distribution film, 8-bit gray: the raw material of the
// X-ray-derived sets.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

struct OodSet {
  std::string name, description;
  bool derived_from_xrays = false;
};
const std::vector<OodSet>& ood_sets();

// One example of set `name`; `film` is used by the X-ray-derived sets.
std::vector<uint8_t> make_ood_example(const std::string& name, const GrayImage& film, std::mt19937& rng);

}  // namespace cxr::train
