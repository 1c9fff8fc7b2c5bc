#include "trainer/shortcut_measures.h"

#include <algorithm>
#include <cmath>

#include "preprocess/preprocess.h"

namespace cxr::train {
namespace {

// The part of pixel i's extent [i, i + 1) that lies inside [low, high).
double share_inside(uint32_t i, double low, double high) {
  return std::max(0.0, std::min(double(i) + 1, high) - std::max(double(i), low));
}

}  // namespace

Status scale_content_horizontally(const Image& image, double factor, GrayImage* out) {
  if (!(factor > 0) || !std::isfinite(factor))
    return Fail(cxr_status_invalid_argument, "horizontal scale factor %g: need a positive number", factor);
  const uint32_t scaled_width = std::max<uint32_t>(1, uint32_t(std::floor(double(image.width) * factor + 0.5)));
  // The core's stage-1 resampling with a plain stretch to (scaled width, own
  // height): the rows map one to one (weight 1), the columns are resampled.
  PreprocessSpec spec;
  spec.width = scaled_width;
  spec.height = image.height;
  spec.resize = ResizePolicy::stretch;
  spec.equalize = false;
  std::vector<float> plane(size_t(scaled_width) * image.height);
  ContentRect content;
  const Status status = resample_plane(image, spec, nullptr, plane.data(), &content);
  if (!status.ok())
    return Fail(status.code, "scaling a %ux%u film's content horizontally by %g: %s", image.width, image.height, factor,
                status.message.c_str());
  // Output column x shows resampled column x - offset, clamped to the content:
  // a positive offset pads (edge columns repeat), a negative one crops.
  const int64_t offset = (int64_t(image.width) - int64_t(scaled_width)) / 2;
  out->width = int(image.width);
  out->height = int(image.height);
  out->pixels.resize(size_t(image.width) * image.height);
  for (uint32_t y = 0; y < image.height; ++y) {
    const float* row = plane.data() + size_t(y) * scaled_width;
    uint8_t* dst = out->pixels.data() + size_t(y) * image.width;
    for (uint32_t x = 0; x < image.width; ++x) {
      const int64_t source = std::clamp<int64_t>(int64_t(x) - offset, 0, int64_t(scaled_width) - 1);
      dst[x] = uint8_t(std::clamp(std::lround(double(row[source]) * 255.0), 0L, 255L));
    }
  }
  return Ok();
}

HeatmapPlacement heatmap_placement(const float* values, uint32_t width, uint32_t height, double frame_fraction) {
  // The frame's inner edges, in pixel units (pixel k covers [k, k + 1)).
  const double x_low = frame_fraction * width, x_high = (1 - frame_fraction) * width;
  const double y_low = frame_fraction * height, y_high = (1 - frame_fraction) * height;
  std::vector<double> column_inside(width);
  for (uint32_t x = 0; x < width; ++x) column_inside[x] = share_inside(x, x_low, x_high);
  double total = 0, border = 0;
  float peak = 0;
  size_t peak_at = 0;
  for (uint32_t y = 0; y < height; ++y) {
    const double row_inside = share_inside(y, y_low, y_high);
    for (uint32_t x = 0; x < width; ++x) {
      const size_t at = size_t(y) * width + x;
      const float v = std::max(0.0f, values[at]);  // the positive evidence only (NaN counts as none)
      if (!(v > 0)) continue;
      total += v;
      border += v * (1 - row_inside * column_inside[x]);
      if (v > peak) peak = v, peak_at = at;
    }
  }
  HeatmapPlacement placement;
  placement.has_mass = total > 0;
  if (!placement.has_mass) return placement;
  placement.border_mass = border / total;
  const double peak_x = double(peak_at % width) + 0.5, peak_y = double(peak_at / width) + 0.5;
  placement.peak_in_frame = peak_x < x_low || peak_x >= x_high || peak_y < y_low || peak_y >= y_high;
  return placement;
}

}  // namespace cxr::train
