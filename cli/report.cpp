#include "report.h"

#include "json_out.h"

namespace cxr::cli {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string joined(const char* const* items, uint32_t count, const char* separator) {
  std::string out;
  for (uint32_t i = 0; i < count; ++i) out += (i ? separator : "") + std::string(items[i]);
  return out;
}

bool withheld(const cxr_result& r, OodPolicy policy) { return r.ood.flagged && policy == OodPolicy::withhold; }

// Warnings and the OOD verdict in words, as one note.
std::string notes(const cxr_result& r, const char* separator) {
  std::string out = joined(r.warnings, r.num_warnings, separator);
  // An out-of-scope reason comes first (cxr.h) and says more than "unlike".
  const uint32_t scope_reasons = r.ood.out_of_scope && r.ood.num_reasons ? 1 : 0;
  if (scope_reasons) out += (out.empty() ? "" : separator) + std::string("out of scope: ") + r.ood.reasons[0];
  if (r.ood.num_reasons > scope_reasons)
    out += (out.empty() ? "" : separator) + std::string("not like the films the model was trained on: ") +
           joined(r.ood.reasons + scope_reasons, r.ood.num_reasons - scope_reasons, ", ");
  if (!r.ood.feature_check_available)
    out += (out.empty() ? "" : separator) + std::string("OOD feature check not available");
  return out;
}

json::Value json_ood(const cxr_ood& ood) {
  using json::Value;
  Value v = Value::make_object();
  v.set("flagged", Value::of_bool(ood.flagged));
  v.set("available", Value::of_bool(ood.feature_check_available));
  v.set("score", ood.feature_check_available ? Value::of(ood.score) : Value());
  v.set("threshold", ood.feature_check_available ? Value::of(ood.threshold) : Value());
  Value reasons = Value::make_array();
  for (uint32_t i = 0; i < ood.num_reasons; ++i) reasons.push(Value::of(ood.reasons[i]));
  v.set("reasons", std::move(reasons));
  v.set("out_of_scope", Value::of_bool(ood.out_of_scope));
  v.set("age_outside_range", Value::of_bool(ood.age_outside_range));
  Value adult = Value::make_object();
  adult.set("available", Value::of_bool(ood.adult_check_available));
  adult.set("score", ood.adult_check_available ? Value::of(ood.adult_score) : Value());
  adult.set("threshold", ood.adult_check_available ? Value::of(ood.adult_threshold) : Value());
  v.set("adult_check", std::move(adult));
  return v;
}

// The heat map as the core returns it (requested only with --heatmap): every
// float kept exactly (serialize writes 9 significant digits).
json::Value json_heatmap(const cxr_result& r) {
  using json::Value;
  Value v = Value::make_object();
  v.set("width", Value::of(r.heatmap_width));
  v.set("height", Value::of(r.heatmap_height));
  Value values = Value::make_array();
  values.array.reserve(size_t(r.heatmap_width) * r.heatmap_height);
  for (size_t i = 0; i < size_t(r.heatmap_width) * r.heatmap_height; ++i) values.push(Value::of(r.heatmap[i]));
  v.set("values", std::move(values));
  return v;
}

json::Value json_outcome(const Outcome& o, OodPolicy policy, const ModelId& model) {
  using json::Value;
  Value v = Value::make_object();
  v.set("file", Value::of(o.file));
  v.set("ok", Value::of_bool(o.ok));
  if (!o.ok) {
    v.set("error", Value::of(o.error));
    return v;
  }
  const cxr_result& r = o.result;
  v.set("verdict", Value::of(verdict(r, policy)));
  if (withheld(r, policy)) {  // the model's output is not given: decision null, no probabilities
    v.set("decision", Value());
  } else {
    v.set("class", Value::of(r.class_names[r.predicted_class]));
    Value probabilities = Value::make_object();
    for (uint32_t k = 0; k < r.num_classes; ++k) probabilities.set(r.class_names[k], Value::of(r.probabilities[k]));
    v.set("probabilities", std::move(probabilities));
    v.set("decision", Value::of(r.class_names[r.decision_class]));
  }
  v.set("threshold", Value::of(r.threshold));
  v.set("uncertain", Value::of_bool(r.uncertain));
  v.set("ood", json_ood(r.ood));
  if (r.heatmap && !withheld(r, policy)) v.set("heatmap", json_heatmap(r));
  Value m = Value::make_object();
  m.set("name", Value::of(model.name));
  m.set("version", Value::of(model.version));
  m.set("crc32", Value::of(model.checksum));
  v.set("model", std::move(m));
  v.set("calibration", Value::of(r.calibration ? r.calibration : ""));
  Value image = Value::make_object();
  image.set("width", Value::of(r.image_width));
  image.set("height", Value::of(r.image_height));
  image.set("bit_depth", Value::of(r.image_bit_depth));
  v.set("image", std::move(image));
  Value t = Value::make_object();
  t.set("decode", Value::of(r.timings.decode_ms));
  t.set("preprocess", Value::of(r.timings.preprocess_ms));
  t.set("inference", Value::of(r.timings.inference_ms));
  t.set("heatmap", Value::of(r.timings.heatmap_ms));
  t.set("total", Value::of(r.timings.total_ms));
  v.set("timings_ms", std::move(t));
  Value warnings = Value::make_array();
  for (uint32_t i = 0; i < r.num_warnings; ++i) warnings.push(Value::of(r.warnings[i]));
  v.set("warnings", std::move(warnings));
  return v;
}

}  // namespace

const char* verdict(const cxr_result& r, OodPolicy policy) {
  if (withheld(r, policy)) return "WITHHELD";
  if (r.uncertain) return "UNCERTAIN";
  return r.class_names[r.decision_class];
}

void print_header(Format format, FILE* out) {
  if (format == Format::csv)
    std::fprintf(
        out,
        "file,ok,verdict,decision,class,probability_positive,threshold,uncertain,ood_flagged,out_of_scope,ood_score,"
        "model,model_version,total_ms,notes,error,calibration\n");
  if (format == Format::table)
    std::fprintf(out, "%-40s %-10s %8s %9s %8s  %s\n", "FILE", "VERDICT", "P(POS)", "THRESHOLD", "MS", "NOTES");
}

void print_outcome(Format format, OodPolicy policy, const Outcome& o, const ModelId& model, FILE* out) {
  const cxr_result& r = o.result;
  const bool hide = o.ok && withheld(r, policy);
  char probability[32] = "", score[32] = "";
  if (o.ok && !hide) std::snprintf(probability, sizeof probability, "%.6f", r.probabilities[r.positive_class]);
  if (o.ok && r.ood.feature_check_available) std::snprintf(score, sizeof score, "%.4f", r.ood.score);
  switch (format) {
    case Format::json: std::fprintf(out, "%s\n", json::serialize(json_outcome(o, policy, model)).c_str()); break;
    case Format::csv:
      if (!o.ok) {
        std::fprintf(out, "%s,false,,,,,,,,,,%s,%s,,,%s,\n", csv_field(o.file).c_str(), csv_field(model.name).c_str(),
                     csv_field(model.version).c_str(), csv_field(o.error).c_str());
        break;
      }
      std::fprintf(
          out, "%s,true,%s,%s,%s,%s,%.6f,%s,%s,%s,%s,%s,%s,%.2f,%s,,%s\n", csv_field(o.file).c_str(),
          verdict(r, policy), hide ? "" : r.class_names[r.decision_class], hide ? "" : r.class_names[r.predicted_class],
          probability, r.threshold, r.uncertain ? "true" : "false", r.ood.flagged ? "true" : "false",
          r.ood.out_of_scope ? "true" : "false", score, csv_field(model.name).c_str(), csv_field(model.version).c_str(),
          r.timings.total_ms, csv_field(notes(r, "; ")).c_str(), csv_field(r.calibration ? r.calibration : "").c_str());
      break;
    case Format::table:
      if (!o.ok) {
        std::fprintf(out, "%-40s %-10s %8s %9s %8s  %s\n", o.file.c_str(), "ERROR", "", "", "", o.error.c_str());
        break;
      }
      if (!hide) std::snprintf(probability, sizeof probability, "%.3f", r.probabilities[r.positive_class]);
      std::fprintf(out, "%-40s %-10s %8s %9.3f %8.1f  %s\n", o.file.c_str(), verdict(r, policy),
                   hide ? "-" : probability, r.threshold, r.timings.total_ms, notes(r, "; ").c_str());
      break;
  }
}

}  // namespace cxr::cli
