#include "classify/cam.h"

#include <algorithm>
#include <cmath>

namespace cxr {

void class_activation_map(const float* features, Shape shape, const float* class_weights, std::vector<float>* cam) {
  const size_t positions = size_t(shape.h) * shape.w;
  cam->assign(positions, 0.0f);
  for (size_t p = 0; p < positions; ++p) {
    const float* f = features + p * shape.c;
    double sum = 0;
    for (uint32_t c = 0; c < shape.c; ++c) sum += double(class_weights[c]) * f[c];
    (*cam)[p] = float(sum);
  }
}

namespace {
// Source coordinate of output index i (half-pixel centres), split into the two
// neighbours and the weight of the second.
void sample_axis(uint32_t i, uint32_t in, uint32_t out, uint32_t* i0, uint32_t* i1, float* t) {
  const float x = std::max(0.0f, (i + 0.5f) * float(in) / float(out) - 0.5f);
  *i0 = std::min(uint32_t(x), in - 1);
  *i1 = std::min(*i0 + 1, in - 1);
  *t = x - float(*i0);
}
}  // namespace

void heatmap_from_cam(const std::vector<float>& cam, uint32_t w, uint32_t h, uint32_t out_w, uint32_t out_h,
                      std::vector<float>* heatmap) {
  heatmap->assign(size_t(out_w) * out_h, 0.0f);
  float peak = 0;
  for (uint32_t y = 0; y < out_h; ++y) {
    uint32_t y0, y1, x0, x1;
    float ty, tx;
    sample_axis(y, h, out_h, &y0, &y1, &ty);
    for (uint32_t x = 0; x < out_w; ++x) {
      sample_axis(x, w, out_w, &x0, &x1, &tx);
      const float top = cam[y0 * w + x0] * (1 - tx) + cam[y0 * w + x1] * tx;
      const float bottom = cam[y1 * w + x0] * (1 - tx) + cam[y1 * w + x1] * tx;
      const float v = std::max(0.0f, top * (1 - ty) + bottom * ty);
      (*heatmap)[size_t(y) * out_w + x] = v;
      peak = std::max(peak, v);
    }
  }
  if (peak > 0)
    for (float& v : *heatmap) v /= peak;
}

}  // namespace cxr
