// cxr-train repack: re-write a model file in the current format version
// (byte-planar tensors, symmetric matrices as their upper triangle: a smaller
// download, core/model/model_file.h) with the ROC and PR curves stored in its
// metrics cut to what a chart needs (decimate_curve). By default nothing the
// core computes with changes: the written file is read back and every tensor
// must hold the same values, bit for bit, as the original's.
// --ood-precision f16 also stores the OOD gate's precision matrices as scaled
// half floats (a quarter of their f32 size, relative error <= 2^-11); the
// gate's threshold is kept, and the file is written only if every validation
// film gets the same probability and the same OOD verdict from both files
// (ood-bench --reference checks the test split and the generated inputs).
#include <cmath>
#include <cstring>

#include "trainer/commands.h"
#include "trainer/gate.h"
#include "trainer/metrics.h"

namespace cxr::train {
namespace {

using json::Value;

// Decimates metrics.<split>.roc/.pr in place; returns points before and after.
std::pair<size_t, size_t> decimate_stored_curves(Value* metadata) {
  size_t before = 0, after = 0;
  Value* metrics = metadata->find("metrics");
  if (!metrics || !metrics->is_object()) return {0, 0};
  for (auto& [split, report] : metrics->object) {
    const Value* threshold = report.find("threshold");
    for (const char* key : {"roc", "pr"}) {
      Value* curve = report.find(key);
      if (!curve || !curve->is_array() || !threshold || !threshold->is_number()) continue;
      before += curve->array.size();
      *curve = decimate_curve(*curve, threshold->number, kCurvePoints);
      after += curve->array.size();
    }
  }
  return {before, after};
}

bool is_ood_precision(const std::string& name) {
  return name.rfind("ood.", 0) == 0 && name.size() > 10 && name.compare(name.size() - 10, 10, ".precision") == 0;
}

// Same tensor names, shapes and values (bit for bit), in order; those that
// `rounded` names only within half-float rounding.
Status same_tensors(const Model& a, const Model& b, bool (*rounded)(const std::string&)) {
  if (a.tensors.size() != b.tensors.size()) return Fail(kCheckFailed, "repacked file: the tensor count differs");
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const ModelTensor &x = a.tensors[i], &y = b.tensors[i];
    bool same = x.name == y.name && x.dims == y.dims && x.count == y.count;
    if (same && rounded && rounded(x.name)) {
      for (size_t k = 0; k < x.count; ++k)
        same &= std::fabs(x.data[k] - y.data[k]) <= std::ldexp(std::fabs(x.data[k]), -11);
    } else {
      same = same && x.f16 == y.f16 && std::memcmp(x.data, y.data, x.count * sizeof(float)) == 0;
    }
    if (!same) return Fail(kCheckFailed, "repacked file: tensor '%s' differs", x.name.c_str());
  }
  return Ok();
}

// Rounds the OOD precision matrices to f16 and checks every validation
// film's probability and verdict against the original file, both through the
// core. Adds what it saw to `note`; a failed check when any changes.
Status round_ood_precision(const Model& original, const std::vector<uint8_t>& original_bytes, const std::string& data,
                           std::vector<TensorRecord>* tensors, const Value& metadata, Value* note) {
  std::vector<Sample> samples;
  Split split;
  CXR_TRY(provenance_split(original.metadata, data, &samples, &split));
  for (TensorRecord& t : *tensors) t.f16 |= is_ood_precision(t.name);
  const std::vector<uint8_t> rounded = write_model(metadata, *tensors);
  std::vector<Scored> before, after;
  for (const auto* bytes : {&original_bytes, &rounded}) {
    cxr_error cerr;
    const ClassifierPtr c(cxr_classifier_create(bytes->data(), bytes->size(), cxr_backend_portable, &cerr));
    if (!c) return Status{cerr.status, cerr.message};
    const bool first = bytes == &original_bytes;
    const std::string label = first ? "repack: validation, original" : "repack: validation, f16";
    CXR_TRY(score_samples(c.get(), samples, split.validation, label, first ? &before : &after));
  }
  const json::Value* ood = metadata.find("ood");
  const double threshold = ood && ood->find("threshold") ? ood->find("threshold")->number : 0;
  size_t changed = 0, probability_changed = 0;
  double score_change = 0, margin = INFINITY;
  for (size_t i = 0; i < before.size(); ++i) {
    changed += before[i].flagged != after[i].flagged;
    probability_changed += before[i].probability != after[i].probability;
    score_change = std::max(score_change, std::fabs(before[i].feature_score - after[i].feature_score));
    margin = std::min(margin, std::fabs(after[i].feature_score - threshold));
  }
  logf("OOD precision matrices to f16; validation (%zu films): OOD verdicts changed %zu, probabilities changed %zu; "
       "largest gate-score change %.3g; the closest score is %.3g from the threshold %.9g",
       before.size(), changed, probability_changed, score_change, margin, threshold);
  note->set("validation_images", Value::of(double(before.size())));
  note->set("validation_ood_verdicts_changed", Value::of(double(changed)));
  note->set("validation_probabilities_changed", Value::of(double(probability_changed)));
  note->set("validation_max_ood_score_change", Value::of(score_change));
  if (changed || probability_changed)
    return Fail(kCheckFailed, "the f16 OOD statistics would change what the model says; nothing written");
  return Ok();
}

}  // namespace

Status run_repack(const Options& options, const std::string& command_line) {
  const std::string in_path = options.model_path();
  const std::string out_path = options.get("out", in_path);
  const std::string ood_precision = options.get("ood-precision", "f32");
  if (ood_precision != "f32" && ood_precision != "f16")
    return Fail(cxr_status_invalid_argument, "--ood-precision is f32 (exact, the default) or f16");
  const bool half_precision = ood_precision == "f16";
  start_log("repack", options.get("log", out_path + ".repack.log"), command_line);

  std::vector<uint8_t> bytes;
  Model original;
  CXR_TRY(read_model_file(in_path, &bytes, &original));
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 4, 4);

  Value metadata = original.metadata;
  const auto [before, after] = decimate_stored_curves(&metadata);
  Value note = Value::make_object();
  note.set("format_version", Value::of(double(kModelFormatVersion)));
  note.set("from_crc32", Value::of(original.checksum));
  note.set("curve_points", Value::of(double(kCurvePoints)));
  note.set("ood_precision", Value::of(ood_precision));
  note.set("command_line", Value::of(command_line));
  std::vector<TensorRecord> tensors;
  for (const ModelTensor& t : original.tensors)
    tensors.push_back(TensorRecord{t.name, t.dims, {t.data, t.data + t.count}, t.f16});
  if (half_precision) CXR_TRY(round_ood_precision(original, bytes, options.data_dir(), &tensors, metadata, &note));
  // A release renames the candidate a run wrote (e.g. 2.0.0-b -> 2.0.0);
  // the name it had stays in the note.
  const std::string release = options.get("version", "");
  if (!release.empty()) {
    note.set("from_version", Value::of(metadata.find("version")->string));
    metadata.set("version", Value::of(release));
  }
  // --prescale WxH|none: the preprocessing's train-serve match (preprocess.h).
  // It changes nothing for a film of that size, so a model's stored metrics on
  // the dataset's 224x224 copies stay true; full-size films change.
  if (options.get("prescale", "") != "") {
    uint32_t w = 0, h = 0;
    if (!parse_prescale(options.get("prescale", ""), &w, &h))
      return Fail(cxr_status_invalid_argument, "--prescale is WxH (e.g. 224x224) or none");
    Value* pre = metadata.find("preprocess");
    Value p = Value::make_object();
    for (const auto& [key, value] : pre->object)
      if (key != "prescale") p.set(key, value);
    if (w) {
      Value scale = Value::make_object();
      scale.set("width", Value::of(double(w)));
      scale.set("height", Value::of(double(h)));
      scale.set("filter", Value::of("triangle"));
      p.set("prescale", std::move(scale));
    }
    metadata.set("preprocess", std::move(p));
    note.set("prescale", Value::of(options.get("prescale", "")));
  }
  if (!metadata.find("storage")) metadata.set("storage", Value::make_object());
  metadata.find("storage")->set("repacked", std::move(note));

  const std::vector<uint8_t> repacked = write_model(metadata, tensors);
  Model check;
  const Status status = read_model(repacked.data(), repacked.size(), &check);
  if (!status.ok()) return Fail(kCheckFailed, "the repacked file does not read back: %s", status.message.c_str());
  CXR_TRY(same_tensors(original, check, half_precision ? is_ood_precision : nullptr));
  if (json::serialize(check.metadata) != json::serialize(metadata))
    return Fail(kCheckFailed, "the metadata did not round-trip");
  CXR_TRY(write_file(out_path, std::string(repacked.begin(), repacked.end())));
  logf("format version %u -> %u; curve points %zu -> %zu; metadata %zu -> %zu bytes; file %zu -> %zu bytes; %s; "
       "CRC-32 %08x -> %08x; wrote %s",
       version, kModelFormatVersion, before, after, original.metadata_json.size(), check.metadata_json.size(),
       bytes.size(), repacked.size(),
       half_precision ? "every tensor value identical but the OOD precision matrices (f16)"
                      : "every tensor value identical",
       original.checksum, check.checksum, out_path.c_str());
  return Ok();
}

}  // namespace cxr::train
