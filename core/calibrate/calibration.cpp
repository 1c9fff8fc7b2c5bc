// cxr_calibration: the public C API over calibrate/measures and
// calibrate/record (cxr/calibration.h).
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>

#include "calibrate/measures.h"
#include "calibrate/record.h"
#include "common/sha256.h"
#include "cxr/calibration.h"

struct cxr_calibration {
  cxr_calibration_report report{};
  std::vector<cxr_roc_point> roc;
  std::vector<std::string> digests;
  cxr::calibrate::SiteRecord record;  // all but date and the films' hash
  std::string record_json;
};

namespace {

using cxr::Fail;
using cxr::Status;
using cxr::calibrate::Film;

constexpr uint64_t kDefaultSeed = 20261207;
constexpr uint32_t kDefaultResamples = 2000;
constexpr uint32_t kMaxResamples = 100000;

Status check_inputs(const cxr_model_info& info, const cxr_calibration_films* films, const cxr_calibration_options* o) {
  if (!films || !o || (films->count && (!films->probability || !films->positive)))
    return Fail(cxr_status_invalid_argument,
                "cxr_calibration_create: films, their scores, labels and options are required");
  if (info.num_classes != 2)
    return Fail(cxr_status_invalid_argument, "site calibration needs a model with two classes; this one has %u",
                info.num_classes);
  if (o->target != cxr_target_sensitivity && o->target != cxr_target_specificity)
    return Fail(cxr_status_invalid_argument, "the target is sensitivity or specificity");
  if (!(o->target_value > 0 && o->target_value < 1))
    return Fail(cxr_status_invalid_argument, "the target %s must lie between 0 and 1 (e.g. 0.95), not %g",
                o->target == cxr_target_sensitivity ? "sensitivity" : "specificity", o->target_value);
  if ((o->fit_temperature || o->check_active_site) && !films->log_odds)
    return Fail(cxr_status_invalid_argument,
                "fitting a temperature needs each film's log-odds (result.positive_log_odds)");
  if (o->bootstrap_resamples > kMaxResamples)
    return Fail(cxr_status_invalid_argument, "at most %u bootstrap resamples", kMaxResamples);
  uint32_t counts[2] = {0, 0};
  for (size_t i = 0; i < films->count; ++i) {
    if (!std::isfinite(films->probability[i]) || films->probability[i] < 0 || films->probability[i] > 1 ||
        (films->log_odds && !std::isfinite(films->log_odds[i])))
      return Fail(cxr_status_invalid_argument, "film %zu has no valid probability; leave it out", i + 1);
    ++counts[films->positive[i] ? 1 : 0];
  }
  const char* positive = info.class_names[info.positive_class];
  const char* negative = info.class_names[1 - info.positive_class];
  for (int k = 0; k < 2; ++k)
    if (counts[k] < CXR_CALIBRATION_MIN_FILMS)
      return Fail(cxr_status_invalid_argument,
                  "only %u %s film(s) (%u %s): a site calibration needs at least %u of each class, and 100 or more "
                  "for a useful confidence interval",
                  counts[k], k ? positive : negative, counts[1 - k], k ? negative : positive,
                  CXR_CALIBRATION_MIN_FILMS);
  return cxr::Ok();
}

void analyse(const cxr_model_info& info, const cxr::calibrate::SiteRecord* active, const cxr_calibration_films* films,
             const cxr_calibration_options* o, cxr_calibration* c) {
  namespace cal = cxr::calibrate;
  cxr_calibration_report& r = c->report;
  std::vector<Film> model(films->count), site;
  for (size_t i = 0; i < films->count; ++i) {
    model[i] = {films->probability[i], films->positive[i] != 0};
    (model[i].positive ? r.num_positive : r.num_negative) += 1;
  }
  r.few_films = r.num_positive < CXR_CALIBRATION_ADVISED_FILMS || r.num_negative < CXR_CALIBRATION_ADVISED_FILMS;
  r.target = o->target;
  r.target_value = o->target_value;
  r.bootstrap_resamples = o->bootstrap_resamples ? o->bootstrap_resamples : kDefaultResamples;
  r.auc = cal::auc(model);
  cal::auc_interval(model, r.bootstrap_resamples, o->seed ? o->seed : kDefaultSeed, &r.auc_low, &r.auc_high);
  c->roc = cal::roc(model);
  r.roc = c->roc.data();
  r.num_roc_points = uint32_t(c->roc.size());
  r.model_default = cal::operating_point(model, info.threshold);
  cal::reliability(model, r.reliability);

  r.temperature = 1;
  r.bias = 0;
  site = model;
  if (active && active->has_temperature) {
    r.temperature = active->temperature;
    r.bias = active->bias;
    r.temperature_fitted = 1;
  } else if (!active && o->fit_temperature) {
    std::vector<double> z(films->count);
    std::vector<bool> y(films->count);
    for (size_t i = 0; i < films->count; ++i) z[i] = films->log_odds[i], y[i] = model[i].positive;
    cal::fit_temperature(z, y, &r.temperature, &r.bias);
    // The values a classifier will read back from the record.
    r.temperature = cal::as_stored(r.temperature);
    r.bias = cal::as_stored(r.bias);
    r.temperature_fitted = 1;
  }
  if (r.temperature_fitted)
    for (size_t i = 0; i < films->count; ++i)
      site[i].score = cal::site_probability(films->log_odds[i], r.temperature, r.bias);
  cal::reliability(site, r.site_reliability);
  r.site =
      cal::operating_point(site, active ? active->threshold : cal::threshold_for(site, o->target, o->target_value));
  if (active) r.target = active->target, r.target_value = active->target_value;
  for (size_t i = 0; i < films->count; ++i) {
    const bool before = model[i].score >= info.threshold, after = site[i].score >= r.site.threshold;
    if (before == after) continue;
    const bool correct = after == model[i].positive;
    (after ? (correct ? r.now_positive_correct : r.now_positive_wrong)
           : (correct ? r.now_negative_correct : r.now_negative_wrong)) += 1;
  }

  cal::SiteRecord& rec = c->record;
  rec.model = {info.name, info.version, info.checksum};
  rec.target = o->target;
  rec.target_value = o->target_value;
  rec.threshold = r.site.threshold;
  rec.has_temperature = r.temperature_fitted;
  rec.temperature = r.temperature;
  rec.bias = r.bias;
  rec.positive_class = info.class_names[info.positive_class];
  rec.negative_class = info.class_names[1 - info.positive_class];
  rec.positives = r.num_positive;
  rec.negatives = r.num_negative;
  rec.auc = r.auc;
  rec.auc_low = r.auc_low;
  rec.auc_high = r.auc_high;
  rec.sensitivity = r.site.sensitivity.value;
  rec.specificity = r.site.specificity.value;
  if (films->sha256_hex)
    for (size_t i = 0; i < films->count; ++i) c->digests.push_back(films->sha256_hex[i] ? films->sha256_hex[i] : "");
}

}  // namespace

extern "C" {

cxr_calibration* cxr_calibration_create(const cxr_classifier* classifier, const cxr_calibration_films* films,
                                        const cxr_calibration_options* options, cxr_error* error) {
  if (error) *error = cxr_error{};
  if (!classifier) return to_c_error(Fail(cxr_status_invalid_argument, "cxr_calibration_create: no classifier"), error);
  cxr_model_info info;
  cxr_classifier_info(classifier, &info);
  Status s = check_inputs(info, films, options);
  if (!s.ok()) return to_c_error(s, error);
  cxr::calibrate::SiteRecord active;
  if (options->check_active_site) {
    const std::string json = cxr_classifier_site_calibration_json(classifier);
    if (json.empty())
      return to_c_error(Fail(cxr_status_invalid_argument, "no site calibration is active to check"), error);
    s = cxr::calibrate::parse_record(json, &active);
    if (!s.ok()) return to_c_error(s, error);
  }
  std::unique_ptr<cxr_calibration> c(new (std::nothrow) cxr_calibration);
  if (!c) return to_c_error(Fail(cxr_status_out_of_memory, "out of memory measuring the films"), error);
  analyse(info, options->check_active_site ? &active : nullptr, films, options, c.get());
  return c.release();
}

void cxr_calibration_destroy(cxr_calibration* calibration) { delete calibration; }

const cxr_calibration_report* cxr_calibration_get_report(const cxr_calibration* calibration) {
  return calibration ? &calibration->report : nullptr;
}

const char* cxr_calibration_record_json(cxr_calibration* c, const char* date, cxr_error* error) {
  if (error) *error = cxr_error{};
  if (!c || !date || !cxr::calibrate::valid_date(date))
    return to_c_error(Fail(cxr_status_invalid_argument, "the calibration's date must be given as YYYY-MM-DD"), error);
  if (c->digests.empty())
    return to_c_error(Fail(cxr_status_invalid_argument, "the films' SHA-256s are needed to write the record"), error);
  Status s = cxr::calibrate::films_hash(c->digests, &c->record.films_sha256);
  if (!s.ok()) return to_c_error(s, error);
  c->record.date = date;
  c->record_json = cxr::calibrate::write_record(c->record);
  return c->record_json.c_str();
}

void cxr_sha256_hex(const uint8_t* bytes, size_t size, char out[65]) {
  std::snprintf(out, 65, "%s", cxr::sha256_hex(bytes, size).c_str());
}

}  // extern "C"
