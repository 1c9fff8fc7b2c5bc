#include "support/reference_nets.h"

#include <cmath>
#include <map>
#include <random>

#include "nn/plan.h"

namespace cxr::testing {
namespace {

// Appends layers with He-uniform weights, tracking every value's shape.
struct Builder {
  ReferenceNet& net;
  std::mt19937 rng;
  std::map<std::string, Shape> shapes;
  std::string last = "input";

  Builder(ReferenceNet& n, uint32_t seed) : net(n), rng(seed) { shapes["input"] = n.input; }

  TensorView tensor(const std::string& name, std::vector<uint32_t> dims, float bound) {
    size_t n = 1;
    for (uint32_t d : dims) n *= d;
    NetTensor& t = net.tensors.emplace_back(NetTensor{name, dims, std::vector<float>(n)});
    std::uniform_real_distribution<float> dist(-bound, bound);
    for (float& v : t.values) v = dist(rng);
    return TensorView{t.values.data(), t.dims};
  }

  // A layer reads the previous one by default; name its input only when it differs.
  const std::string& add_layer(LayerDesc l, const std::string& from, Shape out) {
    const std::string previous = net.layers.empty() ? "input" : net.layers.back().name;
    if (l.type != LayerType::add && from != previous) l.inputs = {from};
    shapes[l.name] = out;
    net.layers.push_back(std::move(l));
    last = net.layers.back().name;
    return last;
  }

  const std::string& conv(const std::string& name, uint32_t filters, uint32_t k, uint32_t stride, Activation act,
                          uint32_t groups = 1, float gain = 1.0f, const std::string& from = "") {
    const std::string source = from.empty() ? last : from;
    const Shape in = shapes[source];
    LayerDesc l;
    l.type = LayerType::conv2d;
    l.name = name;
    l.kernel_h = l.kernel_w = k;
    l.stride_h = l.stride_w = stride;
    l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = k / 2;
    l.groups = groups;
    l.out_channels = filters;
    l.activation = act;
    const uint32_t fan_in = k * k * (in.c / groups);
    l.weight = tensor(name + ".weight", {filters, k, k, in.c / groups}, gain * std::sqrt(6.0f / fan_in));
    l.bias = tensor(name + ".bias", {filters}, 0.1f);
    Shape out{window_output_size(in.h, k, stride, k / 2, k / 2), window_output_size(in.w, k, stride, k / 2, k / 2),
              filters};
    return add_layer(std::move(l), source, out);
  }

  const std::string& valid_conv(const std::string& name, uint32_t filters, uint32_t k, Activation act) {
    conv(name, filters, k, 1, act);
    LayerDesc& l = net.layers.back();
    l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 0;
    Shape& out = shapes[name];
    out.h -= k - 1, out.w -= k - 1;
    return last;
  }

  const std::string& pool(const std::string& name, LayerType type, uint32_t k, uint32_t stride, uint32_t pad) {
    const Shape in = shapes[last];
    LayerDesc l;
    l.type = type;
    l.name = name;
    l.kernel_h = l.kernel_w = k;
    l.stride_h = l.stride_w = stride;
    l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = pad;
    Shape out{window_output_size(in.h, k, stride, pad, pad), window_output_size(in.w, k, stride, pad, pad), in.c};
    return add_layer(std::move(l), last, out);
  }

  const std::string& global_pool(const std::string& name) {
    LayerDesc l;
    l.type = LayerType::global_avg_pool;
    l.name = name;
    return add_layer(std::move(l), last, Shape{1, 1, shapes[last].c});
  }

  const std::string& dense(const std::string& name, uint32_t units, Activation act) {
    const uint32_t in = uint32_t(shapes[last].size());
    LayerDesc l;
    l.type = LayerType::dense;
    l.name = name;
    l.out_channels = units;
    l.activation = act;
    l.weight = tensor(name + ".weight", {units, in}, std::sqrt(6.0f / in));
    l.bias = tensor(name + ".bias", {units}, 0.1f);
    return add_layer(std::move(l), last, Shape{1, 1, units});
  }

  const std::string& add(const std::string& name, const std::string& a, const std::string& b, Activation act) {
    LayerDesc l;
    l.type = LayerType::add;
    l.name = name;
    l.inputs = {a, b};
    l.activation = act;
    return add_layer(std::move(l), a, shapes[a]);
  }

  // ResNet basic block: two 3x3 convs, identity or 1x1/stride shortcut.
  void basic_block(const std::string& name, uint32_t filters, uint32_t stride) {
    const std::string in = last;
    std::string shortcut = in;
    if (stride != 1 || shapes[in].c != filters)
      shortcut = conv(name + "_down", filters, 1, stride, Activation::none, 1, 1.0f, in);
    conv(name + "_a", filters, 3, stride, Activation::relu, 1, 1.0f, in);
    const std::string branch = conv(name + "_b", filters, 3, 1, Activation::none, 1, 0.5f);
    add(name, shortcut, branch, Activation::relu);
  }
};

ReferenceNet study_cnn(uint32_t seed) {
  ReferenceNet net;
  net.arch = "study_cnn";
  net.input = Shape{64, 64, 3};
  net.preprocess.width = net.preprocess.height = 64;
  net.preprocess.channels = 3;
  net.preprocess.normalize = Normalization::unit;
  Builder b(net, seed);
  b.valid_conv("conv1", 32, 3, Activation::relu);
  b.pool("pool1", LayerType::max_pool, 2, 2, 0);
  b.valid_conv("conv2", 64, 3, Activation::relu);
  b.pool("pool2", LayerType::max_pool, 2, 2, 0);
  b.dense("fc1", 64, Activation::relu);
  b.dense("logits", 2, Activation::none);
  return net;
}

ReferenceNet resnet18(uint32_t seed) {
  ReferenceNet net;
  net.arch = "resnet18";
  net.input = Shape{224, 224, 1};
  net.preprocess.normalize = Normalization::fixed;
  net.preprocess.mean = 0.5f;
  net.preprocess.std = 0.25f;
  Builder b(net, seed);
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
  ReferenceNet net;
  net.arch = "tiny";
  net.input = Shape{32, 32, 1};
  net.preprocess.width = net.preprocess.height = 32;
  net.preprocess.equalize = true;
  net.preprocess.normalize = Normalization::per_image;
  Builder b(net, seed);
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
