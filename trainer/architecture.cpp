#include "trainer/architecture.h"

#include <algorithm>

namespace cxr::train {
namespace {

struct Builder {
  std::vector<Op> ops;

  std::string conv(const std::string& name, const std::string& from, int in, int out, int kernel, int stride,
                   Activation activation, int groups = 1) {
    Op op;
    op.kind = Op::conv;
    op.name = name;
    if (!from.empty()) op.inputs = {from};
    op.in_channels = in, op.out_channels = out, op.kernel = kernel, op.stride = stride, op.groups = groups;
    op.pad_before = op.pad_after = kernel / 2;
    op.activation = activation;
    ops.push_back(op);
    return name;
  }
  std::string add(const std::string& name, const std::string& a, const std::string& b, Activation activation) {
    Op op;
    op.kind = Op::add, op.name = name, op.inputs = {a, b}, op.activation = activation;
    ops.push_back(op);
    return name;
  }
  void head(int channels) {
    Op gap;
    gap.kind = Op::gap, gap.name = "gap";
    ops.push_back(gap);
    Op dense;
    dense.kind = Op::dense, dense.name = "logits", dense.in_channels = channels, dense.out_channels = 2;
    ops.push_back(dense);
  }
};

std::vector<Op> resnet(int width, int blocks_per_stage) {
  Builder b;
  std::string last = b.conv("stem", "input", 1, width, 3, 2, Activation::relu);
  int channels = width;
  const int stage_widths[] = {width * 3 / 2, width * 3, width * 6, width * 12};
  for (int stage = 0; stage < 4; ++stage)
    for (int block = 0; block < blocks_per_stage; ++block) {
      const std::string name = "s" + std::to_string(stage + 1) + "b" + std::to_string(block + 1);
      const int out = stage_widths[stage], stride = block == 0 ? 2 : 1;
      const std::string shortcut = stride == 1 && channels == out
                                       ? last
                                       : b.conv(name + "_down", last, channels, out, 1, stride, Activation::none);
      b.conv(name + "_a", last, channels, out, 3, stride, Activation::relu);
      const std::string branch = b.conv(name + "_b", "", out, out, 3, 1, Activation::none);
      last = b.add(name, shortcut, branch, Activation::relu);
      channels = out;
    }
  b.head(channels);
  return b.ops;
}

// Keras' _make_divisible: channels rounded to a multiple of 8, never more than
// 10% below the unrounded value.
int make_divisible(double value) {
  int rounded = std::max(8, int(value + 4) / 8 * 8);
  if (rounded < 0.9 * value) rounded += 8;
  return rounded;
}

std::vector<Op> mobilenet_v2(double alpha) {
  Builder b;
  constexpr double kEps = 1e-3;  // Keras' BatchNormalization epsilon in MobileNetV2
  // A stride-2 3x3 conv as Keras pads it on even inputs: 0 before, 1 after.
  auto keras_stride2 = [&](Op& op) { op.pad_before = 0, op.pad_after = 1; };
  int channels = make_divisible(32 * alpha);
  b.conv("Conv1", "input", 1, channels, 3, 2, Activation::relu6);
  keras_stride2(b.ops.back());
  // (expansion, output channels before alpha, repeats, first stride) per stage.
  const int stages[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int block = 0;
  std::string last = "Conv1";
  for (const auto& stage : stages)
    for (int repeat = 0; repeat < stage[2]; ++repeat, ++block) {
      const int expansion = stage[0], out = make_divisible(stage[1] * alpha), stride = repeat == 0 ? stage[3] : 1;
      const std::string prefix = block == 0 ? "expanded_conv_" : "block_" + std::to_string(block) + "_";
      const std::string input = last;
      int hidden = channels;
      if (expansion != 1) {
        hidden = channels * expansion;
        b.conv(prefix + "expand", input, channels, hidden, 1, 1, Activation::relu6);
      }
      b.conv(prefix + "depthwise", "", hidden, hidden, 3, stride, Activation::relu6, hidden);
      if (stride == 2) keras_stride2(b.ops.back());
      last = b.conv(prefix + "project", "", hidden, out, 1, 1, Activation::none);
      if (stride == 1 && channels == out) last = b.add(prefix + "add", input, last, Activation::none);
      channels = out;
    }
  const int top = alpha > 1.0 ? make_divisible(1280 * alpha) : 1280;
  b.conv("Conv_1", last, channels, top, 1, 1, Activation::relu6);
  for (Op& op : b.ops) op.batch_norm_eps = kEps;
  b.head(top);
  return b.ops;
}

}  // namespace

std::vector<Op> make_architecture(const std::string& name, int width, int blocks_per_stage) {
  if (name == "resnet") return resnet(width, blocks_per_stage);
  if (name == "mobilenet_v2_035") return mobilenet_v2(0.35);
  return {};
}

bool is_known_architecture(const std::string& name) { return !make_architecture(name, 8, 1).empty(); }

}  // namespace cxr::train

namespace cxr::train {

LayerDesc layer_of(const Op& op, const std::string& previous_op) {
  LayerDesc l;
  l.name = op.name;
  l.inputs = op.inputs;
  if (op.kind != Op::add && l.inputs.size() == 1 && l.inputs[0] == previous_op) l.inputs.clear();
  l.activation = op.activation;
  switch (op.kind) {
    case Op::conv:
      l.type = LayerType::conv2d;
      l.kernel_h = l.kernel_w = uint32_t(op.kernel);
      l.stride_h = l.stride_w = uint32_t(op.stride);
      l.pad_top = l.pad_left = uint32_t(op.pad_before);
      l.pad_bottom = l.pad_right = uint32_t(op.pad_after);
      l.groups = uint32_t(op.groups);
      l.out_channels = uint32_t(op.out_channels);
      break;
    case Op::add: l.type = LayerType::add; break;
    case Op::gap: l.type = LayerType::global_avg_pool; break;
    case Op::dense:
      l.type = LayerType::dense;
      l.out_channels = uint32_t(op.out_channels);
      break;
  }
  return l;
}

}  // namespace cxr::train
