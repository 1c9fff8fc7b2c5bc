// The trained networks as small graphs of ops that map one-to-one onto the
// core's layers: conv (+ batch norm while training, folded at export), add,
// global average pool, dense. Plain C++ (no LibTorch), so the tests and the
// fixture builder read the same definition the trainer trains.
#pragma once
#include <string>
#include <vector>

#include "nn/layers.h"

namespace cxr::train {

struct Op {
  enum Kind { conv, add, gap, dense } kind = conv;
  std::string name;
  std::vector<std::string> inputs;  // op names or "input"; empty: the previous op
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, groups = 1;
  // Zero padding of a conv on each spatial axis: before (top, left) and after
  // (bottom, right). "Same" convolutions pad kernel/2 on both sides; Keras'
  // stride-2 MobileNetV2 layers pad 0 before and 1 after (ZeroPadding2D then
  // 'valid'), and a pretrained checkpoint only computes what it learned with
  // its own padding.
  int pad_before = 0, pad_after = 0;
  Activation activation = Activation::none;  // conv and add
  double batch_norm_eps = 1e-5;              // conv: its batch norm's epsilon
};

// Known names: "resnet" and "mobilenet_v2_035".
//  - resnet: a 3x3/stride-2 stem, then `blocks_per_stage` ResNet basic blocks
//    per stage (the first with stride 2 and a 1x1 projection shortcut) at widths
//    w*{1.5,3,6,12}, GAP, dense. `width` is the stem's channels.
//  - mobilenet_v2_035: MobileNetV2 at width multiplier 0.35 (Sandler et al.
//    2018) as Keras Applications builds it, op names = its layer names
//    ("Conv1", "block_3_depthwise", ...) so pretrained weights map by name;
//    one gray input channel; ReLU6; linear projections; residual adds where
//    shapes match; then GAP and a dense head, so the heat map is a CAM.
//    `width` and `blocks_per_stage` are ignored.
// Empty for an unknown name.
std::vector<Op> make_architecture(const std::string& name, int width, int blocks_per_stage);
bool is_known_architecture(const std::string& name);

}  // namespace cxr::train

namespace cxr::train {

// The core layer an op becomes, without its weights: type, geometry, padding,
// activation, inputs (an op fed by the previous one keeps `inputs` empty).
LayerDesc layer_of(const Op& op, const std::string& previous_op);

}  // namespace cxr::train
