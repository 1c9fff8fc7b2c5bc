// Image -> tensor: geometry (stretch / letterbox / centre crop), separable
// resampling from per-axis weight tables, optional histogram equalisation,
// normalisation, channel replication.
//
// Determinism: plain scalar float arithmetic in a fixed order (the project
// builds with -ffp-contract=off and no fast-math), so native and wasm outputs
// are bit-identical. Weight tables are computed in double, stored as float.
#include <cmath>
#include <cstdio>

#include "common/allocate.h"
#include "preprocess/preprocess.h"

namespace cxr {
namespace {

constexpr uint32_t kMaxSpecSide = 4096;

// The continuous source interval [start, start + length) of one axis, in pixel
// units (pixel k covers [k, k + 1)), resampled onto dst_size outputs.
struct AxisMap {
  uint32_t src_size;
  double start, length;
  uint32_t dst_size;
};

// Where the resampled content sits in the output (the whole output except
// for letterbox).
struct Rect {
  uint32_t x, y, width, height;
};

struct Geometry {
  AxisMap x, y;
  Rect content;
};

// round(side * num / den), halves up, clamped to [1, limit]; exact in integers.
uint32_t scaled_side(uint64_t side, uint64_t num, uint64_t den, uint32_t limit) {
  const uint64_t rounded = (2 * side * num + den) / (2 * den);
  return rounded < 1 ? 1 : rounded > limit ? limit : uint32_t(rounded);
}

Geometry plan_geometry(uint32_t src_w, uint32_t src_h, const PreprocessSpec& spec) {
  const uint32_t out_w = spec.width, out_h = spec.height;
  Geometry g{{src_w, 0.0, double(src_w), out_w}, {src_h, 0.0, double(src_h), out_h}, {0, 0, out_w, out_h}};
  // Compare out_w / src_w with out_h / src_h without division.
  const bool width_scale_smaller = uint64_t(out_w) * src_h <= uint64_t(out_h) * src_w;
  if (spec.resize == ResizePolicy::letterbox) {
    // Fit inside: the smaller scale wins; the other side is rounded and centred.
    Rect& c = g.content;
    if (width_scale_smaller) c.height = scaled_side(src_h, out_w, src_w, out_h);
    else c.width = scaled_side(src_w, out_h, src_h, out_w);
    c.x = (out_w - c.width) / 2;
    c.y = (out_h - c.height) / 2;
    g.x.dst_size = c.width;
    g.y.dst_size = c.height;
  } else if (spec.resize == ResizePolicy::center_crop) {
    // Fill: the larger scale wins; the other axis reads a centred, possibly
    // fractional, window of the source.
    if (width_scale_smaller) {
      g.x.length = double(out_w) * src_h / out_h;
      g.x.start = (src_w - g.x.length) / 2;
    } else {
      g.y.length = double(out_h) * src_w / out_w;
      g.y.start = (src_h - g.y.length) / 2;
    }
  }
  return g;
}

// Appends one output index's taps: {first, count, offset} + weights.
void begin_taps(uint32_t first, uint32_t count, PreprocessScratch& s) {
  s.taps.push_back(first);
  s.taps.push_back(count);
  s.taps.push_back(uint32_t(s.weights.size()));
}

// Shrinking (or equal) axis: each output averages the source over its exact
// footprint; source pixels count by their overlap with it.
void build_box_taps(const AxisMap& axis, PreprocessScratch& s) {
  const double step = axis.length / axis.dst_size;
  for (uint32_t i = 0; i < axis.dst_size; ++i) {
    const double lo = axis.start + i * step;
    const double hi = i + 1 == axis.dst_size ? axis.start + axis.length : axis.start + (i + 1) * step;
    double first = std::floor(lo), end = std::ceil(hi);
    if (first < 0) first = 0;
    if (end > axis.src_size) end = axis.src_size;
    if (end <= first) end = first + 1;
    const uint32_t k0 = uint32_t(first), k1 = uint32_t(end);
    double total = 0;
    for (uint32_t k = k0; k < k1; ++k) total += std::fmax(0.0, std::fmin(hi, k + 1.0) - std::fmax(lo, double(k)));
    begin_taps(k0, k1 - k0, s);
    for (uint32_t k = k0; k < k1; ++k) {
      const double overlap = std::fmax(0.0, std::fmin(hi, k + 1.0) - std::fmax(lo, double(k)));
      s.weights.push_back(total > 0 ? float(overlap / total) : (k == k0 ? 1.0f : 0.0f));
    }
  }
}

// Growing axis: linear interpolation between pixel centres, clamped to the
// image's edge pixels.
void build_linear_taps(const AxisMap& axis, PreprocessScratch& s) {
  const double step = axis.length / axis.dst_size;
  const double last = axis.src_size - 1.0;
  for (uint32_t i = 0; i < axis.dst_size; ++i) {
    double x = axis.start + (i + 0.5) * step - 0.5;
    x = x < 0 ? 0 : x > last ? last : x;
    const uint32_t k0 = uint32_t(x);
    if (k0 + 1 >= axis.src_size) {
      begin_taps(axis.src_size - 1, 1, s);
      s.weights.push_back(1.0f);
      continue;
    }
    const double f = x - k0;
    begin_taps(k0, 2, s);
    s.weights.push_back(float(1.0 - f));
    s.weights.push_back(float(f));
  }
}

// Shrinking axis, prescale step: a triangle (tent) filter of half-width
// `scale` source pixels around each output's centre (PIL's "bilinear" when
// reducing), weights normalised to 1. Whole axis, so no clamping of centres.
void build_triangle_taps(const AxisMap& axis, PreprocessScratch& s) {
  const double scale = axis.length / axis.dst_size, support = std::fmax(1.0, scale);
  for (uint32_t i = 0; i < axis.dst_size; ++i) {
    const double centre = axis.start + (i + 0.5) * scale;  // pixel k's centre is k + 0.5
    const double lo = std::fmax(0.0, std::floor(centre - support)),
                 hi = std::fmin(double(axis.src_size), std::ceil(centre + support));
    const uint32_t k0 = uint32_t(lo), k1 = uint32_t(std::fmax(hi, lo + 1));
    double total = 0;
    for (uint32_t k = k0; k < k1; ++k) total += std::fmax(0.0, 1.0 - std::fabs(k + 0.5 - centre) / support);
    begin_taps(k0, k1 - k0, s);
    for (uint32_t k = k0; k < k1; ++k) {
      const double w = std::fmax(0.0, 1.0 - std::fabs(k + 0.5 - centre) / support);
      s.weights.push_back(total > 0 ? float(w / total) : (k == k0 ? 1.0f : 0.0f));
    }
  }
}

enum class Filter { box, triangle };

void build_axis_taps(const AxisMap& axis, Filter filter, PreprocessScratch& s) {
  if (axis.length < axis.dst_size) build_linear_taps(axis, s);
  else if (filter == Filter::triangle) build_triangle_taps(axis, s);
  else build_box_taps(axis, s);  // also the identity: one tap of weight 1
}

// Resamples the image into s.b (content.height x content.width), in [0, 1].
// The two planes go through try_resize (`refusal` its sentence); the tap
// tables are a few entries per row and column.
Status resample(const Image& image, const Geometry& g, Filter filter, PreprocessScratch& s, const char* refusal) {
  s.taps.clear();
  s.weights.clear();
  build_axis_taps(g.x, filter, s);
  build_axis_taps(g.y, filter, s);
  const uint32_t out_w = g.x.dst_size, out_h = g.y.dst_size;
  const uint32_t* x_taps = s.taps.data();
  const uint32_t* y_taps = s.taps.data() + 3 * size_t(out_w);
  const float* weights = s.weights.data();

  // Horizontal pass over the source rows the vertical taps read.
  const uint32_t row_begin = y_taps[0];
  const uint32_t row_end = y_taps[3 * (out_h - 1)] + y_taps[3 * (out_h - 1) + 1];
  CXR_TRY(try_resize(&s.a, size_t(row_end - row_begin) * out_w, refusal));
  for (uint32_t r = row_begin; r < row_end; ++r) {
    const uint16_t* src = image.pixels.data() + size_t(r) * image.width;
    float* dst = s.a.data() + size_t(r - row_begin) * out_w;
    for (uint32_t x = 0; x < out_w; ++x) {
      const uint32_t* t = x_taps + 3 * size_t(x);
      const uint16_t* p = src + t[0];
      const float* w = weights + t[2];
      float acc = 0.0f;
      for (uint32_t k = 0; k < t[1]; ++k) acc += w[k] * float(p[k]);
      dst[x] = acc;
    }
  }

  // Vertical pass, then pixel units -> [0, 1].
  const float max_value = float(image.max_value);
  CXR_TRY(try_resize(&s.b, size_t(out_h) * out_w, refusal));
  for (uint32_t y = 0; y < out_h; ++y) {
    const uint32_t* t = y_taps + 3 * size_t(y);
    const float* w = weights + t[2];
    float* dst = s.b.data() + size_t(y) * out_w;
    for (uint32_t x = 0; x < out_w; ++x) dst[x] = 0.0f;
    for (uint32_t k = 0; k < t[1]; ++k) {
      const float* row = s.a.data() + size_t(t[0] + k - row_begin) * out_w;
      for (uint32_t x = 0; x < out_w; ++x) dst[x] += w[k] * row[x];
    }
    for (uint32_t x = 0; x < out_w; ++x) dst[x] /= max_value;
  }
  return Ok();
}

uint32_t histogram_bin(float x) {
  if (!(x > 0.0f)) return 0;
  const float scaled = x * 256.0f;
  return scaled >= 255.0f ? 255 : uint32_t(scaled);
}

// y = (cdf[bin] - cdf_min) / (N - cdf_min), cdf_min = count of the lowest
// occupied bin. When every value shares one bin there is no contrast to
// spread: the values are kept as they are.
void equalize(std::vector<float>& values) {
  uint32_t histogram[256] = {};
  for (float v : values) ++histogram[histogram_bin(v)];
  uint32_t cdf[256];
  uint32_t running = 0, cdf_min = 0;
  for (int i = 0; i < 256; ++i) {
    running += histogram[i];
    cdf[i] = running;
    if (cdf_min == 0) cdf_min = running;
  }
  const uint32_t n = running;
  if (n == cdf_min) return;
  float mapping[256];
  for (int i = 0; i < 256; ++i) mapping[i] = cdf[i] < cdf_min ? 0.0f : float(cdf[i] - cdf_min) / float(n - cdf_min);
  for (float& v : values) v = mapping[histogram_bin(v)];
}

// Every mode is y = (x - offset) / divisor; unit uses (0, 1), which is exact.
struct Affine {
  float offset = 0.0f, divisor = 1.0f;
};

// Statistics over the content: `values` is its top-left pixel, rows `stride` apart.
Affine normalization(const PreprocessSpec& spec, const float* values, size_t stride, const Rect& content) {
  if (spec.normalize == Normalization::fixed) return {spec.mean, spec.std};
  if (spec.normalize != Normalization::per_image) return {};
  const double count = double(content.width) * content.height;
  double sum = 0;
  for (uint32_t y = 0; y < content.height; ++y)
    for (uint32_t x = 0; x < content.width; ++x) sum += values[y * stride + x];
  const double mean = sum / count;
  double squares = 0;
  for (uint32_t y = 0; y < content.height; ++y)
    for (uint32_t x = 0; x < content.width; ++x) {
      const float v = values[y * stride + x];
      squares += (v - mean) * (v - mean);
    }
  const double std_dev = std::sqrt(squares / count);
  return {float(mean), float(std::fmax(std_dev, 1e-6))};
}

// Pads, normalises and replicates into the HWC output; `values` as above.
void write_output(const PreprocessSpec& spec, const Rect& content, const float* values, size_t stride,
                  const Affine& affine, float* out) {
  const float padding = (0.0f - affine.offset) / affine.divisor;
  for (uint32_t y = 0; y < spec.height; ++y) {
    const bool row_inside = y >= content.y && y < content.y + content.height;
    for (uint32_t x = 0; x < spec.width; ++x) {
      const bool inside = row_inside && x >= content.x && x < content.x + content.width;
      const float v =
          inside ? (values[(y - content.y) * stride + (x - content.x)] - affine.offset) / affine.divisor : padding;
      for (uint32_t c = 0; c < spec.channels; ++c) *out++ = v;
    }
  }
}

Status check_image(const Image& image) {
  if (image.width == 0 || image.height == 0 || image.width > CXR_MAX_IMAGE_SIDE || image.height > CXR_MAX_IMAGE_SIDE ||
      image.pixels.size() != size_t(image.width) * image.height || image.max_value == 0)
    return Fail(cxr_status_invalid_argument,
                "preprocess: image %ux%u with %zu pixels and max value %u is not a valid decoded image", image.width,
                image.height, image.pixels.size(), image.max_value);
  return Ok();
}

}  // namespace

Status validate_spec(const PreprocessSpec& spec) {
  if (spec.width < 1 || spec.width > kMaxSpecSide || spec.height < 1 || spec.height > kMaxSpecSide)
    return Fail(cxr_status_invalid_model, "preprocessing size %ux%u is outside 1..%u", spec.width, spec.height,
                kMaxSpecSide);
  if (spec.channels != 1 && spec.channels != 3)
    return Fail(cxr_status_invalid_model, "preprocessing channels %u: only 1 or 3 are supported", spec.channels);
  if (spec.resize != ResizePolicy::stretch && spec.resize != ResizePolicy::letterbox &&
      spec.resize != ResizePolicy::center_crop)
    return Fail(cxr_status_invalid_model, "unknown resize policy %d", int(spec.resize));
  if (spec.normalize != Normalization::unit && spec.normalize != Normalization::fixed &&
      spec.normalize != Normalization::per_image)
    return Fail(cxr_status_invalid_model, "unknown normalization %d", int(spec.normalize));
  if (!std::isfinite(spec.mean) || !std::isfinite(spec.std) || !(spec.std > 0.0f))
    return Fail(cxr_status_invalid_model, "normalization mean %g / std %g: need finite values and std > 0",
                double(spec.mean), double(spec.std));
  if ((spec.prescale_width == 0) != (spec.prescale_height == 0) || spec.prescale_width > kMaxSpecSide ||
      spec.prescale_height > kMaxSpecSide)
    return Fail(cxr_status_invalid_model, "prescale size %ux%u: need both sides in 1..%u (or neither)",
                spec.prescale_width, spec.prescale_height, kMaxSpecSide);
  if (spec.prescale_width && spec.resize != ResizePolicy::stretch)
    return Fail(cxr_status_invalid_model, "prescale is defined for the stretch resize policy only");
  return Ok();
}

namespace {

// Checks, then geometry + resampling + equalisation into s.b (content only).
Status stage1(const Image& image, const PreprocessSpec& spec, PreprocessScratch& s, Rect* content) {
  CXR_TRY(validate_spec(spec));
  CXR_TRY(check_image(image));
  char refusal[80];
  snprintf(refusal, sizeof refusal, "not enough memory to preprocess a %ux%u image", image.width, image.height);
  const Image* source = &image;
  if (spec.prescale_width && (image.width != spec.prescale_width || image.height != spec.prescale_height)) {
    PreprocessSpec to = spec;
    to.width = spec.prescale_width, to.height = spec.prescale_height;
    CXR_TRY(resample(image, plan_geometry(image.width, image.height, to), Filter::triangle, s, refusal));
    Image& p = s.prescaled;  // 16-bit, like a decoded film: rounding costs < 1e-5 of full scale
    p.width = to.width, p.height = to.height, p.bit_depth = 16, p.max_value = 65535;
    CXR_TRY(try_resize(&p.pixels, s.b.size(), refusal));
    for (size_t i = 0; i < s.b.size(); ++i)
      p.pixels[i] = uint16_t(std::lround(std::fmin(1.0f, std::fmax(0.0f, s.b[i])) * 65535.0f));
    source = &p;
  }
  const Geometry geometry = plan_geometry(source->width, source->height, spec);
  CXR_TRY(resample(*source, geometry, Filter::box, s, refusal));
  if (spec.equalize) equalize(s.b);
  *content = geometry.content;
  return Ok();
}

}  // namespace

Status preprocess(const Image& image, const PreprocessSpec& spec, PreprocessScratch* scratch, float* out) {
  if (!out) return Fail(cxr_status_invalid_argument, "preprocess: no output buffer given");
  PreprocessScratch local;
  PreprocessScratch& s = scratch ? *scratch : local;
  Rect content;
  CXR_TRY(stage1(image, spec, s, &content));
  const float* values = s.b.data();
  write_output(spec, content, values, content.width, normalization(spec, values, content.width, content), out);
  return Ok();
}

Status resample_plane(const Image& image, const PreprocessSpec& spec, PreprocessScratch* scratch, float* plane,
                      ContentRect* content_out) {
  if (!plane || !content_out) return Fail(cxr_status_invalid_argument, "resample_plane: no output buffer given");
  PreprocessScratch local;
  PreprocessScratch& s = scratch ? *scratch : local;
  Rect content;
  CXR_TRY(stage1(image, spec, s, &content));
  for (size_t i = 0; i < size_t(spec.width) * spec.height; ++i) plane[i] = 0.0f;
  for (uint32_t y = 0; y < content.height; ++y)
    for (uint32_t x = 0; x < content.width; ++x)
      plane[size_t(content.y + y) * spec.width + content.x + x] = s.b[size_t(y) * content.width + x];
  *content_out = ContentRect{content.x, content.y, content.width, content.height};
  return Ok();
}

void normalize_plane(const float* plane, const ContentRect& c, const PreprocessSpec& spec, float* out) {
  const Rect content{c.x, c.y, c.width, c.height};
  const float* values = plane + size_t(c.y) * spec.width + c.x;
  write_output(spec, content, values, spec.width, normalization(spec, values, spec.width, content), out);
}

}  // namespace cxr
