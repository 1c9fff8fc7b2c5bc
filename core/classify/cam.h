// Class activation maps (Zhou et al. 2016) for a network ending in
// global_avg_pool -> dense: the dense row of a class applied to the last
// feature map, position by position. Because both are linear,
//   logit[k] = bias[k] + mean over (y, x) of cam_k[y][x],
// which the tests use to check it. No backward pass needed.
#pragma once
#include <vector>

#include "nn/layers.h"

namespace cxr {

// cam[y*w + x] = sum_c class_weights[c] * features[(y*w + x)*c_count + c]
void class_activation_map(const float* features, Shape shape, const float* class_weights, std::vector<float>* cam);

// Upsamples a CAM to out_w x out_h (bilinear, half-pixel centres), keeps the
// positive evidence only, and scales it to [0, 1] (all zero if none).
void heatmap_from_cam(const std::vector<float>& cam, uint32_t w, uint32_t h, uint32_t out_w, uint32_t out_h,
                      std::vector<float>* heatmap);

}  // namespace cxr
