// cxr-train gate: fits the OOD gate's statistics (per layer, class means and
// a class-shared covariance of channel means; Lee et al. 2018) on the
// training part of train/, sets its threshold on validation, adds the
// uncertainty band, and writes both into the model file. Core only.
#include "trainer/gate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "classify/ood.h"
#include "model/json.h"
#include "trainer/adult_check.h"
#include "trainer/adult_films.h"

namespace cxr::train {
namespace {

using json::Value;

// A threshold with at least `q` of `values` at or below it: midway between
// the q quantile and the next larger value. On the quantile itself, that
// film's verdict would hang on the last bits of the arithmetic (another
// backend or SIMD target, stored precision) instead of on the rule.
double threshold_at_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const size_t rank = size_t(std::ceil(q * double(values.size())));
  const size_t at = std::min(values.size() - 1, rank ? rank - 1 : 0);
  return at + 1 < values.size() ? 0.5 * (values[at] + values[at + 1]) : values[at];
}

std::string format_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

double rate(size_t count, size_t total) { return total ? double(count) / double(total) : 0; }

}  // namespace

// Inverse of a symmetric positive-definite n x n matrix via Cholesky
// (A = L L^T, A^-1 = L^-T L^-1); false when A is not positive definite.
bool invert_spd(const std::vector<double>& a, size_t n, std::vector<double>* inverse) {
  std::vector<double> l(n * n, 0.0), l_inv(n * n, 0.0);
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) return false;
    l[j * n + j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (size_t k = 0; k < j; ++k) v -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = v / l[j * n + j];
    }
  }
  for (size_t j = 0; j < n; ++j)  // forward substitution, column j of L^-1
    for (size_t i = j; i < n; ++i) {
      double v = i == j ? 1.0 : 0.0;
      for (size_t k = j; k < i; ++k) v -= l[i * n + k] * l_inv[k * n + j];
      l_inv[i * n + j] = v / l[i * n + i];
    }
  inverse->assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      for (size_t k = std::max(i, j); k < n; ++k) (*inverse)[i * n + j] += l_inv[k * n + i] * l_inv[k * n + j];
  return true;
}

Status score_samples(cxr_classifier* classifier, const std::vector<Sample>& samples, const std::vector<size_t>& which,
                     const std::string& label, std::vector<Scored>* out) {
  Progress progress(label, which.size());
  for (size_t i = 0; i < which.size(); ++i) {
    std::vector<uint8_t> bytes;
    CXR_TRY(read_file(samples[which[i]].path, &bytes));
    out->push_back(score_bytes(classifier, bytes));
    if (!out->back().ok) return about_file(samples[which[i]].path, Status{out->back().code, out->back().error});
    progress.step(i + 1);
  }
  progress.finish();
  return Ok();
}

Scored score_bytes(cxr_classifier* classifier, const std::vector<uint8_t>& bytes) {
  Scored s;
  cxr_result r;
  cxr_error e;
  if (cxr_classify(classifier, bytes.data(), bytes.size(), nullptr, &r, &e) != cxr_status_ok) {
    s.code = e.status;
    s.error = e.message;
    return s;
  }
  s.ok = true;
  s.probability = r.probabilities[r.positive_class];
  s.features.assign(r.features, r.features + r.num_features);
  s.flagged = r.ood.flagged;
  s.feature_score = r.ood.feature_check_available ? r.ood.score : -1;
  const bool feature_failed = r.ood.feature_check_available && !(r.ood.score <= r.ood.threshold);
  // The out-of-scope reason comes first, the feature reason last.
  s.out_of_scope = r.ood.out_of_scope;
  s.adult_score = r.ood.adult_score;
  s.image_check_failed = r.ood.num_reasons > (feature_failed ? 1u : 0u) + (r.ood.out_of_scope ? 1u : 0u);
  return s;
}

namespace {

// The default feature layers: the first layer (texture, sharpness), every
// residual join (one per stage) and the global pool (content), skipping a
// layer whose channel means the pool repeats, and a layer wider than
// kMaxFeatureChannels: its C x C precision matrix is stored as C(C+1)/2
// values, and MobileNetV2's 1280-channel pool alone would be 1.6 MB in f16,
// more than the whole app's download budget.
constexpr uint32_t kMaxFeatureChannels = 512;

std::vector<std::string> default_feature_layers(const std::vector<LayerDesc>& layers) {
  std::vector<std::string> names;
  std::map<std::string, uint32_t> channels_of;  // by layer name; "" = the previous layer
  uint32_t previous = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerDesc& l = layers[i];
    const uint32_t in = l.inputs.empty() ? previous : channels_of[l.inputs[0]];
    const uint32_t channels = l.type == LayerType::conv2d || l.type == LayerType::dense ? l.out_channels : in;
    channels_of[l.name] = previous = channels;
    const bool feeds_pool =
        i + 1 < layers.size() && layers[i + 1].type == LayerType::global_avg_pool && layers[i + 1].inputs.empty();
    if ((i == 0 || l.type == LayerType::add || l.type == LayerType::global_avg_pool) && !feeds_pool &&
        channels <= kMaxFeatureChannels)
      names.push_back(l.name);
  }
  return names;
}

struct LayerFit {
  std::string name;
  uint32_t channels = 0;
  TensorRecord means, precision;
};

// Class means and the inverse of the class-shared covariance of features
// [offset, offset + channels) of the training rows, shrunk toward a scaled
// identity (dead ReLU channels have zero variance).
bool fit_layer(const std::vector<Scored>& rows, const std::vector<int>& labels, size_t classes, size_t offset,
               double shrinkage, LayerFit* fit) {
  const size_t n = fit->channels;
  std::vector<double> means(classes * n, 0.0), covariance(n * n, 0.0), d(n);
  std::vector<size_t> counts(classes, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    ++counts[labels[i]];
    for (size_t f = 0; f < n; ++f) means[labels[i] * n + f] += rows[i].features[offset + f];
  }
  for (size_t k = 0; k < classes; ++k)
    for (size_t f = 0; f < n; ++f) means[k * n + f] /= double(std::max<size_t>(1, counts[k]));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t f = 0; f < n; ++f) d[f] = rows[i].features[offset + f] - means[labels[i] * n + f];
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b < n; ++b) covariance[a * n + b] += d[a] * d[b] / double(rows.size());
  }
  double trace = 0;
  for (size_t f = 0; f < n; ++f) trace += covariance[f * n + f];
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b)
      covariance[a * n + b] = (1 - shrinkage) * covariance[a * n + b] + (a == b ? shrinkage * trace / double(n) : 0);
  std::vector<double> precision;
  if (!invert_spd(covariance, n, &precision)) return false;
  fit->means = {"ood." + fit->name + ".class_means", {uint32_t(classes), uint32_t(n)}, {means.begin(), means.end()}};
  fit->precision = {
      "ood." + fit->name + ".precision", {uint32_t(n), uint32_t(n)}, {precision.begin(), precision.end()}};
  return true;
}

std::vector<uint8_t> model_bytes(const Model& model, const Value& metadata, const std::vector<TensorRecord>& extra) {
  std::vector<TensorRecord> tensors;
  for (const ModelTensor& t : model.tensors)
    if (t.name.rfind("ood.", 0) != 0)
      tensors.push_back(TensorRecord{t.name, t.dims, {t.data, t.data + t.count}, t.f16});
  tensors.insert(tensors.end(), extra.begin(), extra.end());
  return write_model(metadata, tensors);
}

}  // namespace

bool uncertainty_band(double low, double high, double threshold, UncertaintyBand* band) {
  if (!(0 <= low && low < high && high <= 1)) return false;
  band->low = std::min(low, threshold);
  band->high = std::max(high, threshold);
  return true;
}

namespace {

// The adult check (classify/scope.h), fitted on the training part's features
// against the adult films of the chosen roles, thresholded on validation;
// the check films are scored to compare settings (models/PROTOCOL-gate-v2.md).
// Adds "adult" to `ood` and its tensors.
Status add_adult_check(cxr_classifier* classifier, const std::vector<Sample>& samples, const OodStatistics& stats,
                       double distance_threshold, const std::vector<Scored>& train,
                       const std::vector<Scored>& validation, const Options& options, Value* ood,
                       std::vector<TensorRecord>* tensors) {
  const std::string dir = adult_films_dir(options);
  const double l2 = options.number("adult-l2", 0.1), pass_quantile = options.number("adult-pass-quantile", 0.998);
  const std::string fit_roles = options.get("adult-fit", "fit+check");
  if (fit_roles != "fit" && fit_roles != "fit+check")
    return Fail(cxr_status_invalid_argument,
                "--adult-fit is \"fit\" or \"fit+check\" (the set-aside films are never fitted on)");
  std::vector<AdultFilm> films;
  CXR_TRY(list_adult_films(dir, &films));
  auto score_films = [&](const std::vector<AdultFilm>& which, const std::string& label, std::vector<Scored>* out) {
    std::vector<Sample> as_samples;
    std::vector<size_t> all;
    for (const AdultFilm& f : which) {
      Sample sample;
      sample.path = sample.name = f.path;
      as_samples.push_back(sample);
      all.push_back(all.size());
    }
    return score_samples(classifier, as_samples, all, label, out);
  };
  std::vector<Scored> fit_films, check_films;
  const std::vector<AdultRole> roles = fit_roles == "fit" ? std::vector<AdultRole>{AdultRole::fit}
                                                          : std::vector<AdultRole>{AdultRole::fit, AdultRole::check};
  CXR_TRY(score_films(adult_films_with(films, roles), "gate: adult fit films", &fit_films));
  CXR_TRY(score_films(adult_films_with(films, {AdultRole::check}), "gate: adult check films", &check_films));
  // --adult-layers K: only the last K feature layers' features (the deeper,
  // content ones); the others get weight 0.
  const size_t layers = stats.layers.size();
  const size_t used_layers = std::min(layers, size_t(options.number("adult-layers", 6.0)));
  size_t first = 0, total = 0;
  for (size_t l = 0; l < layers; ++l) (l < layers - used_layers ? first : total) += stats.layers[l].channels;
  total += first;
  auto tail = [&](const std::vector<Scored>& rows, std::vector<std::vector<float>>* out) {
    for (const Scored& s : rows) out->emplace_back(s.features.begin() + first, s.features.end());
  };
  std::vector<std::vector<float>> in_scope_rows, adult_rows;
  tail(train, &in_scope_rows);
  tail(fit_films, &adult_rows);
  std::vector<const std::vector<float>*> in_scope, adult;
  for (const auto& r : in_scope_rows) in_scope.push_back(&r);
  for (const auto& r : adult_rows) adult.push_back(&r);
  LogisticFit fit;
  CXR_TRY(fit_logistic(in_scope, adult, l2, &fit));
  fit.weights.insert(fit.weights.begin(), first, 0.0f);  // over all the gate's features, as the core reads them
  if (fit.weights.size() != total)
    return Fail(cxr_status_internal, "adult check: %zu weights for %zu features", fit.weights.size(), total);

  std::vector<double> validation_scores;
  for (const Scored& s : validation) validation_scores.push_back(logistic_score(fit, s.features));
  const double threshold = threshold_at_quantile(validation_scores, pass_quantile);
  size_t validation_pass = 0, as_adult = 0, withheld = 0;
  for (double z : validation_scores) validation_pass += float(z) <= float(threshold);
  std::vector<double> margins;  // check films' score above the threshold, in units of the validation spread
  double mean = 0, spread = 0;
  for (double z : validation_scores) mean += z / double(validation_scores.size());
  for (double z : validation_scores) spread += (z - mean) * (z - mean) / double(validation_scores.size());
  spread = std::sqrt(spread);
  for (const Scored& s : check_films) {
    const double z = logistic_score(fit, s.features);
    const bool adult_flag = !(float(z) <= float(threshold));
    as_adult += adult_flag;
    withheld += adult_flag || s.image_check_failed ||
                !(mahalanobis_score(stats, s.features.data()) <= float(distance_threshold));
    margins.push_back((z - threshold) / (spread > 0 ? spread : 1));
  }
  std::sort(margins.begin(), margins.end());
  const double margin_5 = margins[margins.size() / 20];
  logf("gate: adult check (last %zu of %zu layers, L2 %g, fitted on %zu pediatric + %zu adult films, %d Newton steps): "
       "threshold %.3f; "
       "validation %.2f%% pass; check films (%zu): %.1f%% withheld as adult, %.1f%% by the whole gate; 5th-percentile "
       "margin %.2f validation SDs",
       used_layers, layers, l2, train.size(), fit_films.size(), fit.iterations, threshold,
       100 * rate(validation_pass, validation.size()), check_films.size(), 100 * rate(as_adult, check_films.size()),
       100 * rate(withheld, check_films.size()), margin_5);

  Value a = Value::make_object();
  a.set("method", Value::of("logistic"));
  a.set("threshold", Value::of(threshold));
  a.set("description",
        Value::of("outlier exposure: L2-regularised logistic regression on the gate's features, "
                  "pediatric training films against adult films (NIH ChestX-ray8, " +
                  fit_roles +
                  " films of models/PROTOCOL-gate-v2.md), classes weighted equally; threshold: midway "
                  "between the " +
                  format_number(pass_quantile) + " quantile of pediatric validation scores and the next one"));
  a.set("l2", Value::of(l2));
  a.set("layers_used", Value::of(double(used_layers)));
  a.set("pass_quantile", Value::of(pass_quantile));
  a.set("fit_films", Value::of(fit_roles));
  a.set("fit_images_pediatric", Value::of(double(train.size())));
  a.set("fit_images_adult", Value::of(double(fit_films.size())));
  a.set("validation_pass_rate", Value::of(rate(validation_pass, validation.size())));
  Value check = Value::make_object();
  check.set("images", Value::of(double(check_films.size())));
  check.set("withheld_as_adult", Value::of(rate(as_adult, check_films.size())));
  check.set("withheld", Value::of(rate(withheld, check_films.size())));
  check.set("margin_5th_percentile", Value::of(margin_5));
  check.set("fitted_on", Value::of_bool(fit_roles != "fit"));
  a.set("check", std::move(check));
  ood->set("adult", std::move(a));
  tensors->push_back(TensorRecord{"ood.adult.weights", {uint32_t(fit.weights.size())}, fit.weights});
  tensors->push_back(TensorRecord{"ood.adult.bias", {1}, {fit.bias}});
  return Ok();
}

// "FROM:TO" in completed years.
bool parse_age_range(const std::string& text, double* from, double* to) {
  char tail = 0;
  return std::sscanf(text.c_str(), "%lf:%lf%c", from, to, &tail) == 2 && *from >= 0 && *to >= *from && *to < 200;
}

}  // namespace

Status add_gate(const std::string& model_path, const std::vector<Sample>& samples, const Split& split,
                const Options& options) {
  const double asked_low = options.number("uncertain-low", 0.2), asked_high = options.number("uncertain-high", 0.8);
  const double pass_quantile = options.number("pass-quantile", 0.99);
  const double shrinkage = options.number("shrinkage", 0.01);
  std::vector<uint8_t> bytes;
  Model model;
  CXR_TRY(read_model_file(model_path, &bytes, &model));
  const ModelInfo& info = model.info;
  UncertaintyBand band;
  if (!uncertainty_band(asked_low, asked_high, info.threshold, &band))
    return Fail(cxr_status_invalid_argument, "the uncertainty band [%g, %g] must be an interval within [0, 1]",
                asked_low, asked_high);
  const double low = band.low, high = band.high;
  if (low != asked_low || high != asked_high)
    logf("uncertainty band [%g, %g] stretched to [%g, %g] to reach the threshold %g", asked_low, asked_high, low, high,
         info.threshold);

  // Step 1: the model with its feature layers named but no statistics, so
  // the core computes the features; score the train and validation films.
  std::vector<LayerFit> fits;
  Value layer_names = Value::make_array();
  for (const std::string& name : default_feature_layers(model.layers)) {
    fits.emplace_back();
    fits.back().name = name;
    layer_names.push(Value::of(name));
  }
  Value metadata = model.metadata;
  Value ood = Value::make_object();
  ood.set("method", Value::of("mahalanobis"));
  ood.set("layers", layer_names);
  metadata.set("ood", ood);
  const std::vector<uint8_t> unfitted = model_bytes(model, metadata, {});
  cxr_error cerr;
  const ClassifierPtr classifier(cxr_classifier_create(unfitted.data(), unfitted.size(), cxr_backend_portable, &cerr));
  if (!classifier) return Status{cerr.status, cerr.message};
  std::vector<Scored> train, validation;
  CXR_TRY(score_samples(classifier.get(), samples, split.train, "gate: train features", &train));
  CXR_TRY(score_samples(classifier.get(), samples, split.validation, "gate: validation", &validation));

  // Step 2: per layer statistics on the training part.
  Plan plan;
  std::vector<std::string> names;
  for (const LayerFit& f : fits) names.push_back(f.name);
  CXR_TRY(build_plan(model.layers, info.input, &plan, names));
  std::vector<int> labels;
  for (size_t i : split.train) labels.push_back(samples[i].label);
  OodStatistics stats;
  stats.classes = uint32_t(info.classes.size());
  std::vector<TensorRecord> tensors;
  size_t offset = 0;
  for (size_t l = 0; l < fits.size(); ++l) {
    fits[l].channels = plan.shapes[plan.kept_values[l]].c;
    if (!fit_layer(train, labels, stats.classes, offset, shrinkage, &fits[l]))
      return Fail(cxr_status_internal, "the covariance of layer %s is singular", fits[l].name.c_str());
    offset += fits[l].channels;
    tensors.push_back(fits[l].means);
    tensors.push_back(fits[l].precision);
  }
  for (const LayerFit& f : fits)
    stats.layers.push_back(OodLayer{0, f.channels, f.means.values.data(), f.precision.values.data()});
  stats.available = true;

  // Step 3: the threshold and the band on validation.
  std::vector<double> validation_scores;
  for (const Scored& s : validation) validation_scores.push_back(mahalanobis_score(stats, s.features.data()));
  const double threshold = threshold_at_quantile(validation_scores, pass_quantile);
  size_t feature_pass = 0, image_fail = 0, pass = 0, uncertain = 0;
  for (size_t i = 0; i < validation.size(); ++i) {
    const bool feature_ok = validation_scores[i] <= float(threshold);
    feature_pass += feature_ok;
    image_fail += validation[i].image_check_failed;
    pass += feature_ok && !validation[i].image_check_failed;
    uncertain += validation[i].probability >= low && validation[i].probability <= high;
  }
  ood.set("threshold", Value::of(threshold));
  ood.set("description",
          Value::of("image checks (colour, size, shape, blank/saturated) and the Mahalanobis distance "
                    "of the channel means of the listed layers to the nearest class mean (class-shared "
                    "covariance per layer, fitted on the training part of train/); threshold: midway between the " +
                    format_number(pass_quantile) + " quantile of validation distances and the next one"));
  ood.set("features", Value::of(double(offset)));
  ood.set("fit_images", Value::of(double(train.size())));
  ood.set("shrinkage", Value::of(shrinkage));
  ood.set("pass_quantile", Value::of(pass_quantile));
  Value v = Value::make_object();
  v.set("images", Value::of(double(validation.size())));
  v.set("pass_rate", Value::of(rate(pass, validation.size())));
  v.set("feature_pass_rate", Value::of(rate(feature_pass, validation.size())));
  v.set("image_check_failures", Value::of(double(image_fail)));
  ood.set("validation", std::move(v));
  if (adult_films_dir(options).empty())  // said, so a retrained model does not lose the check unnoticed
    logf("gate: no adult films (--adult DIR, or adult_nih beside --data): this model gets no adult check");
  else
    CXR_TRY(add_adult_check(classifier.get(), samples, stats, threshold, train, validation, options, &ood, &tensors));
  metadata.set("ood", std::move(ood));
  double age_from = 0, age_to = 0;
  if (!parse_age_range(options.get("intended-age", "1:5"), &age_from, &age_to))
    return Fail(cxr_status_invalid_argument, "--intended-age is FROM:TO in completed years, e.g. 1:5");
  Value ages = Value::make_object();
  ages.set("from", Value::of(age_from));
  ages.set("to", Value::of(age_to));
  Value intended = Value::make_object();
  intended.set("age_years", std::move(ages));
  intended.set("description", Value::of("a DICOM file stating an age outside this range (completed years) is "
                                        "withheld as out of scope"));
  metadata.set("intended_use", std::move(intended));
  Value* t = metadata.find("threshold");
  t->set("uncertain_low", Value::of(low));
  t->set("uncertain_high", Value::of(high));
  t->set("validation_fraction_uncertain", Value::of(rate(uncertain, validation.size())));
  bytes = model_bytes(model, metadata, tensors);
  CXR_TRY(write_file(model_path, std::string(bytes.begin(), bytes.end())));
  logf("gate: %zu layers, %zu features, threshold %.3f; validation: %.2f%% pass (%.2f%% feature check, %zu "
       "image-check failures), %.2f%% in the uncertainty band [%.2f, %.2f]; wrote %s (%.2f MB)",
       fits.size(), offset, threshold, 100 * rate(pass, validation.size()), 100 * rate(feature_pass, validation.size()),
       image_fail, 100 * rate(uncertain, validation.size()), low, high, model_path.c_str(), double(bytes.size()) / 1e6);
  return Ok();
}

Status provenance_split(const json::Value& metadata, const std::string& data, std::vector<Sample>* samples,
                        Split* split) {
  const Value* p = metadata.find("provenance");
  auto number = [&](const char* key) {
    const Value* v = p ? p->find(key) : nullptr;
    return v && v->is_number() ? v->number : -1.0;
  };
  const Value* hash = p ? p->find("validation_patients_hash") : nullptr;
  if (!hash || !hash->is_string() || number("split_seed") < 0 || number("validation_fraction_of_patients") < 0)
    return Fail(cxr_status_invalid_model, "the model does not record its validation split (provenance)");
  const Value* order_name = p->find("validation_split");  // absent: models from before it existed
  SplitOrder order = SplitOrder::shuffle;
  if (order_name && (!order_name->is_string() || !parse_split_order(order_name->string, &order)))
    return Fail(cxr_status_invalid_model, "the model records a validation split this trainer does not know");
  CXR_TRY(list_split(data, "train", samples));
  *split = split_by_patient(*samples, number("validation_fraction_of_patients"), uint64_t(number("split_seed")), order);
  if ("fnv1a64:" + split->validation_patients_hash != hash->string ||
      double(samples->size()) != number("train_images") + number("validation_images"))
    return Fail(cxr_status_invalid_argument,
                "%s/train is not the data the model was trained on (validation split %s, recorded %s)", data.c_str(),
                split->validation_patients_hash.c_str(), hash->string.c_str());
  return Ok();
}

Status run_gate(const Options& options, const std::string& command_line) {
  const std::string model_path = options.model_path();
  start_log("gate", options.get("log", model_path + ".gate.log"), command_line);
  // Only the metadata is needed here (add_gate reads the file itself).
  std::vector<uint8_t> bytes;
  Model model;
  CXR_TRY(read_model_file(model_path, &bytes, &model));
  std::vector<Sample> samples;
  Split split;
  CXR_TRY(about_file(model_path, provenance_split(model.metadata, options.data_dir(), &samples, &split)));
  return add_gate(model_path, samples, split, options);
}

}  // namespace cxr::train
