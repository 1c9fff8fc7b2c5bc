// cxr-train ood-bench: how well the model's OOD gate separates real X-rays
// (a split of the dataset, test by default) from inputs the model was not
// made for (trainer/ood_images.h), all through the core's public API. Reports
// the pass rate of the X-rays and the rejection rate of each generated set
// with Wilson 95% intervals, and the AUROC of the gate's score. The gate was
// fitted and thresholded on train/validation only; nothing here tunes it.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include "decode/image.h"
#include "model/json.h"
#include "trainer/adult_films.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/gate.h"
#include "trainer/metrics.h"
#include "trainer/ood_images.h"

namespace cxr::train {
namespace {

using json::Value;

Status load_gray(const std::string& path, GrayImage* out) {
  std::vector<uint8_t> bytes;
  CXR_TRY(read_file(path, &bytes));
  Image image;
  CXR_TRY(about_file(path, decode_image(bytes.data(), bytes.size(), &image)));
  *out = GrayImage{int(image.width), int(image.height), std::vector<uint8_t>(image.pixels.size())};
  for (size_t i = 0; i < image.pixels.size(); ++i)
    out->pixels[i] = uint8_t((uint32_t(image.pixels[i]) * 255 + image.max_value / 2) / image.max_value);
  return Ok();
}

// The gate as one number, for AUROC: an image-check failure outranks any distance.
double gate_score(const Scored& s) { return s.image_check_failed ? 1e30 : s.feature_score; }

// --reference FILE: every input scored by a second model file too, to show
// that a re-stored model (cxr-train repack) gives the same verdicts.
struct Reference {
  ClassifierPtr classifier;
  size_t inputs = 0, verdicts_changed = 0, probabilities_changed = 0;
  double max_score_change = 0;
  void add(const Scored& s, const Scored& r) {
    ++inputs;
    verdicts_changed += r.ok != s.ok || r.flagged != s.flagged;
    probabilities_changed += r.probability != s.probability;
    if (r.ok && s.ok) max_score_change = std::max(max_score_change, std::fabs(r.feature_score - s.feature_score));
  }
  void compare(const Scored& s, const std::vector<uint8_t>& bytes) {
    if (classifier) add(s, score_bytes(classifier.get(), bytes));
  }
};

// The adult films of one role (trainer/adult_films.h): withheld by the whole
// gate, and withheld as out of scope (the adult reason), with Wilson CIs.
struct AdultTally {
  size_t films = 0, withheld = 0, as_adult = 0;
  Value to_json() const {
    Value v = Value::make_object();
    v.set("films", Value::of(double(films)));
    v.set("withheld", proportion_with_ci(withheld, films));
    v.set("withheld_as_adult", proportion_with_ci(as_adult, films));
    return v;
  }
};

// Scores every adult film; fails when one cannot be read.
Status bench_adult_films(cxr_classifier* classifier, const std::string& dir, Reference* reference, Value* out,
                         AdultTally* set_aside) {
  std::vector<AdultFilm> films;
  CXR_TRY(list_adult_films(dir, &films));
  std::map<std::string, AdultTally> tallies;  // by role, and the set-aside films by NIH label
  Progress progress("ood-bench: adult films", films.size());
  for (size_t i = 0; i < films.size(); ++i) {
    std::vector<uint8_t> bytes;
    CXR_TRY(read_file(films[i].path, &bytes));
    const Scored s = score_bytes(classifier, bytes);
    reference->compare(s, bytes);
    for (const std::string& key : {std::string(adult_role_name(films[i].role)),
                                   films[i].role == AdultRole::set_aside ? "set-aside " + films[i].label : ""}) {
      if (key.empty()) continue;
      AdultTally& t = tallies[key];
      ++t.films;
      t.withheld += !s.ok || s.flagged;
      t.as_adult += s.ok && s.out_of_scope;
    }
    progress.step(i + 1);
  }
  progress.finish();
  *set_aside = tallies["set-aside"];
  Value v = Value::make_object();
  v.set("films", Value::of(dir));
  v.set("rule", Value::of("models/PROTOCOL-gate-v2.md: within each NIH label, sorted by sha256, the first 80 are set "
                          "aside (measured only), the next 50 are check films (choices), the rest fit films"));
  for (const auto& [key, t] : tallies) {
    v.set(key, t.to_json());
    logf("adult films, %-40s withheld %5.1f%% (%zu/%zu), as adult %5.1f%%%s", key.c_str(),
         100.0 * double(t.withheld) / double(t.films), t.withheld, t.films,
         100.0 * double(t.as_adult) / double(t.films),
         key.rfind("set-aside", 0) == 0 ? "" : "  (fitted or chosen on: not a clean measure)");
  }
  *out = std::move(v);
  return Ok();
}

// The full-size originals of some of the data set's films (--originals DIR,
// default chest_xray_fullres_samples beside --data): what a clinic drops.
// Per split, the share passing the whole gate, and the share whose decision
// (shown or not) equals that of the film's 224x224 copy in --data.
Status bench_originals(cxr_classifier* classifier, const std::string& dir, const std::string& data, Value* out) {
  std::vector<std::vector<std::string>> rows;  // split,class,file,width,height,bytes,sha256
  CXR_TRY(read_csv_rows(dir + "/manifest.csv", 7, &rows));
  struct Tally {
    size_t films = 0, passed = 0, same_decision = 0;
  };
  std::map<std::string, Tally> by_split;
  for (const std::vector<std::string>& r : rows) {
    std::vector<uint8_t> original, copy;
    CXR_TRY(read_file(dir + "/" + r[0] + "/" + r[1] + "/" + r[2], &original));
    CXR_TRY(read_file(data + "/" + r[0] + "/" + r[1] + "/" + r[2], &copy));
    cxr_result from_copy, from_original;
    cxr_error e;
    if (cxr_classify(classifier, copy.data(), copy.size(), nullptr, &from_copy, &e) != cxr_status_ok ||
        cxr_classify(classifier, original.data(), original.size(), nullptr, &from_original, &e) != cxr_status_ok)
      return about_file(r[2], Status{e.status, e.message});
    Tally& t = by_split[r[0]];
    ++t.films;
    t.passed += !from_original.ood.flagged;
    t.same_decision += from_original.decision_class == from_copy.decision_class;
  }
  Value v = Value::make_object();
  v.set("films", Value::of(dir));
  for (const auto& [split, t] : by_split) {
    Value s = Value::make_object();
    s.set("passing", proportion_with_ci(t.passed, t.films));
    s.set("same_decision_as_copy", proportion_with_ci(t.same_decision, t.films));
    v.set(split, std::move(s));
    logf("full-size originals, %-5s passing %5.1f%% (%zu/%zu); decision as on the 224 copy %5.1f%% (%zu/%zu)%s",
         split.c_str(), 100.0 * double(t.passed) / double(t.films), t.passed, t.films,
         100.0 * double(t.same_decision) / double(t.films), t.same_decision, t.films,
         split == "train" ? "  (the gate's settings were chosen on these)" : "");
  }
  *out = std::move(v);
  return Ok();
}

}  // namespace

Status run_ood_bench(const Options& options, const std::string& command_line) {
  const std::string model_path = options.model_path(), data = options.data_dir();
  const std::string split_name = options.get("split", "test");
  const size_t per_set = size_t(options.number("per-set", 100));
  const uint32_t seed = uint32_t(options.number("seed", 1));
  Measurement measurement;
  CXR_TRY(start_measuring("ood-bench", options, command_line, ".ood-" + split_name + ".json", &measurement));
  const auto& [out_path, classifier, info] = measurement;
  if (!info.ood_feature_check_available)
    logf("note: %s has no OOD feature statistics: image checks only", model_path.c_str());

  std::vector<Sample> samples;
  CXR_TRY(list_split(data, split_name, &samples));
  std::vector<size_t> all(samples.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<Scored> xrays;
  CXR_TRY(score_samples(classifier.get(), samples, all, "ood-bench: " + split_name + " X-rays", &xrays));
  Reference reference;
  if (options.get("reference", "") != "") {
    CXR_TRY(load_classifier(options.get("reference", ""), &reference.classifier));
    std::vector<Scored> again;
    CXR_TRY(score_samples(reference.classifier.get(), samples, all, "ood-bench: the reference model", &again));
    for (size_t i = 0; i < xrays.size(); ++i) reference.add(xrays[i], again[i]);
  }
  std::vector<double> scores;  // gate scores, in-distribution first
  std::vector<int> is_ood;
  size_t passed = 0;
  for (const Scored& s : xrays) {
    passed += !s.flagged;
    scores.push_back(gate_score(s));
    is_ood.push_back(0);
  }

  std::mt19937 rng(seed);
  Value sets = Value::make_array();
  size_t ood_total = 0, ood_rejected = 0;
  for (const OodSet& set : ood_sets()) {
    size_t rejected = 0, by_image_checks = 0, refused = 0;
    std::vector<double> distances;
    for (size_t i = 0; i < per_set; ++i) {
      GrayImage film;
      if (set.derived_from_xrays) CXR_TRY(load_gray(samples[rng() % samples.size()].path, &film));
      const std::vector<uint8_t> input = make_ood_example(set.name, film, rng);
      const Scored s = score_bytes(classifier.get(), input);
      reference.compare(s, input);
      refused += !s.ok;  // the core refusing to read it is a rejection too
      rejected += !s.ok || s.flagged;
      by_image_checks += s.ok && s.image_check_failed;
      if (s.ok) scores.push_back(gate_score(s)), is_ood.push_back(1), distances.push_back(s.feature_score);
    }
    ood_total += per_set;
    ood_rejected += rejected;
    Value v = Value::make_object();
    v.set("name", Value::of(set.name));
    v.set("description", Value::of(set.description));
    v.set("rejected", proportion_with_ci(rejected, per_set));
    v.set("by_image_checks", Value::of(double(by_image_checks)));
    v.set("refused_by_decoder", Value::of(double(refused)));
    std::sort(distances.begin(), distances.end());
    const double median = distances.empty() ? -1 : distances[distances.size() / 2];
    v.set("median_feature_distance", Value::of(median));
    logf("%-14s rejected %5.1f%% (%zu/%zu; image checks %zu, unreadable %zu; median distance %.2f)  %s",
         set.name.c_str(), 100.0 * double(rejected) / double(per_set), rejected, per_set, by_image_checks, refused,
         median, set.description.c_str());
    sets.push(std::move(v));
  }

  AdultTally adult_set_aside;
  Value adult;
  const std::string adult_dir = adult_films_dir(options);
  if (!adult_dir.empty()) CXR_TRY(bench_adult_films(classifier.get(), adult_dir, &reference, &adult, &adult_set_aside));

  Value originals;
  const std::string originals_dir =
      options.get("originals", (std::filesystem::path(data).parent_path() / "chest_xray_fullres_samples").string());
  const bool have_originals =
      options.get("originals", "") != "none" && std::filesystem::is_regular_file(originals_dir + "/manifest.csv");
  if (have_originals) CXR_TRY(bench_originals(classifier.get(), originals_dir, data, &originals));

  Value report = Value::make_object();
  report.set("in_distribution", Value::of(data + "/" + split_name));
  report.set("pass_rate", proportion_with_ci(passed, samples.size()));
  report.set("ood_rejection_rate", proportion_with_ci(ood_rejected, ood_total));
  report.set("auroc", Value::of(auc(scores, is_ood)));
  report.set("sets", std::move(sets));
  if (!adult_dir.empty()) report.set("adult", std::move(adult));
  if (have_originals) report.set("full_size_originals", std::move(originals));
  report.set("per_set", Value::of(double(per_set)));
  report.set("seed", Value::of(double(seed)));
  report.set("command_line", Value::of(command_line));
  report.set("date", Value::of(utc_now_iso8601()));
  logf("%s X-rays passing: %.2f%% (%zu/%zu); generated OOD rejected: %.2f%% (%zu/%zu); AUROC %.4f", split_name.c_str(),
       100.0 * double(passed) / double(samples.size()), passed, samples.size(),
       100.0 * double(ood_rejected) / double(ood_total), ood_rejected, ood_total, auc(scores, is_ood));
  Value out = report;
  if (reference.classifier) {
    Value r = Value::make_object();
    r.set("model", Value::of(options.get("reference", "")));
    r.set("inputs", Value::of(double(reference.inputs)));
    r.set("verdicts_changed", Value::of(double(reference.verdicts_changed)));
    r.set("probabilities_changed", Value::of(double(reference.probabilities_changed)));
    r.set("max_score_change", Value::of(reference.max_score_change));
    out.set("reference", std::move(r));
    logf("against %s: %zu inputs, verdicts changed %zu, probabilities changed %zu, largest gate-score change %.3g",
         options.get("reference", "").c_str(), reference.inputs, reference.verdicts_changed,
         reference.probabilities_changed, reference.max_score_change);
  }
  CXR_TRY(write_file(out_path, json::serialize(out) + "\n"));
  logf("wrote %s", out_path.c_str());

  if (options.flag("write-into-model")) {
    Value metadata;
    CXR_TRY(classifier_metadata(classifier.get(), &metadata));
    Value* ood = metadata.find("ood");
    if (!ood)
      return Fail(cxr_status_invalid_model,
                  "the model has no ood section to add the benchmark to (run cxr-train gate)");
    ood->set("benchmark", report);
    CXR_TRY(rewrite_model(model_path, metadata, {}));
    logf("wrote ood.benchmark into %s", model_path.c_str());
  }
  // The bar: >= 95% of generated OOD rejected, >= 98% of X-rays passing.
  if (options.flag("check")) {
    const bool ok = double(ood_rejected) >= 0.95 * double(ood_total) &&
                    double(passed) >= 0.98 * double(samples.size()) && reference.verdicts_changed == 0 &&
                    double(adult_set_aside.withheld) >= 0.95 * double(adult_set_aside.films);
    if (!ok)
      return Fail(kCheckFailed,
                  "need >= 95%% of OOD rejected, >= 98%% of X-rays passing, >= 95%% of the set-aside adult "
                  "films withheld (and, "
                  "with --reference, the same verdicts)");
    logf("check passed");
  }
  return Ok();
}

}  // namespace cxr::train
