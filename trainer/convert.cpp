// cxr-train convert: store a model's convolution and dense weights as IEEE
// half floats (the core widens them at load), halving what the browser
// downloads. Biases and the OOD statistics stay f32. The converted file is
// compared with the original on the model's own validation split through the
// core, and its OOD gate is refitted on the converted weights' features.
#include <cmath>

#include "model/json.h"
#include "trainer/commands.h"
#include "trainer/gate.h"

namespace cxr::train {

Status run_convert(const Options& options, const std::string& command_line) {
  const std::string in_path = options.model_path();
  const std::string out_path = options.get("out", "");
  if (out_path.empty() || options.get("weights", "f16") != "f16")
    return Fail(cxr_status_invalid_argument, "convert needs --out FILE (and --weights f16, the one storage it knows)");
  CXR_TRY(prepare_output(out_path));
  start_log("convert", options.get("log", out_path + ".log"), command_line);

  std::vector<uint8_t> bytes;
  Model model;
  CXR_TRY(read_model_file(in_path, &bytes, &model));
  std::vector<TensorRecord> tensors;
  size_t halved = 0;
  for (const ModelTensor& t : model.tensors) {
    const bool weight =
        t.name.rfind("ood.", 0) != 0 && t.name.size() > 7 && t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
    tensors.push_back(TensorRecord{t.name, t.dims, {t.data, t.data + t.count}, weight});
    halved += weight ? t.count : 0;
  }

  // Original vs converted on the validation split, through the core.
  std::vector<Sample> samples;
  Split split;
  CXR_TRY(about_file(in_path, provenance_split(model.metadata, options.data_dir(), &samples, &split)));
  json::Value metadata = model.metadata;
  std::vector<uint8_t> converted = write_model(metadata, tensors);
  cxr_error cerr;
  const ClassifierPtr original(cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &cerr));
  const ClassifierPtr half(cxr_classifier_create(converted.data(), converted.size(), cxr_backend_portable, &cerr));
  if (!original || !half) return Status{cerr.status, cerr.message};
  double max_change = 0;
  size_t changed = 0;
  Progress progress("convert: validation", split.validation.size());
  for (size_t i = 0; i < split.validation.size(); ++i) {
    std::vector<uint8_t> image;
    CXR_TRY(read_file(samples[split.validation[i]].path, &image));
    const Scored a = score_bytes(original.get(), image), b = score_bytes(half.get(), image);
    if (!a.ok || !b.ok) return Status{(a.ok ? b : a).code, (a.ok ? b : a).error};
    max_change = std::max(max_change, std::fabs(a.probability - b.probability));
    changed += (a.probability >= model.info.threshold) != (b.probability >= model.info.threshold);
    progress.step(i + 1);
  }
  progress.finish();

  json::Value storage = json::Value::make_object();
  storage.set("weights", json::Value::of("f16"));
  storage.set("converted_from_crc32", json::Value::of(model.checksum));
  storage.set("validation_images", json::Value::of(double(split.validation.size())));
  storage.set("validation_max_probability_change", json::Value::of(max_change));
  storage.set("validation_decisions_changed", json::Value::of(double(changed)));
  storage.set("command_line", json::Value::of(command_line));
  metadata.set("storage", std::move(storage));
  converted = write_model(metadata, tensors);
  CXR_TRY(write_file(out_path, std::string(converted.begin(), converted.end())));
  logf("%zu weights to f16: %.2f MB -> %.2f MB; validation (%zu films): max probability change %.2e, %zu "
       "decisions changed; wrote %s",
       halved, double(bytes.size()) / 1e6, double(converted.size()) / 1e6, split.validation.size(), max_change, changed,
       out_path.c_str());
  // The gate's statistics belong to the features of the weights that run.
  return model.metadata.find("ood") ? add_gate(out_path, samples, split, options) : Ok();
}

}  // namespace cxr::train
