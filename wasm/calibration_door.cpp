#include "calibration_door.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "cxr/calibration.h"

using emscripten::val;

namespace cxr::wasm {
namespace {

val failure(const std::string& message) {
  val o = val::object();
  o.set("ok", false);
  o.set("error", message);
  return o;
}

// A plain object from its members, in order.
val object(std::initializer_list<std::pair<const char*, val>> members) {
  val o = val::object();
  for (const auto& [key, value] : members) o.set(key, value);
  return o;
}

val proportion(const cxr_proportion& p) {
  return object({{"value", val(p.value)},
                 {"low", val(p.low)},
                 {"high", val(p.high)},
                 {"count", val(p.count)},
                 {"total", val(p.total)}});
}

val operating_point(const cxr_operating_point& op) {
  return object({{"threshold", val(op.threshold)},
                 {"sensitivity", proportion(op.sensitivity)},
                 {"specificity", proportion(op.specificity)}});
}

val bins(const cxr_reliability_bin* b) {
  val list = val::array();
  for (int i = 0; i < CXR_RELIABILITY_BINS; ++i)
    list.call<void>("push", object({{"meanPredicted", val(b[i].mean_predicted)},
                                    {"observedRate", val(b[i].observed_rate)},
                                    {"count", val(b[i].count)}}));
  return list;
}

val report_object(const cxr_calibration_report& r) {
  val roc = val::array();  // [false positive rate, true positive rate, threshold]
  for (uint32_t i = 0; i < r.num_roc_points; ++i) {
    val p = val::array();
    p.call<void>("push", r.roc[i].false_positive_rate);
    p.call<void>("push", r.roc[i].true_positive_rate);
    p.call<void>("push", r.roc[i].threshold);
    roc.call<void>("push", p);
  }
  return object({
      {"positives", val(r.num_positive)},
      {"negatives", val(r.num_negative)},
      {"fewFilms", val(bool(r.few_films))},
      {"target", val(std::string(r.target == cxr_target_sensitivity ? "sensitivity" : "specificity"))},
      {"targetValue", val(r.target_value)},
      {"auc", object({{"value", val(r.auc)},
                      {"low", val(r.auc_low)},
                      {"high", val(r.auc_high)},
                      {"resamples", val(r.bootstrap_resamples)}})},
      {"roc", roc},
      {"modelDefault", operating_point(r.model_default)},
      {"site", operating_point(r.site)},
      {"changes", object({{"nowPositiveCorrect", val(r.now_positive_correct)},
                          {"nowPositiveWrong", val(r.now_positive_wrong)},
                          {"nowNegativeCorrect", val(r.now_negative_correct)},
                          {"nowNegativeWrong", val(r.now_negative_wrong)}})},
      {"temperatureFitted", val(bool(r.temperature_fitted))},
      {"temperature", val(r.temperature)},
      {"bias", val(r.bias)},
      {"reliability", bins(r.reliability)},
      {"siteReliability", bins(r.site_reliability)},
  });
}

// A JS array (or typed array) of numbers as floats.
std::vector<float> floats(const val& list) {
  std::vector<float> out;
  if (list.isUndefined() || list.isNull()) return out;
  const size_t n = list["length"].as<size_t>();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(list[i].as<float>());
  return out;
}

}  // namespace

val calibrate(cxr_classifier* classifier, const val& films, const val& options) {
  if (!classifier) return failure("the model is not loaded");
  if (films.typeOf().as<std::string>() != "object" || films.isNull() ||
      options.typeOf().as<std::string>() != "object" || options.isNull())
    return failure("calibrate(films, options): both are objects");
  const std::vector<float> probability = floats(films["probabilities"]), log_odds = floats(films["logOdds"]);
  const val positive_list = films["positive"], sha_list = films["sha256"];
  const size_t n = probability.size();
  if (log_odds.size() != n || positive_list["length"].as<size_t>() != n || sha_list["length"].as<size_t>() != n)
    return failure("calibrate: probabilities, logOdds, positive and sha256 need one entry per film");
  std::vector<uint8_t> positive(n);
  std::vector<std::string> digests(n);
  std::vector<const char*> hex(n);
  for (size_t i = 0; i < n; ++i) {
    positive[i] = positive_list[i].as<bool>();
    digests[i] = sha_list[i].as<std::string>();
    hex[i] = digests[i].c_str();
  }
  cxr_calibration_options o{cxr_target_sensitivity, 0.95, 0, 0, 0, 0};
  if (options["target"].isString() && options["target"].as<std::string>() == "specificity")
    o.target = cxr_target_specificity;
  if (options["value"].isNumber()) o.target_value = options["value"].as<double>();
  o.fit_temperature = options["fitTemperature"].isTrue();
  o.check_active_site = options["checkActiveSite"].isTrue();
  const cxr_calibration_films f{n, probability.data(), log_odds.data(), positive.data(), hex.data()};
  cxr_error e;
  cxr_calibration* c = cxr_calibration_create(classifier, &f, &o, &e);
  if (!c) return failure(e.message);
  val out = val::object();
  out.set("ok", true);
  out.set("report", report_object(*cxr_calibration_get_report(c)));
  const std::string date = options["date"].isString() ? options["date"].as<std::string>() : "";
  const char* record = cxr_calibration_record_json(c, date.c_str(), &e);
  if (record) out.set("record", std::string(record));
  else out.set("recordError", std::string(e.message));
  cxr_calibration_destroy(c);
  return out;
}

val set_site_calibration(cxr_classifier* classifier, const std::string& json) {
  if (!classifier) return failure("the model is not loaded");
  cxr_error e;
  if (cxr_classifier_set_site_calibration(classifier, json.c_str(), json.size(), &e) != cxr_status_ok)
    return failure(e.message);
  val o = val::object();
  o.set("ok", true);
  o.set("label", std::string(cxr_classifier_calibration_label(classifier)));
  o.set("record", std::string(cxr_classifier_site_calibration_json(classifier)));
  return o;
}

}  // namespace cxr::wasm
