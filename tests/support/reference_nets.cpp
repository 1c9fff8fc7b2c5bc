#include "support/reference_nets.h"

#include <cmath>

namespace cxr::testing {
namespace {

// A net without layers yet, whose preprocessing makes exactly its input: a
// square of `side` pixels with `channels` channels, normalised as `normalize`.
ReferenceNet square_input_net(const char* arch, uint32_t side, uint32_t channels, Normalization normalize) {
  ReferenceNet net;
  net.arch = arch;
  net.input = Shape{side, side, channels};
  net.preprocess.width = net.preprocess.height = side;
  net.preprocess.channels = channels;
  net.preprocess.normalize = normalize;
  return net;
}

ReferenceNet study_cnn(uint32_t seed) {
  ReferenceNet net = square_input_net("study_cnn", 64, 3, Normalization::unit);
  NetBuilder b(net, seed);
  b.valid_conv("conv1", 32, 3, Activation::relu);
  b.pool("pool1", LayerType::max_pool, 2, 2, 0);
  b.valid_conv("conv2", 64, 3, Activation::relu);
  b.pool("pool2", LayerType::max_pool, 2, 2, 0);
  b.dense("fc1", 64, Activation::relu);
  b.dense("logits", 2, Activation::none);
  return net;
}

ReferenceNet resnet18(uint32_t seed) {
  ReferenceNet net = square_input_net("resnet18", 224, 1, Normalization::fixed);
  net.preprocess.mean = 0.5f;
  net.preprocess.std = 0.25f;
  NetBuilder b(net, seed);
  b.conv("stem", 64, 7, 2, Activation::relu);
  b.pool("stem_pool", LayerType::max_pool, 3, 2, 1);
  const uint32_t widths[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage)
    for (int block = 0; block < 2; ++block)
      b.basic_block("s" + std::to_string(stage + 1) + "b" + std::to_string(block + 1), widths[stage],
                    stage > 0 && block == 0 ? 2 : 1);
  b.global_pool("gap");
  b.dense("logits", 2, Activation::none);
  return net;
}

ReferenceNet tiny(uint32_t seed) {
  ReferenceNet net = square_input_net("tiny", 32, 1, Normalization::per_image);
  net.preprocess.equalize = true;
  NetBuilder b(net, seed);
  b.conv("conv1", 8, 3, 1, Activation::relu);
  const std::string down = b.conv("conv2", 16, 3, 2, Activation::relu);
  // Padded as Keras pads a stride-2 layer (0 before, 1 after; same output
  // size here), so every test and fuzz seed built on "tiny" covers the
  // asymmetric padding MobileNetV2 needs.
  net.layers.back().pad_top = net.layers.back().pad_left = 0;
  net.layers.back().pad_bottom = net.layers.back().pad_right = 1;
  b.conv("dw", 16, 3, 1, Activation::relu6, /*groups=*/16);
  const std::string project = b.conv("project", 16, 1, 1, Activation::none);
  b.add("residual", down, project, Activation::relu);
  b.pool("max", LayerType::max_pool, 2, 2, 0);
  b.pool("avg", LayerType::avg_pool, 3, 1, 1);
  b.conv("head", 12, 1, 1, Activation::relu);
  b.global_pool("gap");
  b.dense("logits", 2, Activation::none);
  return net;
}

}  // namespace

ReferenceNet make_reference_net(const std::string& arch, uint32_t seed) {
  if (arch == "study_cnn") return study_cnn(seed);
  if (arch == "resnet18") return resnet18(seed);
  if (arch == "tiny") return tiny(seed);
  return ReferenceNet{};
}

std::vector<std::string> reference_net_names() { return {"study_cnn", "resnet18", "tiny"}; }

}  // namespace cxr::testing
