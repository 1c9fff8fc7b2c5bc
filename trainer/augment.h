// Training-time augmentation of stage-1 planes ([N,1,H,W] in [0, 1]), with
// per-sample parameters drawn from one seeded generator (same seed, same
// batches, same bytes).
#pragma once
#include <torch/torch.h>

#include <random>

namespace cxr::train {

struct AugmentConfig {
  bool hflip = false;
  // Log-uniform random scale of the film along each axis, drawn
  // independently: in train/ the films' aspect ratio nearly gives the label
  // away (pneumonia films are wider), and squashing every film to a square
  // turns that into a shortcut; random aspect takes it away. 1:1 is off.
  double aspect_x_low = 1, aspect_x_high = 1, aspect_y_low = 1, aspect_y_high = 1;
  // Per edge, with this probability, a band of up to 12% of the side is
  // painted one random gray, so the film's edges (labels, arms, collimation)
  // cannot carry the label.
  double border_erase = 0;
};

// Geometric (rotation, shear, zoom, aspect, shift; borders repeat the edge
// pixels), photometric (gamma, contrast, brightness, blur, noise) and border
// erasing, in that order.
torch::Tensor augment(const torch::Tensor& planes, std::mt19937_64& rng, const AugmentConfig& config);

}  // namespace cxr::train
