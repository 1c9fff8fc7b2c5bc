// The two shortcut measures of issue 14 (`cxr-train shortcuts`), as plain
// functions on a decoded film and on the heat map the core returns, so that
// the tests can check their geometry on synthetic images:
//  - shape: does the decision follow the film's width/height ratio? The
//    film's content is scaled horizontally and the same film classified again;
//  - heat map: does the model look at the edges of the film rather than the
//    lungs? Share of the heat map's mass in the outer frame, and the peak.
#pragma once
#include <cstdint>

#include "common/status.h"
#include "decode/image.h"
#include "trainer/ood_images.h"

namespace cxr::train {

// `image`'s content scaled horizontally by `factor` (rows untouched) and
// brought back to the image's own width, so that only the shape of what is
// shown changes: the content is resampled to round(width * factor) columns
// (halves up) by the core's resampler (resample_plane: an exact area average
// when shrinking, linear interpolation when growing); a narrower result is
// padded by repeating its first and last columns, a wider one is
// centre-cropped; either way half the difference goes to each side, the odd
// column to the right. Samples are rounded to 8 bits (an 8-bit film at
// factor 1 comes back unchanged). Fails (with the core's reason) when the
// resampler refuses the size.
Status scale_content_horizontally(const Image& image, double factor, GrayImage* out);

// Where a heat map (width x height, row-major) puts its positive mass, against
// the outer frame `frame_fraction` of each side wide on every edge (0.1: a
// frame covering 1 - 0.8^2 = 36% of the area). A pixel straddling the frame's
// inner edge counts by the share of its area inside the frame, so a uniform
// map gives exactly the frame's area share at any size.
struct HeatmapPlacement {
  bool has_mass = false;       // false when no value is positive: then nothing below means anything
  double border_mass = 0;      // share of the positive mass inside the frame, in [0, 1]
  bool peak_in_frame = false;  // the first maximum (row-major) has its centre inside the frame
};
// The frame the issue measures and `cxr-train fit --frame-evidence` trains against.
constexpr double kHeatmapFrame = 0.1;
HeatmapPlacement heatmap_placement(const float* values, uint32_t width, uint32_t height,
                                   double frame_fraction = kHeatmapFrame);

}  // namespace cxr::train
