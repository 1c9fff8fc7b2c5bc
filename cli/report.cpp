#include "cli/report.h"

#include "model/json.h"

namespace cxr::cli {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string joined_warnings(const cxr_result& r, const char* separator) {
  std::string out;
  for (uint32_t i = 0; i < r.num_warnings; ++i) out += (i ? separator : "") + std::string(r.warnings[i]);
  return out;
}

json::Value json_outcome(const Outcome& o, const ModelId& model) {
  using json::Value;
  Value v = Value::make_object();
  v.set("file", Value::of(o.file));
  v.set("ok", Value::of_bool(o.ok));
  if (!o.ok) {
    v.set("error", Value::of(o.error));
    return v;
  }
  const cxr_result& r = o.result;
  v.set("class", Value::of(r.class_names[r.predicted_class]));
  Value probabilities = Value::make_object();
  for (uint32_t k = 0; k < r.num_classes; ++k) probabilities.set(r.class_names[k], Value::of(r.probabilities[k]));
  v.set("probabilities", std::move(probabilities));
  v.set("decision", Value::of(r.class_names[r.decision_class]));
  v.set("threshold", Value::of(r.threshold));
  Value m = Value::make_object();
  m.set("name", Value::of(model.name));
  m.set("version", Value::of(model.version));
  m.set("crc32", Value::of(model.checksum));
  v.set("model", std::move(m));
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

void print_header(Format format, FILE* out) {
  if (format == Format::csv)
    std::fprintf(out, "file,ok,decision,class,probability_positive,threshold,model,model_version,total_ms,warnings,error\n");
  if (format == Format::table) std::fprintf(out, "%-40s %-10s %8s %9s %8s  %s\n", "FILE", "DECISION", "P(POS)", "THRESHOLD", "MS", "NOTES");
}

void print_outcome(Format format, const Outcome& o, const ModelId& model, FILE* out) {
  const cxr_result& r = o.result;
  switch (format) {
    case Format::json:
      std::fprintf(out, "%s\n", json::serialize(json_outcome(o, model)).c_str());
      break;
    case Format::csv:
      if (!o.ok) {
        std::fprintf(out, "%s,false,,,,,%s,%s,,,%s\n", csv_field(o.file).c_str(), csv_field(model.name).c_str(),
                     csv_field(model.version).c_str(), csv_field(o.error).c_str());
        break;
      }
      std::fprintf(out, "%s,true,%s,%s,%.6f,%.6f,%s,%s,%.2f,%s,\n", csv_field(o.file).c_str(),
                   r.class_names[r.decision_class], r.class_names[r.predicted_class],
                   r.probabilities[r.positive_class], r.threshold, csv_field(model.name).c_str(),
                   csv_field(model.version).c_str(), r.timings.total_ms,
                   csv_field(joined_warnings(r, "; ")).c_str());
      break;
    case Format::table:
      if (!o.ok) {
        std::fprintf(out, "%-40s %-10s %8s %9s %8s  %s\n", o.file.c_str(), "ERROR", "", "", "", o.error.c_str());
        break;
      }
      std::fprintf(out, "%-40s %-10s %8.3f %9.3f %8.1f  %s\n", o.file.c_str(), r.class_names[r.decision_class],
                   r.probabilities[r.positive_class], r.threshold, r.timings.total_ms,
                   joined_warnings(r, "; ").c_str());
      break;
  }
}

}  // namespace cxr::cli
