// The network as the model file describes it: a list of layers over NHWC
// tensors with batch 1. Weights are views into the model's decoded values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/enum_names.h"

namespace cxr {

// Each enum and its names (the model file's "type" and "activation", and
// messages) from one list.
#define CXR_LAYER_TYPES(X) X(conv2d) X(max_pool) X(avg_pool) X(global_avg_pool) X(dense) X(add) X(softmax)
#define CXR_ACTIVATIONS(X) X(none) X(relu) X(relu6)
CXR_NAMED_ENUM(LayerType, kLayerTypeNames, CXR_LAYER_TYPES);
CXR_NAMED_ENUM(Activation, kActivationNames, CXR_ACTIVATIONS);

struct Shape {
  uint32_t h = 0, w = 0, c = 0;
  size_t size() const { return size_t(h) * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
};

struct TensorView {
  const float* data = nullptr;
  std::vector<uint32_t> dims;
};

struct LayerDesc {
  LayerType type = LayerType::conv2d;
  std::string name;
  // Names of the layers whose outputs feed this one ("input" is the network
  // input). Empty means the previous layer (or the input for the first one).
  // `add` takes two.
  std::vector<std::string> inputs;
  // conv2d / pools
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  uint32_t groups = 1;
  uint32_t out_channels = 0;                 // conv2d filters, dense units
  Activation activation = Activation::none;  // conv2d, dense, add
  // conv2d: weight [out_c][kh][kw][in_c/groups] (OHWI), bias [out_c].
  // dense:  weight [units][in] where `in` is the input flattened in HWC order,
  //         bias [units].
  TensorView weight, bias;
};

// What an activation clamps its output to: none (-inf, inf), relu [0, inf), relu6 [0, 6].
struct ActivationRange {
  float lo, hi;
};
ActivationRange activation_range(Activation activation);

inline const char* layer_type_name(LayerType type) { return enum_name(type, kLayerTypeNames); }
inline const char* activation_name(Activation activation) { return enum_name(activation, kActivationNames); }

}  // namespace cxr
