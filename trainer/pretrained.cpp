#include "trainer/pretrained.h"

#include <cmath>
#include <cstring>
#include <random>

#include "common/sha256.h"
#include "trainer/util.h"

namespace cxr::train {
namespace {

Status read_checked(const std::string& path, const char* expected_sha256, std::vector<uint8_t>* bytes) {
  const Status read = read_file(path, bytes);
  if (!read.ok())
    return Fail(read.code, "pretrained weights: %s (is --pretrained the folder holding model.json and weights.bin?)",
                read.message.c_str());
  const std::string actual = sha256_hex(bytes->data(), bytes->size());
  // Built as a string: with a path and two digests it outgrows Fail()'s buffer.
  if (actual != expected_sha256)
    return Status{cxr_status_invalid_model, "pretrained weights: " + path + " is not the expected file (" +
                                                std::to_string(bytes->size()) + " bytes, sha256 " + actual +
                                                ", expected " + expected_sha256 +
                                                "): it is truncated, altered or another checkpoint; restore the "
                                                "original files"};
  return Ok();
}

// Keras names a conv's batch norm "<conv>_BN", except MobileNetV2's first and
// last convs ("bn_Conv1", "Conv_1_bn").
std::string batch_norm_name(const std::string& conv) {
  if (conv == "Conv1") return "bn_Conv1";
  if (conv == "Conv_1") return "Conv_1_bn";
  return conv + "_BN";
}

std::string shape_text(const std::vector<uint32_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

Status find(const PretrainedWeights& weights, const std::string& name, const std::vector<uint32_t>& shape,
            const PretrainedTensor** out) {
  const auto it = weights.tensors.find(name);
  if (it == weights.tensors.end())
    return Fail(cxr_status_invalid_model,
                "pretrained weights: no tensor '%s' (is this the checkpoint for this --arch?)", name.c_str());
  if (it->second.shape != shape)
    return Fail(cxr_status_invalid_model, "pretrained weights: '%s' has shape %s, the architecture needs %s",
                name.c_str(), shape_text(it->second.shape).c_str(), shape_text(shape).c_str());
  *out = &it->second;
  return Ok();
}

}  // namespace

Status read_pretrained(const std::string& dir, PretrainedWeights* out) {
  std::vector<uint8_t> topology, blob;
  CXR_TRY(read_checked(dir + "/model.json", kMobilenetV2ModelJsonSha256, &topology));
  CXR_TRY(read_checked(dir + "/weights.bin", kMobilenetV2WeightsSha256, &blob));
  json::Value root;
  CXR_TRY(json::parse(std::string(topology.begin(), topology.end()), &root));
  const json::Value* manifest = root.find("weightsManifest");
  if (!manifest || !manifest->is_array() || manifest->array.size() != 1)
    return Fail(cxr_status_invalid_model, "pretrained weights: model.json has no single weightsManifest group");
  const json::Value* entries = manifest->array[0].find("weights");
  if (!entries || !entries->is_array())
    return Fail(cxr_status_invalid_model, "pretrained weights: model.json's manifest lists no weights");
  PretrainedWeights result;
  size_t offset = 0;
  for (const json::Value& entry : entries->array) {
    const json::Value *name = entry.find("name"), *shape = entry.find("shape"), *dtype = entry.find("dtype");
    if (!name || !name->is_string() || !shape || !shape->is_array() || !dtype || dtype->string != "float32")
      return Fail(cxr_status_invalid_model, "pretrained weights: a manifest entry is not a named float32 tensor");
    PretrainedTensor tensor;
    size_t count = 1;
    for (const json::Value& d : shape->array) {
      if (!d.is_number() || d.number < 1 || d.number > 65536)
        return Fail(cxr_status_invalid_model, "pretrained weights: '%s' has a bad dimension", name->string.c_str());
      tensor.shape.push_back(uint32_t(d.number));
      count *= size_t(d.number);
    }
    if (offset + count * 4 > blob.size())
      return Fail(cxr_status_invalid_model, "pretrained weights: weights.bin ends inside '%s'", name->string.c_str());
    tensor.values.resize(count);
    std::memcpy(tensor.values.data(), blob.data() + offset, count * 4);  // little-endian float32, as on x86 and wasm
    offset += count * 4;
    result.tensors[name->string] = std::move(tensor);
  }
  if (offset != blob.size())
    return Fail(cxr_status_invalid_model,
                "pretrained weights: weights.bin has %zu bytes the manifest does not describe", blob.size() - offset);
  result.source = dir + " (model.json sha256 " + kMobilenetV2ModelJsonSha256 + ", weights.bin sha256 " +
                  kMobilenetV2WeightsSha256 + ")";
  *out = std::move(result);
  return Ok();
}

Status pretrained_conv(const PretrainedWeights& weights, const Op& op, PretrainedConv* out) {
  const uint32_t k = uint32_t(op.kernel), out_c = uint32_t(op.out_channels);
  const bool depthwise = op.groups > 1;
  if (depthwise && (op.groups != op.in_channels || op.in_channels != op.out_channels))
    return Fail(cxr_status_invalid_model, "pretrained weights: '%s' is grouped but not depthwise", op.name.c_str());
  // A one-channel first conv reads the RGB kernel, summed over its inputs.
  const uint32_t in_c = uint32_t(op.in_channels),
                 stored_in = op.inputs == std::vector<std::string>{"input"} && in_c == 1 ? 3 : in_c;
  const PretrainedTensor* kernel = nullptr;
  if (depthwise) CXR_TRY(find(weights, op.name + "/depthwise_kernel", {k, k, in_c, 1}, &kernel));
  else CXR_TRY(find(weights, op.name + "/kernel", {k, k, stored_in, out_c}, &kernel));
  const uint32_t group_in = depthwise ? 1 : in_c;
  out->weight.assign(size_t(out_c) * k * k * group_in, 0.0f);
  for (uint32_t o = 0; o < out_c; ++o)
    for (uint32_t y = 0; y < k; ++y)
      for (uint32_t x = 0; x < k; ++x)
        for (uint32_t i = 0; i < group_in; ++i) {
          float& w = out->weight[((size_t(o) * k + y) * k + x) * group_in + i];
          if (depthwise) w = kernel->values[(size_t(y) * k + x) * in_c + o];  // [kh][kw][C][1]
          else
            for (uint32_t s = i; s < stored_in; s += in_c)  // HWIO; s = i, or i..2 summed for gray
              w += kernel->values[((size_t(y) * k + x) * stored_in + s) * out_c + o];
        }
  const std::string bn = batch_norm_name(op.name);
  const PretrainedTensor *gamma, *beta, *mean, *variance;
  CXR_TRY(find(weights, bn + "/gamma", {out_c}, &gamma));
  CXR_TRY(find(weights, bn + "/beta", {out_c}, &beta));
  CXR_TRY(find(weights, bn + "/moving_mean", {out_c}, &mean));
  CXR_TRY(find(weights, bn + "/moving_variance", {out_c}, &variance));
  out->gamma = gamma->values, out->beta = beta->values, out->mean = mean->values, out->variance = variance->values;
  return Ok();
}

Status pretrained_layers(const std::vector<Op>& ops, const PretrainedWeights& weights, uint64_t head_seed,
                         std::vector<LayerDesc>* layers, std::deque<TensorRecord>* storage) {
  auto store = [&](const std::string& name, std::vector<uint32_t> dims, std::vector<float> values) {
    TensorRecord& r = storage->emplace_back();
    r.name = name, r.dims = std::move(dims), r.values = std::move(values);
    return TensorView{r.values.data(), r.dims};
  };
  std::mt19937_64 rng(head_seed);
  std::string previous = "input";
  for (const Op& op : ops) {
    LayerDesc l = layer_of(op, previous);
    if (op.kind == Op::conv) {
      PretrainedConv conv;
      CXR_TRY(pretrained_conv(weights, op, &conv));
      const size_t per_output = conv.weight.size() / size_t(op.out_channels);
      std::vector<float> bias(size_t(op.out_channels));
      for (size_t o = 0; o < bias.size(); ++o) {
        const double scale = conv.gamma[o] / std::sqrt(double(conv.variance[o]) + op.batch_norm_eps);
        for (size_t j = 0; j < per_output; ++j)
          conv.weight[o * per_output + j] = float(conv.weight[o * per_output + j] * scale);
        bias[o] = float(conv.beta[o] - conv.mean[o] * scale);
      }
      const uint32_t k = uint32_t(op.kernel);
      l.weight = store(op.name + ".weight", {uint32_t(op.out_channels), k, k, uint32_t(per_output / (k * k))},
                       std::move(conv.weight));
      l.bias = store(op.name + ".bias", {uint32_t(op.out_channels)}, std::move(bias));
    } else if (op.kind == Op::dense) {
      const double bound = 1.0 / std::sqrt(double(op.in_channels));
      std::uniform_real_distribution<double> u(-bound, bound);
      std::vector<float> w(size_t(op.out_channels) * op.in_channels), b(size_t(op.out_channels));
      for (float& v : w) v = float(u(rng));
      for (float& v : b) v = float(u(rng));
      l.weight = store(op.name + ".weight", {uint32_t(op.out_channels), uint32_t(op.in_channels)}, std::move(w));
      l.bias = store(op.name + ".bias", {uint32_t(op.out_channels)}, std::move(b));
    }
    layers->push_back(std::move(l));
    previous = op.name;
  }
  return Ok();
}

}  // namespace cxr::train
