// The result schema: one classification outcome as JSON (cxr.h,
// cxr_outcome_json). The CLI prints it and the wasm door parses it into the
// object the web app reads, so a member is named here once; docs/DESIGN.md
// lists the members.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cxr/cxr.h"
#include "model/json.h"

namespace {

using cxr::json::Value;

// A float as a JSON number; null where it is not finite (JSON has no NaN).
Value number(double x) { return std::isfinite(x) ? Value::of(x) : Value(); }

Value strings(const char* const* items, uint32_t count) {
  Value list = Value::make_array();
  for (uint32_t i = 0; i < count; ++i) list.push(Value::of(items[i]));
  return list;
}

bool withheld(const cxr_result& r, cxr_ood_policy policy) { return r.ood.flagged && policy == cxr_ood_withhold; }

Value ood_json(const cxr_ood& ood) {
  Value v = Value::make_object();
  v.set("flagged", Value::of_bool(ood.flagged));
  v.set("available", Value::of_bool(ood.feature_check_available));
  v.set("score", ood.feature_check_available ? number(ood.score) : Value());
  v.set("threshold", ood.feature_check_available ? number(ood.threshold) : Value());
  v.set("reasons", strings(ood.reasons, ood.num_reasons));  // an out-of-scope reason comes first
  v.set("out_of_scope", Value::of_bool(ood.out_of_scope));
  v.set("age_outside_range", Value::of_bool(ood.age_outside_range));
  Value adult = Value::make_object();
  adult.set("available", Value::of_bool(ood.adult_check_available));
  adult.set("score", ood.adult_check_available ? number(ood.adult_score) : Value());
  adult.set("threshold", ood.adult_check_available ? number(ood.adult_threshold) : Value());
  v.set("adult_check", std::move(adult));
  return v;
}

// What the model said; left out of a withheld result.
void model_output(const cxr_result& r, Value* v) {
  v->set("class", Value::of(r.class_names[r.predicted_class]));
  v->set("decision", Value::of(r.class_names[r.decision_class]));
  Value probabilities = Value::make_object(), logits = Value::make_array();
  for (uint32_t k = 0; k < r.num_classes; ++k) {
    probabilities.set(r.class_names[k], number(r.probabilities[k]));
    logits.push(number(r.logits[k]));
  }
  v->set("probabilities", std::move(probabilities));
  v->set("positive_probability", number(r.probabilities[r.positive_class]));
  v->set("logits", std::move(logits));
  v->set("positive_log_odds", number(r.positive_log_odds));
}

Value heatmap_json(const cxr_result& r, bool with_values) {
  Value v = Value::make_object();
  v.set("width", Value::of(r.heatmap_width));
  v.set("height", Value::of(r.heatmap_height));
  if (with_values) {
    Value values = Value::make_array();
    const size_t n = size_t(r.heatmap_width) * r.heatmap_height;
    values.array.reserve(n);
    for (size_t i = 0; i < n; ++i) values.push(number(r.heatmap[i]));
    v.set("values", std::move(values));
  }
  return v;
}

Value model_json(const cxr_classifier* classifier) {
  cxr_model_info info;
  cxr_classifier_info(classifier, &info);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", info.checksum);
  Value m = Value::make_object();
  m.set("name", Value::of(info.name));
  m.set("version", Value::of(info.version));
  m.set("crc32", Value::of(crc));
  return m;
}

Value result_json(const cxr_classifier* classifier, const cxr_result& r, const cxr_outcome_json_options& o, Value v) {
  v.set("ok", Value::of_bool(true));
  v.set("verdict", Value::of(cxr_verdict(&r, o.policy)));
  Value verdicts = Value::make_object();
  verdicts.set("withhold", Value::of(cxr_verdict(&r, cxr_ood_withhold)));
  verdicts.set("warn", Value::of(cxr_verdict(&r, cxr_ood_warn)));
  v.set("verdicts", std::move(verdicts));
  if (withheld(r, o.policy)) v.set("decision", Value());  // the model's output is not given
  else model_output(r, &v);
  v.set("threshold", number(r.threshold));
  v.set("uncertain", Value::of_bool(r.uncertain));
  v.set("uncertain_low", number(r.uncertain_low));
  v.set("uncertain_high", number(r.uncertain_high));
  v.set("ood", ood_json(r.ood));
  if (r.heatmap && !withheld(r, o.policy)) v.set("heatmap", heatmap_json(r, o.heatmap_values != 0));
  if (classifier) v.set("model", model_json(classifier));
  v.set("calibration", Value::of(r.calibration ? r.calibration : ""));
  Value image = Value::make_object();
  image.set("width", Value::of(r.image_width));
  image.set("height", Value::of(r.image_height));
  image.set("bit_depth", Value::of(r.image_bit_depth));
  v.set("image", std::move(image));
  Value t = Value::make_object();
  t.set("decode", number(r.timings.decode_ms));
  t.set("preprocess", number(r.timings.preprocess_ms));
  t.set("inference", number(r.timings.inference_ms));
  t.set("heatmap", number(r.timings.heatmap_ms));
  t.set("total", number(r.timings.total_ms));
  v.set("timings_ms", std::move(t));
  v.set("warnings", strings(r.warnings, r.num_warnings));
  return v;
}

}  // namespace

extern "C" {

const char* cxr_verdict(const cxr_result* result, cxr_ood_policy policy) {
  if (!result || result->num_classes == 0) return "";
  if (withheld(*result, policy)) return "WITHHELD";
  if (result->uncertain) return "UNCERTAIN";
  return result->class_names[result->decision_class];
}

size_t cxr_outcome_json(const cxr_classifier* classifier, cxr_status status, const cxr_result* result,
                        const cxr_error* error, const cxr_outcome_json_options* options, char* out, size_t capacity) {
  const cxr_outcome_json_options o = options ? *options : cxr_outcome_json_options{};
  Value v = Value::make_object();
  if (o.file) v.set("file", Value::of(o.file));
  if (status == cxr_status_ok && result && result->num_classes > 0) {
    v = result_json(classifier, *result, o, std::move(v));
  } else {
    v.set("ok", Value::of_bool(false));
    v.set("status", Value::of(cxr_status_name(status == cxr_status_ok ? cxr_status_invalid_argument : status)));
    v.set("error", Value::of(error && error->message[0] ? error->message : "the film was not classified"));
  }
  const std::string text = cxr::json::serialize(v);
  if (out && capacity > 0) {
    const size_t n = text.size() < capacity ? text.size() : capacity - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  return text.size();
}

}  // extern "C"
