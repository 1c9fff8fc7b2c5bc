#include "classify/ood.h"

#include <algorithm>
#include <cmath>

#include "classify/gate_metadata.h"

namespace cxr {
namespace {

// Image-check limits, set from what chest films are (not fitted): hundreds
// to thousands of pixels a side (downsampled copies like the shared 224 px
// set included), detectors 0.8-1.25 wide per high, and even a white-out lung
// leaves a textured, unsaturated image.
constexpr uint32_t kMinSide = 128;
constexpr double kMaxAspect = 2.0;
constexpr double kMinSpread = 0.03;          // standard deviation, as a fraction of full scale
constexpr double kMaxExtremeFraction = 0.8;  // share of pixels within 2% of black or white
constexpr uint32_t kSamplesPerSide = 256;    // grid for the pixel statistics
constexpr size_t kMaxLayers = 16;

constexpr GateMetadataRefusal bad{"ood statistics"};

}  // namespace

Status ood_feature_layers(const Model& model, std::vector<std::string>* names) {
  names->clear();
  const json::Value* ood = model.metadata.find("ood");
  if (!ood) return Ok();
  if (!ood->is_object()) return bad("metadata is not an object");
  if (!names_method(*ood, "mahalanobis")) return bad("use an unknown method (this core knows \"mahalanobis\")");
  const json::Value* layers = ood->find("layers");
  if (!layers || !layers->is_array() || layers->array.empty() || layers->array.size() > kMaxLayers)
    return bad("name no layers (or too many)");
  for (const json::Value& name : layers->array) {
    if (!name.is_string()) return bad("name a layer that is not a string");
    names->push_back(name.string);
  }
  return Ok();
}

Status read_ood_statistics(const Model& model, const Plan& plan, OodStatistics* out) {
  *out = OodStatistics{};
  out->classes = uint32_t(model.info.classes.size());
  std::vector<std::string> names;
  CXR_TRY(ood_feature_layers(model, &names));
  if (names.empty()) {  // no gate: the pooled features, for the trainer
    if (plan.pooled_features != SIZE_MAX)
      out->layers.push_back({plan.pooled_features, plan.shapes[plan.pooled_features].c, nullptr, nullptr});
    return Ok();
  }
  for (size_t i = 0; i < names.size(); ++i)
    out->layers.push_back({plan.kept_values.at(i), plan.shapes[plan.kept_values.at(i)].c, nullptr, nullptr});
  const json::Value* threshold = model.metadata.find("ood")->find("threshold");
  if (!threshold) return Ok();  // defined, not fitted
  if (!threshold->is_number() || !(threshold->number > 0 && threshold->number < 1e6))
    return bad("threshold is out of range");
  for (size_t i = 0; i < names.size(); ++i) {
    OodLayer& l = out->layers[i];
    const ModelTensor* means = model.find_tensor("ood." + names[i] + ".class_means");
    const ModelTensor* precision = model.find_tensor("ood." + names[i] + ".precision");
    if (!means || !precision) return bad("tensors are missing");
    if (means->dims != std::vector<uint32_t>{out->classes, l.channels} ||
        precision->dims != std::vector<uint32_t>{l.channels, l.channels})
      return bad("tensors do not match the network's layers");
    l.class_means = means->data, l.precision = precision->data;
  }
  out->threshold = float(threshold->number);
  out->available = true;
  return Ok();
}

void ood_features(const OodStatistics& stats, const Plan& plan, const float* arena, std::vector<float>* out) {
  out->clear();
  for (const OodLayer& l : stats.layers) {
    const Shape shape = plan.shapes[l.value];
    const float* x = arena + plan.offsets[l.value];
    const size_t first = out->size(), positions = size_t(shape.h) * shape.w;
    out->resize(first + shape.c, 0.0f);  // capacity is kept: no allocation after the first image
    float* sum = out->data() + first;
    for (size_t p = 0; p < positions; ++p)  // NHWC: channels innermost
      for (uint32_t c = 0; c < shape.c; ++c) sum[c] += x[p * shape.c + c];
    for (uint32_t c = 0; c < shape.c; ++c) sum[c] /= float(positions);
  }
}

float mahalanobis_score(const OodStatistics& s, const float* features) {
  double total = 0;
  size_t count = 0;
  for (const OodLayer& l : s.layers) {
    const uint32_t n = l.channels;
    const float* x = features + count;
    double best = INFINITY;
    for (uint32_t k = 0; k < s.classes; ++k) {
      const float* mean = l.class_means + size_t(k) * n;
      double q = 0;  // no scratch: n is at most a few hundred, re-subtracting costs microseconds
      for (uint32_t i = 0; i < n; ++i) {
        const float* row = l.precision + size_t(i) * n;
        double dot = 0;
        for (uint32_t j = 0; j < n; ++j) dot += row[j] * (double(x[j]) - mean[j]);
        q += (double(x[i]) - mean[i]) * dot;
      }
      best = std::min(best, q);
    }
    total += best;
    count += n;
  }
  return float(total / double(count ? count : 1));
}

void check_image(const Image& image, std::vector<std::string>* reasons) {
  const uint32_t w = image.width, h = image.height;
  const std::string size = std::to_string(w) + "x" + std::to_string(h);
  if (image.color_content) reasons->push_back("it is a colour image (X-rays are gray)");
  if (std::min(w, h) < kMinSide) reasons->push_back("it is very small (" + size + " pixels)");
  if (double(std::max(w, h)) > kMaxAspect * std::min(w, h))
    reasons->push_back("its shape (" + size + ") is unlike a chest film's");
  if (w == 0 || h == 0) return;

  // Pixel statistics on a grid: enough to judge blankness, bounded cost.
  const uint32_t step_x = std::max(1u, w / kSamplesPerSide), step_y = std::max(1u, h / kSamplesPerSide);
  const double scale = 1.0 / image.max_value;
  double sum = 0, sum_sq = 0;
  size_t count = 0, extreme = 0;
  for (uint32_t y = step_y / 2; y < h; y += step_y)
    for (uint32_t x = step_x / 2; x < w; x += step_x) {
      const double v = image.pixels[size_t(y) * w + x] * scale;
      sum += v;
      sum_sq += v * v;
      extreme += v <= 0.02 || v >= 0.98;
      ++count;
    }
  const double mean = sum / count, spread = std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
  if (spread < kMinSpread) reasons->push_back("it is nearly blank (almost one shade)");
  else if (double(extreme) > kMaxExtremeFraction * count) reasons->push_back("it is mostly pure black or white");
}

}  // namespace cxr
