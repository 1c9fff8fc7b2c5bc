// cxr-train evaluate: a model FILE on a split, through the core's public API
// (cxr_classifier_create + cxr_classify on the image bytes), the same path the
// CLI and the browser take. No LibTorch here.
#include <cmath>
#include <memory>

#include "cxr/cxr.h"
#include "model/model_file.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/metrics.h"

namespace cxr::train {
namespace {

using json::Value;

// The rows that must be identical when the same file is evaluated again.
Status same_confusions(const Value& stored, const Value& fresh) {
  for (const char* key : {"confusion_threshold", "confusion_argmax"}) {
    const Value* a = stored.find(key);
    const Value* b = fresh.find(key);
    if (!a || !b || json::serialize(*a) != json::serialize(*b))
      return Fail(kCheckFailed, "MISMATCH with the model's metadata: %s: stored %s, measured %s", key,
                  (a ? json::serialize(*a) : "none").c_str(), (b ? json::serialize(*b) : "none").c_str());
  }
  return Ok();
}

// What the uncertainty band does on this split: how many films the page calls
// uncertain, and how good the decisions it does give are.
Value band_report(const std::vector<double>& scores, const std::vector<int>& labels, const std::vector<int>& uncertain,
                  const cxr_model_info& info) {
  Value band = Value::make_object();
  band.set("low", Value::of(info.uncertain_low));
  band.set("high", Value::of(info.uncertain_high));
  std::vector<double> sure_scores;
  std::vector<int> sure_labels;
  size_t count = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    count += uncertain[i];
    if (!uncertain[i]) sure_scores.push_back(scores[i]), sure_labels.push_back(labels[i]);
  }
  band.set("uncertain", proportion_with_ci(count, scores.size()));
  const Confusion c = confusion_at(sure_scores, sure_labels, info.threshold);
  band.set("accuracy_outside", proportion_with_ci(c.tp + c.tn, sure_scores.size()));
  band.set("sensitivity_outside", proportion_with_ci(c.tp, c.tp + c.fn));
  band.set("specificity_outside", proportion_with_ci(c.tn, c.tn + c.fp));
  return band;
}

}  // namespace

Status run_evaluate(const Options& options, const std::string& command_line) {
  const std::string model_path = options.model_path(), data = options.data_dir();
  const std::string halves = options.get("halves", ""), part = options.get("part", "report");
  const std::string split_name = halves.empty() ? options.get("split", "test") : part;
  const size_t resamples = size_t(options.number("bootstrap", 1000));
  const uint64_t seed = uint64_t(options.number("seed", 1));
  Measurement measurement;
  CXR_TRY(start_measuring("evaluate", options, command_line, "." + split_name + ".json", &measurement));
  const auto& [out_path, classifier, info] = measurement;

  std::vector<Sample> samples;
  std::string set_name;
  CXR_TRY(select_films(data, options.get("split", "test"), halves, part, 0, &samples, &set_name));
  std::vector<double> scores;
  std::vector<int> labels, argmax;
  std::vector<std::string> subtypes;
  std::vector<int> uncertain;
  size_t ood_flagged = 0;
  Progress progress("evaluate " + split_name, samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    std::vector<uint8_t> bytes;
    CXR_TRY(read_file(samples[i].path, &bytes));
    cxr_result result;
    cxr_error cerr;
    if (cxr_classify(classifier.get(), bytes.data(), bytes.size(), nullptr, &result, &cerr) != cxr_status_ok)
      return about_file(samples[i].path, Status{cerr.status, cerr.message});
    scores.push_back(result.probabilities[info.positive_class]);
    argmax.push_back(result.predicted_class == info.positive_class);
    labels.push_back(samples[i].label);
    subtypes.push_back(samples[i].subtype);
    uncertain.push_back(result.uncertain);
    ood_flagged += result.ood.flagged;
    progress.step(i + 1);
  }
  progress.finish();

  Value report = evaluation_report(scores, labels, argmax, subtypes, info.threshold, resamples, seed);
  report.set("uncertainty_band", band_report(scores, labels, uncertain, info));
  report.set("ood_flagged", proportion_with_ci(ood_flagged, samples.size()));
  report.set("split", Value::of(split_name));
  report.set("data", Value::of(data));
  report.set("backend", Value::of(info.backend));
  char crc[16];
  snprintf(crc, sizeof crc, "%08x", info.checksum);
  report.set("model_file_crc32", Value::of(crc));
  report.set("command_line", Value::of(command_line));
  report.set("date", Value::of(utc_now_iso8601()));
  auto value = [&](const char* key) { return report.find(key)->find("value")->number; };
  auto low = [&](const char* key) { return report.find(key)->find("ci95")->array[0].number; };
  auto high = [&](const char* key) { return report.find(key)->find("ci95")->array[1].number; };
  for (const char* key :
       {"auc", "argmax_accuracy", "accuracy", "sensitivity", "specificity", "precision", "f1_pneumonia"})
    logf("%-20s %.4f  [%.4f, %.4f]", key, value(key), low(key), high(key));
  const Value& band = *report.find("uncertainty_band");
  logf("uncertain (probability in [%.2f, %.2f]): %.1f%%; outside the band accuracy %.4f, sensitivity %.4f, "
       "specificity %.4f; OOD-flagged %.1f%%",
       double(info.uncertain_low), double(info.uncertain_high), 100 * band.find("uncertain")->find("value")->number,
       band.find("accuracy_outside")->find("value")->number, band.find("sensitivity_outside")->find("value")->number,
       band.find("specificity_outside")->find("value")->number,
       100 * report.find("ood_flagged")->find("value")->number);
  logf("threshold %.4f  confusion (rows true N/P, cols pred N/P) %s; argmax %s; ECE %.4f", double(info.threshold),
       json::serialize(*report.find("confusion_threshold")).c_str(),
       json::serialize(*report.find("confusion_argmax")).c_str(), report.find("calibration")->find("ece")->number);
  CXR_TRY(write_file(out_path, json::serialize(report) + "\n"));
  logf("wrote %s", out_path.c_str());

  // The stored metrics must be exactly what this file measures today.
  if (options.flag("check-model-metadata")) {
    Value metadata;
    CXR_TRY(classifier_metadata(classifier.get(), &metadata));
    const Value* metrics = metadata.find("metrics");
    const Value* stored = metrics ? metrics->find(split_name) : nullptr;
    if (!stored) return Fail(kCheckFailed, "the model stores no metrics.%s", split_name.c_str());
    CXR_TRY(same_confusions(*stored, report));
    logf("the model's metrics.%s match this evaluation exactly", split_name.c_str());
  }

  // Re-write the metadata with metrics.<split>: the tensors are copied
  // unchanged (the weights and their provenance stay), only the file's CRC changes.
  if (options.flag("write-into-model")) {
    Value metadata;
    CXR_TRY(classifier_metadata(classifier.get(), &metadata));
    if (!metadata.find("metrics")) metadata.set("metrics", Value::make_object());
    report.set("note", Value::of(std::string("measured on the model file with CRC-32 ") + crc +
                                 ", before this metadata was added; the weights are unchanged"));
    metadata.find("metrics")->set(split_name, report);
    CXR_TRY(rewrite_model(model_path, metadata, {}));
    logf("wrote metrics.%s into %s", split_name.c_str(), model_path.c_str());
  }
  return Ok();
}

}  // namespace cxr::train
