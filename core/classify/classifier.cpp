// The public C API: bytes + model -> Result. One arena per classifier, sized
// at load; per image only the decoded film's buffer may grow.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include "calibrate/measures.h"
#include "calibrate/record.h"
#include "classify/cam.h"
#include "classify/ood.h"
#include "classify/scope.h"
#include "cxr/calibration.h"
#include "cxr/cxr.h"
#include "decode/image.h"
#include "model/model_file.h"
#include "nn/backend.h"
#include "preprocess/preprocess.h"

struct cxr_classifier {
  cxr::Model model;
  cxr::Plan plan;
  std::unique_ptr<cxr::Backend> backend;
  cxr::OodStatistics ood;
  cxr::ScopeCheck scope;
  std::vector<float> arena_storage;
  float* arena = nullptr;  // arena_storage aligned to 64 bytes
  // Reused across calls.
  cxr::Image image;
  cxr::PreprocessScratch scratch;
  std::vector<float> cam, heatmap, features;
  std::vector<std::string> warnings, ood_reasons;
  // Site calibration (cxr/calibration.h); inactive: the model default.
  bool site_active = false;
  cxr::calibrate::SiteRecord site;
  float site_low = 0, site_high = 0;  // the uncertain band moved with the threshold
  std::string calibration_label = "model default", site_json;
};

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

cxr::Status create(const uint8_t* bytes, size_t size, cxr_backend backend, cxr_classifier* c) {
  using cxr::Fail;
  CXR_TRY(cxr::read_model(bytes, size, &c->model));
  const cxr::ModelInfo& info = c->model.info;
  std::vector<std::string> feature_layers;
  CXR_TRY(cxr::ood_feature_layers(c->model, &feature_layers));
  CXR_TRY(cxr::build_plan(c->model.layers, info.input, &c->plan, feature_layers));
  const cxr::Shape logits = c->plan.shapes[c->plan.logits_value()];
  if (logits.size() != info.classes.size())
    return Fail(cxr_status_invalid_model,
                "the network gives %zu outputs for %zu classes; the model file is inconsistent", logits.size(),
                info.classes.size());
  CXR_TRY(cxr::read_ood_statistics(c->model, c->plan, &c->ood));
  size_t features = 0;
  for (const cxr::OodLayer& l : c->ood.layers) features += l.channels;
  CXR_TRY(cxr::read_scope_check(c->model, features, &c->scope));
  if (backend == cxr_backend_portable) c->backend = cxr::make_portable_backend();
  else if (backend == cxr_backend_xnnpack) c->backend = cxr::make_xnnpack_backend();
  else return Fail(cxr_status_invalid_argument, "unknown backend %d", int(backend));
  if (!c->backend)
    return Fail(cxr_status_backend_unavailable, "the %s backend is not available in this build",
                cxr_backend_name(backend));
  c->arena_storage.assign(c->plan.arena_floats + 16, 0.0f);
  const uintptr_t base = reinterpret_cast<uintptr_t>(c->arena_storage.data());
  c->arena = c->arena_storage.data() + ((64 - base % 64) % 64) / sizeof(float);
  return c->backend->prepare(c->plan);
}

// The OOD verdict (classify/ood.h, classify/scope.h) and the features it
// scores. An out-of-scope reason comes first: it says the most.
void gate(cxr_classifier* c, cxr_result* r) {
  c->ood_reasons.clear();
  cxr::ood_features(c->ood, c->plan, c->arena, &c->features);
  r->features = c->features.data();
  r->num_features = uint32_t(c->features.size());
  cxr_ood& ood = r->ood;
  if (c->scope.adult_available) {
    ood.adult_check_available = 1;
    ood.adult_threshold = c->scope.threshold;
    ood.adult_score = cxr::adult_score(c->scope, r->features);
  }
  ood.age_outside_range = cxr::age_outside_range(c->scope, c->image.patient_age_years);
  if (ood.age_outside_range) c->ood_reasons.push_back(cxr::age_reason(c->scope));
  else if (ood.adult_check_available && !(ood.adult_score <= ood.adult_threshold))
    c->ood_reasons.push_back(cxr::adult_reason(c->scope));
  ood.out_of_scope = !c->ood_reasons.empty();
  cxr::check_image(c->image, &c->ood_reasons);
  ood.score = ood.threshold = -1;
  if (c->ood.available) {
    ood.feature_check_available = 1;
    ood.threshold = c->ood.threshold;
    ood.score = cxr::mahalanobis_score(c->ood, r->features);
    if (!(ood.score <= ood.threshold)) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "its image features are far from those of the training films (distance %.1f, limit %.1f)",
                    ood.score, ood.threshold);
      c->ood_reasons.push_back(text);
    }
  }
  for (const std::string& reason : c->ood_reasons)
    if (ood.num_reasons < CXR_MAX_OOD_REASONS) ood.reasons[ood.num_reasons++] = reason.c_str();
  ood.flagged = ood.num_reasons > 0;
}

double log_odds(double p) { return std::log(p / (1 - p)); }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// The site's threshold, probability (with temperature/bias) and band.
void apply_site(const cxr_classifier* c, cxr_result* r) {
  const cxr::calibrate::SiteRecord& site = c->site;
  const uint32_t pos = r->positive_class;
  if (site.has_temperature) {
    const float p = cxr::calibrate::site_probability(r->positive_log_odds, site.temperature, site.bias);
    r->probabilities[pos] = p;
    r->probabilities[1 - pos] = 1 - p;
    r->predicted_class = p >= 0.5f ? pos : 1 - pos;
  }
  const float p = r->probabilities[pos];
  r->threshold = site.threshold;
  r->decision_class = p >= site.threshold ? pos : 1 - pos;
  r->uncertain_low = c->site_low;
  r->uncertain_high = c->site_high;
  r->uncertain = c->site_low < c->site_high && p >= c->site_low && p <= c->site_high;
}

// The model's band keeps its width in log-odds around the site threshold.
void move_band(cxr_classifier* c) {
  const cxr::ModelInfo& info = c->model.info;
  c->site_low = c->site_high = c->site.threshold;
  if (!(info.uncertain_low < info.uncertain_high)) return;
  const double t = c->site.threshold, t0 = info.threshold;
  if (t <= 0 || t >= 1 || t0 <= 0 || t0 >= 1) return;
  const double below = info.uncertain_low > 0 ? log_odds(t0) - log_odds(info.uncertain_low) : INFINITY;
  const double above = info.uncertain_high < 1 ? log_odds(info.uncertain_high) - log_odds(t0) : INFINITY;
  c->site_low = std::min(float(sigmoid(log_odds(t) - below)), c->site.threshold);
  c->site_high = std::max(float(sigmoid(log_odds(t) + above)), c->site.threshold);
}

cxr::Status set_site(cxr_classifier* c, const char* json, size_t length) {
  if (!json || !length) {
    c->site_active = false;
    c->calibration_label = "model default";
    c->site_json.clear();
    return cxr::Ok();
  }
  if (c->model.info.classes.size() != 2)
    return cxr::Fail(cxr_status_invalid_argument, "site calibration needs a model with two classes");
  cxr::calibrate::SiteRecord record;
  CXR_TRY(cxr::calibrate::parse_record(std::string(json, length), &record));
  const cxr::ModelInfo& info = c->model.info;
  CXR_TRY(cxr::calibrate::check_model(record, {info.name, info.version, c->model.checksum}));
  if (record.positive_class != info.classes[info.positive_class])
    return cxr::Fail(cxr_status_invalid_argument, "this site calibration's positive class is %s, the model's is %s",
                     record.positive_class.c_str(), info.classes[info.positive_class].c_str());
  c->site = record;
  c->site_active = true;
  c->calibration_label = cxr::calibrate::label(record);
  c->site_json = cxr::calibrate::write_record(record);
  move_band(c);
  return cxr::Ok();
}

cxr::Status classify(cxr_classifier* c, const uint8_t* bytes, size_t size, bool want_heatmap, cxr_result* r) {
  const cxr::ModelInfo& info = c->model.info;
  const cxr::Plan& plan = c->plan;
  const auto start = Clock::now();
  CXR_TRY(cxr::decode_image(bytes, size, &c->image));
  r->timings.decode_ms = ms_since(start);

  auto t = Clock::now();
  CXR_TRY(cxr::preprocess(c->image, info.preprocess, &c->scratch, c->arena + plan.offsets[0]));
  r->timings.preprocess_ms = ms_since(t);

  t = Clock::now();
  CXR_TRY(c->backend->run(c->arena));
  r->timings.inference_ms = ms_since(t);

  // Temperature-scaled softmax, in double for stability.
  const uint32_t n = uint32_t(info.classes.size());
  const float* logits = c->arena + plan.offsets[plan.logits_value()];
  double peak = -INFINITY, total = 0, p[CXR_MAX_CLASSES];
  for (uint32_t k = 0; k < n; ++k) peak = std::max(peak, double(logits[k]) / info.temperature);
  for (uint32_t k = 0; k < n; ++k) total += p[k] = std::exp(double(logits[k]) / info.temperature - peak);
  r->num_classes = n;
  for (uint32_t k = 0; k < n; ++k) {
    r->class_names[k] = info.classes[k].c_str();
    r->logits[k] = logits[k];
    r->probabilities[k] = float(p[k] / total);
    if (r->probabilities[k] > r->probabilities[r->predicted_class]) r->predicted_class = k;
  }
  r->positive_class = info.positive_class;
  r->threshold = info.threshold;
  r->decision_class = r->predicted_class;
  if (n == 2)
    r->decision_class =
        r->probabilities[info.positive_class] >= info.threshold ? info.positive_class : 1 - info.positive_class;
  r->uncertain_low = info.uncertain_low;
  r->uncertain_high = info.uncertain_high;
  const float p_positive = r->probabilities[info.positive_class];
  r->uncertain = n == 2 && info.uncertain_low < info.uncertain_high && p_positive >= info.uncertain_low &&
                 p_positive <= info.uncertain_high;
  if (n == 2)
    r->positive_log_odds =
        float((double(logits[info.positive_class]) - logits[1 - info.positive_class]) / info.temperature);
  if (c->site_active) apply_site(c, r);
  r->calibration = c->calibration_label.c_str();
  gate(c, r);
  r->image_width = c->image.width;
  r->image_height = c->image.height;
  r->image_bit_depth = c->image.bit_depth;

  if (want_heatmap && plan.cam_features != SIZE_MAX) {
    t = Clock::now();
    const cxr::Shape f = plan.shapes[plan.cam_features];
    const cxr::LayerDesc& head = plan.layers[plan.cam_dense_layer].desc;
    cxr::class_activation_map(c->arena + plan.offsets[plan.cam_features], f,
                              head.weight.data + size_t(info.positive_class) * f.c, &c->cam);
    cxr::heatmap_from_cam(c->cam, f.w, f.h, info.input.w, info.input.h, &c->heatmap);
    r->heatmap = c->heatmap.data();
    r->heatmap_width = info.input.w;
    r->heatmap_height = info.input.h;
    r->timings.heatmap_ms = ms_since(t);
  }

  c->warnings = c->image.warnings;
  if (c->image.width < info.input.w || c->image.height < info.input.h)
    c->warnings.push_back("image is smaller than the model's input (" + std::to_string(c->image.width) + "x" +
                          std::to_string(c->image.height) + "); it was enlarged");
  r->num_warnings = 0;
  for (const std::string& w : c->warnings)
    if (r->num_warnings < CXR_MAX_WARNINGS) r->warnings[r->num_warnings++] = w.c_str();
  r->timings.total_ms = ms_since(start);
  return cxr::Ok();
}

}  // namespace

extern "C" {

cxr_classifier* cxr_classifier_create(const uint8_t* model_bytes, size_t size, cxr_backend backend, cxr_error* error) {
  if (error) *error = cxr_error{};
  std::unique_ptr<cxr_classifier> c(new (std::nothrow) cxr_classifier);
  if (!c) return cxr::to_c_error(cxr::Fail(cxr_status_out_of_memory, "out of memory loading the model"), error);
  cxr::Status s = create(model_bytes, size, backend, c.get());
  if (!s.ok()) return cxr::to_c_error(s, error);
  return c.release();
}

void cxr_classifier_destroy(cxr_classifier* classifier) { delete classifier; }

const char* cxr_classifier_metadata_json(const cxr_classifier* classifier) {
  return classifier ? classifier->model.metadata_json.c_str() : "";
}

void cxr_classifier_info(const cxr_classifier* classifier, cxr_model_info* out) {
  *out = cxr_model_info{};
  if (!classifier) return;
  const cxr::ModelInfo& info = classifier->model.info;
  out->name = info.name.c_str();
  out->version = info.version.c_str();
  out->checksum = classifier->model.checksum;
  out->input_width = info.input.w;
  out->input_height = info.input.h;
  out->input_channels = info.input.c;
  out->num_classes = uint32_t(info.classes.size());
  for (uint32_t k = 0; k < out->num_classes; ++k) out->class_names[k] = info.classes[k].c_str();
  out->positive_class = info.positive_class;
  out->temperature = info.temperature;
  out->threshold = info.threshold;
  out->validation_sensitivity = info.validation_sensitivity;
  out->validation_specificity = info.validation_specificity;
  out->uncertain_low = info.uncertain_low;
  out->uncertain_high = info.uncertain_high;
  out->ood_feature_check_available = classifier->ood.available;
  out->ood_threshold = classifier->ood.available ? classifier->ood.threshold : -1;
  out->adult_check_available = classifier->scope.adult_available;
  out->adult_threshold = classifier->scope.adult_available ? classifier->scope.threshold : 0;
  out->intended_population = classifier->scope.population.c_str();
  out->backend = classifier->backend->name();
}

cxr_status cxr_classify(cxr_classifier* classifier, const uint8_t* image_bytes, size_t size,
                        const cxr_classify_options* options, cxr_result* result, cxr_error* error) {
  if (error) *error = cxr_error{};
  if (!classifier || !result || (!image_bytes && size)) {
    cxr::to_c_error(cxr::Fail(cxr_status_invalid_argument, "cxr_classify: classifier, bytes and result are required"),
                    error);
    return cxr_status_invalid_argument;
  }
  *result = cxr_result{};
  cxr::Status s = classify(classifier, image_bytes, size, options && options->want_heatmap, result);
  if (!s.ok()) {
    *result = cxr_result{};
    cxr::to_c_error(s, error);
  }
  return s.code;
}

cxr_status cxr_classifier_set_site_calibration(cxr_classifier* classifier, const char* json, size_t length,
                                               cxr_error* error) {
  if (error) *error = cxr_error{};
  if (!classifier) {
    cxr::to_c_error(cxr::Fail(cxr_status_invalid_argument, "cxr_classifier_set_site_calibration: no classifier"),
                    error);
    return cxr_status_invalid_argument;
  }
  cxr::Status s = set_site(classifier, json, length);
  if (!s.ok()) cxr::to_c_error(s, error);
  return s.code;
}

const char* cxr_classifier_calibration_label(const cxr_classifier* classifier) {
  return classifier ? classifier->calibration_label.c_str() : "";
}

const char* cxr_classifier_site_calibration_json(const cxr_classifier* classifier) {
  return classifier ? classifier->site_json.c_str() : "";
}

const char* cxr_status_name(cxr_status status) {
  switch (status) {
    case cxr_status_ok: return "ok";
    case cxr_status_invalid_argument: return "invalid_argument";
    case cxr_status_unsupported_format: return "unsupported_format";
    case cxr_status_corrupt_input: return "corrupt_input";
    case cxr_status_too_large: return "too_large";
    case cxr_status_invalid_model: return "invalid_model";
    case cxr_status_unsupported_model_version: return "unsupported_model_version";
    case cxr_status_out_of_memory: return "out_of_memory";
    case cxr_status_backend_unavailable: return "backend_unavailable";
    case cxr_status_internal: return "internal";
  }
  return "unknown";
}

const char* cxr_backend_name(cxr_backend backend) {
  switch (backend) {
    case cxr_backend_portable: return "portable";
    case cxr_backend_xnnpack: return "xnnpack";
  }
  return "unknown";
}

}  // extern "C"
