// cxr-train pretrained-model: the pretrained backbone with a random 2-class
// head as a model file, as the core runs it before any fine-tuning. It is the
// fixture of the MobileNetV2 kernel tests and benchmarks (same weights on
// every engine); never a model to classify with (its name says so and the page
// shows the TEST MODEL banner).
#include "trainer/commands.h"
#include "trainer/pretrained.h"

namespace cxr::train {

Status run_pretrained_model(const Options& options, const std::string& command_line) {
  const std::string arch = options.get("arch", "mobilenet_v2_035");
  const std::string dir = options.get("pretrained", "../shared/pretrained/mobilenet_v2_0.35_imagenet");
  const std::string out = options.get("out", "");
  const int size = int(options.number("size", 224));
  const uint64_t seed = uint64_t(options.number("seed", 1));
  if (out.empty()) return Fail(cxr_status_invalid_argument, "pretrained-model needs --out FILE");
  if (arch != "mobilenet_v2_035")
    return Fail(cxr_status_invalid_argument, "no pretrained weights for --arch %s", arch.c_str());
  if (size < 32 || size > 1024 || size % 32 != 0)
    return Fail(cxr_status_invalid_argument,
                "--size must be a multiple of 32 from 32 to 1024 (the net halves it five times), not %d", size);
  CXR_TRY(prepare_output(out));
  PretrainedWeights weights;
  CXR_TRY(read_pretrained(dir, &weights));
  std::vector<LayerDesc> layers;
  std::deque<TensorRecord> storage;
  const std::vector<Op> ops = make_architecture(arch, 0, 0);
  CXR_TRY(pretrained_layers(ops, weights, seed, &layers, &storage));

  ModelInfo info;
  info.name = "random-head-" + arch;  // "random-": the page's TEST MODEL banner
  info.version = "fixture-" + std::to_string(size) + "-seed-" + std::to_string(seed);
  info.input = Shape{uint32_t(size), uint32_t(size), 1};
  info.preprocess.width = info.preprocess.height = uint32_t(size);
  info.preprocess.channels = 1;
  info.preprocess.resize = ResizePolicy::stretch;
  info.preprocess.normalize = Normalization::fixed;  // x/127.5 - 1 on 8-bit pixels: the ImageNet input range
  info.preprocess.mean = 0.5f, info.preprocess.std = 0.5f;
  info.classes = {"NORMAL", "PNEUMONIA"};
  json::Value meta = make_metadata(info, layers);
  json::Value provenance = json::Value::make_object();
  provenance.set("pretrained", json::Value::of(weights.source));
  provenance.set("head", json::Value::of("random, seed " + std::to_string(seed) + ": not a classifier"));
  provenance.set("command_line", json::Value::of(command_line));
  meta.set("provenance", std::move(provenance));
  const std::vector<uint8_t> bytes = write_model(meta, std::vector<TensorRecord>(storage.begin(), storage.end()));
  CXR_TRY(write_file(out, std::string(bytes.begin(), bytes.end())));
  logf("wrote %s (%zu layers, %.2f MB)", out.c_str(), layers.size(), double(bytes.size()) / 1e6);
  return Ok();
}

}  // namespace cxr::train
