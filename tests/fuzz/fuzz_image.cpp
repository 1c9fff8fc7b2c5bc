// libFuzzer target: image decode (format sniffing, PNG, JPEG and DICOM through
// decode_image) and, when an image decodes, preprocessing of it with two fixed
// specs that between them take every resampling and normalisation path.
// Seeds: cxr_fuzz_seeds (small PNG/JPEG written by code) and the DICOM fixtures.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "decode/image.h"
#include "preprocess/preprocess.h"

namespace {

void check_preprocess(const cxr::Image& image, const cxr::PreprocessSpec& spec) {
  static cxr::PreprocessScratch scratch;  // reused, as a classifier does
  std::vector<float> out(size_t(spec.width) * spec.height * spec.channels);
  cxr::Status s = cxr::preprocess(image, spec, &scratch, out.data());
  if (!s.ok()) {
    if (s.message.empty()) __builtin_trap();
    return;
  }
  for (float v : out)
    if (!std::isfinite(v)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxr::Image image;
  cxr::Status s = cxr::decode_image(data, size, &image);
  if (!s.ok()) {
    if (!image.pixels.empty() || s.message.empty()) __builtin_trap();
    return 0;
  }
  if (image.width == 0 || image.height == 0) __builtin_trap();
  if (image.pixels.size() != size_t(image.width) * image.height) __builtin_trap();
  if (image.width > CXR_MAX_IMAGE_SIDE || image.height > CXR_MAX_IMAGE_SIDE ||
      uint64_t(image.width) * image.height > CXR_MAX_IMAGE_PIXELS)
    __builtin_trap();

  cxr::PreprocessSpec plain;  // 224x224 stretch, unit: the dataset's own recipe
  plain.width = 64;
  plain.height = 48;
  check_preprocess(image, plain);

  cxr::PreprocessSpec letterbox;
  letterbox.width = 40;
  letterbox.height = 56;
  letterbox.channels = 3;
  letterbox.resize = (size & 1) ? cxr::ResizePolicy::letterbox : cxr::ResizePolicy::center_crop;
  letterbox.equalize = true;
  letterbox.normalize = cxr::Normalization::per_image;
  check_preprocess(image, letterbox);
  return 0;
}
