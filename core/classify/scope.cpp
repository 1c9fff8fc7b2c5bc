#include "classify/scope.h"

#include <cmath>
#include <cstdio>

#include "classify/gate_metadata.h"

namespace cxr {
namespace {

constexpr GateMetadataRefusal bad{"the out-of-scope check"};

const char kDefaultPopulation[] = "children";

Status read_age_range(const Model& model, ScopeCheck* out) {
  const json::Value* use = model.metadata.find("intended_use");
  if (!use) return Ok();
  if (!use->is_object()) return bad("metadata (intended_use) is not an object");
  const json::Value* ages = use->find("age_years");
  if (!ages) return Ok();
  const json::Value* from = ages->is_object() ? ages->find("from") : nullptr;
  const json::Value* to = ages->is_object() ? ages->find("to") : nullptr;
  if (!from || !to || !from->is_number() || !to->is_number() || !(from->number >= 0) || !(to->number >= from->number) ||
      !(to->number < 200))
    return bad("age range is not {from, to} in years");
  out->age_available = true;
  out->age_from = from->number, out->age_to = to->number;
  char text[96];
  std::snprintf(text, sizeof text, "children aged about %g to %g", out->age_from, out->age_to);
  out->population = out->age_from >= 18 ? "adults" : text;
  return Ok();
}

}  // namespace

Status read_scope_check(const Model& model, size_t features, ScopeCheck* out) {
  *out = ScopeCheck{};
  out->population = kDefaultPopulation;
  CXR_TRY(read_age_range(model, out));
  const json::Value* ood = model.metadata.find("ood");
  const json::Value* adult = ood && ood->is_object() ? ood->find("adult") : nullptr;
  if (!adult) return Ok();
  if (!adult->is_object()) return bad("metadata (ood.adult) is not an object");
  if (!names_method(*adult, "logistic")) return bad("uses an unknown method (this core knows \"logistic\")");
  const json::Value* threshold = adult->find("threshold");
  if (!threshold) return Ok();  // defined, not fitted (the trainer's intermediate step)
  if (!threshold->is_number() || !std::isfinite(threshold->number) || std::fabs(threshold->number) > 1e6)
    return bad("threshold is out of range");
  const ModelTensor* weights = model.find_tensor("ood.adult.weights");
  const ModelTensor* bias = model.find_tensor("ood.adult.bias");
  if (!weights || !bias) return bad("tensors are missing");
  if (weights->dims != std::vector<uint32_t>{uint32_t(features)} || bias->dims != std::vector<uint32_t>{1})
    return bad("tensors do not match the gate's features");
  out->weights = weights->data;
  out->bias = bias->data[0];
  out->features = uint32_t(features);
  out->threshold = float(threshold->number);
  out->adult_available = features > 0;
  return Ok();
}

float adult_score(const ScopeCheck& check, const float* features) {
  double score = check.bias;
  for (uint32_t i = 0; i < check.features; ++i) score += double(check.weights[i]) * features[i];
  return float(score);
}

bool age_outside_range(const ScopeCheck& check, double age_years) {
  if (!check.age_available || !(age_years >= 0)) return false;
  const double completed = std::floor(age_years);
  return completed < check.age_from || completed > check.age_to;
}

std::string adult_reason(const ScopeCheck& check) {
  return "it looks like an adult chest X-ray: the model was made for " + check.population +
         ", and its answer would not mean anything here";
}

std::string age_reason(const ScopeCheck& check) {
  return "the DICOM file gives a patient age outside the model's intended range (" + check.population +
         "): its answer would not mean anything here";
}

}  // namespace cxr
