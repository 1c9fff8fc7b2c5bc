// Naive scalar kernels: what every op means, written for clarity (plain loops,
// double accumulation). Tests compare the fast backends against them and the
// reference Backend (make_reference_backend) runs whole plans with them. Not
// meant for production: slow, and it allocates nothing only because tests
// do not care.
#pragma once
#include <cfloat>
#include <cstddef>

#include "nn/backend.h"

namespace cxr::reference {

// Every kernel writes `output` and, when `magnitude` is non-null, for each
// output element the scale of its rounding error: the sum of the absolute
// values of the terms added up to make it (bias included). With
// reduction_size() this gives a tolerance (see error_bound).

// OHWI weights, any groups (depthwise included), fused bias + activation.
void conv2d(const LayerDesc& layer, Shape in, const float* input, Shape out, float* output, float* magnitude);
// Padded elements never win (they are not part of the window).
void max_pool(const LayerDesc& layer, Shape in, const float* input, Shape out, float* output, float* magnitude);
// Averages over the window's valid (non-padded) elements only: padding is not
// counted in the divisor. This is what XNNPACK's average pooling does whenever
// there is padding (and PyTorch's count_include_pad=False, TF's SAME pooling).
void avg_pool(const LayerDesc& layer, Shape in, const float* input, Shape out, float* output, float* magnitude);
void global_avg_pool(Shape in, const float* input, float* output, float* magnitude);
// Input flattened in HWC order; weight [units][in].
void dense(const LayerDesc& layer, Shape in, const float* input, float* output, float* magnitude);
void add(Activation activation, size_t count, const float* a, const float* b, float* output, float* magnitude);
// Softmax over the channels of every pixel, max-subtracted so large logits do
// not overflow.
void softmax(Shape shape, const float* input, float* output, float* magnitude);

// Runs layer `index` of `plan` on `arena`. `magnitudes` (same layout as the
// arena, or null) receives the error scales of the layer's output.
void run_layer(const Plan& plan, size_t index, float* arena, float* magnitudes);

// How many terms each output of layer `index` adds up (K of the error bound).
size_t reduction_size(const Plan& plan, size_t index);

// Largest |fast - reference| accepted for an output that sums `terms` values
// whose absolute values add up to `magnitude`, computed in float in any order,
// with or without FMA. Recursive summation errs by at most
// (terms - 1) * (FLT_EPSILON / 2) * magnitude (Higham's gamma_n bound); we
// allow (terms + 2) * FLT_EPSILON * magnitude: about twice that, plus the
// final rounding and an ulp for exp() in softmax; and 16 * FLT_MIN absolute,
// because fast exp() implementations (XNNPACK's) flush results near the
// smallest normal float to zero. A wrong or missing term is ~magnitude /
// terms, far above this for any realistic K.
inline float error_bound(size_t terms, float magnitude) {
  return float(terms + 2) * FLT_EPSILON * magnitude + 16 * FLT_MIN;
}

}  // namespace cxr::reference
