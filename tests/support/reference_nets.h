// Reference architectures with seeded random weights, for tests, the bench and
// the test-model tool. Weights are He-initialised so activations stay in a
// sane range through depth.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/plan.h"
#include "preprocess/preprocess.h"

namespace cxr::testing {

struct NetTensor {
  std::string name;
  std::vector<uint32_t> dims;
  std::vector<float> values;
};

struct ReferenceNet {
  std::string arch;
  Shape input;
  PreprocessSpec preprocess;
  std::vector<LayerDesc> layers;  // weight/bias views point into `tensors`
  std::deque<NetTensor> tensors;  // stable addresses; moving keeps them valid

  ReferenceNet() = default;
  ReferenceNet(ReferenceNet&&) = default;
  ReferenceNet& operator=(ReferenceNet&&) = default;
  ReferenceNet(const ReferenceNet&) = delete;
  ReferenceNet& operator=(const ReferenceNet&) = delete;
};

// "study_cnn": the origin study's CNN at 64x64x3 (conv32-pool-conv64-pool-dense64-dense2).
// "resnet18":  a ResNet-18-like net at 224x224x1 with a GAP+dense head (CAM-capable).
// "tiny":      a few conv (one with Keras' asymmetric stride-2 padding)/depthwise/
//              pool/residual layers at 32x32x1 with GAP+dense,
//              quick enough for exhaustive tests.
// Returns an empty net (no layers) for an unknown name.
ReferenceNet make_reference_net(const std::string& arch, uint32_t seed);
std::vector<std::string> reference_net_names();

// Appends layers with He-uniform weights (uniform in +-gain * sqrt(6 / fan_in);
// biases in +-0.1), tracking every value's shape: the reference nets above and
// the nets a test builds by hand.
struct NetBuilder {
  ReferenceNet& net;
  std::mt19937 rng;
  std::map<std::string, Shape> shapes;
  std::string last = "input";

  NetBuilder(ReferenceNet& n, uint32_t seed) : net(n), rng(seed) { shapes["input"] = n.input; }

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

  const std::string& softmax(const std::string& name) {
    LayerDesc l;
    l.type = LayerType::softmax;
    l.name = name;
    return add_layer(std::move(l), last, shapes[last]);
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

}  // namespace cxr::testing
