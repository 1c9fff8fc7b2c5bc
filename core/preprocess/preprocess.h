// Image -> network input tensor, driven by the spec stored in the model file so
// that the trainer, the CLI and the browser compute exactly the same thing.
#pragma once
#include <cstdint>
#include <vector>

#include "common/enum_names.h"
#include "common/status.h"
#include "decode/image.h"

namespace cxr {

// Each enum and its names (the model file's "resize" and "normalize") from one list.
//   stretch      ignore aspect ratio (how the dataset's 224x224 copies were made)
//   letterbox    keep aspect, fit inside, pad with black (0)
//   center_crop  keep aspect, fill, crop the centre
#define CXR_RESIZE_POLICIES(X) X(stretch) X(letterbox) X(center_crop)
//   unit       y = x                 (x = pixel / max_value, in [0, 1])
//   fixed      y = (x - mean) / std  (mean, std from the spec)
//   per_image  y = (x - mean(x)) / max(std(x), 1e-6) over the resized image
#define CXR_NORMALIZATIONS(X) X(unit) X(fixed) X(per_image)
CXR_NAMED_ENUM(ResizePolicy, kResizePolicyNames, CXR_RESIZE_POLICIES);
CXR_NAMED_ENUM(Normalization, kNormalizationNames, CXR_NORMALIZATIONS);

struct PreprocessSpec {
  uint32_t width = 224, height = 224;
  uint32_t channels = 1;  // gray is replicated when the network wants 3
  ResizePolicy resize = ResizePolicy::stretch;
  bool equalize = false;  // histogram equalisation (256 bins) after resizing
  Normalization normalize = Normalization::unit;
  float mean = 0.0f, std = 1.0f;
  // Train-serve match (stretch only; 0 = none): a film not already
  // prescale_width x prescale_height is first resampled to that size with a
  // triangle (tent) filter, the way the training set's copies were made from
  // the originals, and only then to width x height. Without it a full-size
  // original reaches the network sharper than any training film, and the OOD
  // gate's texture features take it for a stranger. A film already that size
  // (a training copy) is untouched: its tensor is bit-identical either way.
  uint32_t prescale_width = 0, prescale_height = 0;
};

// Checks a spec read from a model file (sizes within limits, std > 0, ...).
Status validate_spec(const PreprocessSpec& spec);

// Reusable buffers so that a classifier does not allocate per image once sizes
// stabilise.
struct PreprocessScratch {
  std::vector<float> a, b;
  // Per-axis resampling tables (added so that they too are reused rather than
  // allocated per call): per output index {first source index, tap count,
  // offset into `weights`}, x axis then y axis.
  std::vector<uint32_t> taps;
  std::vector<float> weights;
  Image prescaled;  // the prescale step's film (spec.prescale_width)
};

// Writes spec.height*spec.width*spec.channels floats (HWC) to `out`.
// Resampling is separable: an exact area average (box filter with fractional
// overlap weights) along an axis that shrinks, linear interpolation
// (half-pixel centres) along an axis that grows. The prescale step instead
// uses a triangle filter whose half-width is the shrink factor (at least 1
// pixel; linear interpolation when growing), normalised, into 16-bit samples.
// Letterbox: the content rect is the aspect-preserving size rounded to the
// nearest pixel (halves up), placed at floor((out - content) / 2); equalisation
// and per_image statistics use the content rect only, and the padding (0 before
// normalisation) goes through the same normalisation as the content.
Status preprocess(const Image& image, const PreprocessSpec& spec, PreprocessScratch* scratch, float* out);

// preprocess() in two stages, public so that the trainer can cache stage 1 and
// augment between them while still using this one image path:
// preprocess(image) == normalize_plane(resample_plane(image)), bit for bit.
struct ContentRect {
  uint32_t x = 0, y = 0, width = 0, height = 0;
};
// Stage 1: geometry, resampling and optional equalisation. Writes the
// spec.height x spec.width single-channel plane, values in [0, 1] (letterbox
// padding is 0), and where the image content lies in it.
Status resample_plane(const Image& image, const PreprocessSpec& spec, PreprocessScratch* scratch, float* plane,
                      ContentRect* content);
// Stage 2: normalisation (per_image statistics over the content rect only) and
// channel replication, into spec.height*spec.width*spec.channels floats (HWC).
void normalize_plane(const float* plane, const ContentRect& content, const PreprocessSpec& spec, float* out);

}  // namespace cxr
