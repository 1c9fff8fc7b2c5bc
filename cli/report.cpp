#include "report.h"

namespace cxr::cli {
namespace {

std::string joined(const char* const* items, uint32_t count, const char* separator) {
  std::string out;
  for (uint32_t i = 0; i < count; ++i) out += (i ? separator : "") + std::string(items[i]);
  return out;
}

// Warnings and the OOD verdict in words, as one note.
std::string notes(const cxr_result& r, const char* separator) {
  std::string out = joined(r.warnings, r.num_warnings, separator);
  const auto add = [&](const std::string& note) { out += (out.empty() ? "" : separator) + note; };
  // An out-of-scope reason comes first (cxr.h) and says more than "unlike".
  const uint32_t scope_reasons = r.ood.out_of_scope && r.ood.num_reasons ? 1 : 0;
  if (scope_reasons) add(std::string("out of scope: ") + r.ood.reasons[0]);
  if (r.ood.num_reasons > scope_reasons)
    add("not like the films the model was trained on: " +
        joined(r.ood.reasons + scope_reasons, r.ood.num_reasons - scope_reasons, ", "));
  if (!r.ood.feature_check_available) add("OOD feature check not available");
  return out;
}

std::string outcome_json(cxr_ood_policy policy, const Outcome& o, const cxr_classifier* classifier) {
  const cxr_outcome_json_options options{policy, 1, o.file.c_str()};
  std::string text(cxr_outcome_json(classifier, o.status, &o.result, &o.error, &options, nullptr, 0), '\0');
  cxr_outcome_json(classifier, o.status, &o.result, &o.error, &options, text.data(), text.size() + 1);
  return text;
}

void print_csv(cxr_ood_policy policy, const Outcome& o, const cxr_model_info& model, FILE* out) {
  const std::string file = csv_field(o.file), name = csv_field(model.name), version = csv_field(model.version);
  if (!o.ok()) {
    std::fprintf(out, "%s,false,,,,,,,,,,%s,%s,,,%s,\n", file.c_str(), name.c_str(), version.c_str(),
                 csv_field(o.error.message).c_str());
    return;
  }
  const cxr_result& r = o.result;
  const bool hide = r.ood.flagged && policy == cxr_ood_withhold;
  char probability[32] = "", score[32] = "";
  if (!hide) std::snprintf(probability, sizeof probability, "%.6f", r.probabilities[r.positive_class]);
  if (r.ood.feature_check_available) std::snprintf(score, sizeof score, "%.4f", r.ood.score);
  std::fprintf(out, "%s,true,%s,%s,%s,%s,%.6f,%s,%s,%s,%s,%s,%s,%.2f,%s,,%s\n", file.c_str(),
               csv_field(cxr_verdict(&r, policy)).c_str(),
               hide ? "" : csv_field(r.class_names[r.decision_class]).c_str(),
               hide ? "" : csv_field(r.class_names[r.predicted_class]).c_str(), probability, r.threshold,
               r.uncertain ? "true" : "false", r.ood.flagged ? "true" : "false", r.ood.out_of_scope ? "true" : "false",
               score, name.c_str(), version.c_str(), r.timings.total_ms, csv_field(notes(r, "; ")).c_str(),
               csv_field(r.calibration ? r.calibration : "").c_str());
}

void print_row(cxr_ood_policy policy, const Outcome& o, FILE* out) {
  if (!o.ok()) {
    std::fprintf(out, "%-40s %-10s %8s %9s %8s  %s\n", o.file.c_str(), "ERROR", "", "", "", o.error.message);
    return;
  }
  const cxr_result& r = o.result;
  char probability[32] = "-";
  if (!(r.ood.flagged && policy == cxr_ood_withhold))
    std::snprintf(probability, sizeof probability, "%.3f", r.probabilities[r.positive_class]);
  std::fprintf(out, "%-40s %-10s %8s %9.3f %8.1f  %s\n", o.file.c_str(), cxr_verdict(&r, policy), probability,
               r.threshold, r.timings.total_ms, notes(r, "; ").c_str());
}

}  // namespace

std::string csv_field(const std::string& text) {
  std::string s = text;
  if (!s.empty() && std::string("=+-@\t\r").find(s[0]) != std::string::npos) s = "'" + s;
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
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

void print_outcome(Format format, cxr_ood_policy policy, const Outcome& o, const cxr_classifier* classifier,
                   FILE* out) {
  switch (format) {
    case Format::json: std::fprintf(out, "%s\n", outcome_json(policy, o, classifier).c_str()); break;
    case Format::csv: {
      cxr_model_info model;
      cxr_classifier_info(classifier, &model);
      print_csv(policy, o, model, out);
      break;
    }
    case Format::table: print_row(policy, o, out); break;
  }
}

}  // namespace cxr::cli
