#include "bench_net.h"

#include <cstdio>

#include "decode/image.h"
#include "nn/portable_backend.h"
#include "preprocess/preprocess.h"
#include "stats.h"

namespace cxr::bench {

Status BenchNet::load(const uint8_t* model_bytes, size_t size, std::unique_ptr<Backend> backend) {
  if (!backend) return Fail(cxr_status_backend_unavailable, "backend not compiled in");
  Status s = read_model(model_bytes, size, &model_);
  if (s.ok()) s = build_plan(model_.layers, model_.info.input, &plan_);
  if (!s.ok()) return s;
  backend_ = std::move(backend);
  storage_.assign(plan_.arena_floats + 16, 0.0f);
  const uintptr_t base = reinterpret_cast<uintptr_t>(storage_.data());
  arena_ = storage_.data() + ((64 - base % 64) % 64) / sizeof(float);
  return backend_->prepare(plan_);
}

std::string BenchNet::profile_table(int runs) {
  std::vector<std::vector<double>> per_layer(plan_.layers.size());
  std::vector<double> ms;
  for (int i = -1; i < runs; ++i) {
    const Status s = run_timed(*backend_, arena_, &ms);
    if (!s.ok()) return s.message + "\n";
    for (size_t k = 0; i >= 0 && k < ms.size(); ++k) per_layer[k].push_back(ms[k]);
  }
  std::vector<double> median(per_layer.size());
  double total = 0;
  for (size_t k = 0; k < per_layer.size(); ++k) total += median[k] = percentile(per_layer[k], 0.5);
  std::string table;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %-16s %-14s %8s %6s %8s\n", "layer", "type", "out HxWxC", "ms", "%",
                "MAC/ns");
  table += line;
  for (size_t k = 0; k < per_layer.size(); ++k) {
    const PlannedLayer& l = plan_.layers[k];
    const Shape in = plan_.shapes[l.inputs[0]], out = plan_.shapes[l.output];
    const bool conv = l.desc.type == LayerType::conv2d;
    const double macs = conv ? double(out.size()) * l.desc.kernel_h * l.desc.kernel_w * (in.c / l.desc.groups) : 0;
    std::string type = layer_type_name(l.desc.type);
    if (conv)
      type += " " + std::to_string(l.desc.kernel_h) + "x" + std::to_string(l.desc.kernel_w) + "/" +
              std::to_string(l.desc.stride_h) + (l.desc.groups > 1 ? " dw" : "");
    std::snprintf(line, sizeof line, "%-28.28s %-16s %4ux%4ux%4u %8.3f %6.1f %8.2f\n", l.desc.name.c_str(),
                  type.c_str(), out.h, out.w, out.c, median[k], 100 * median[k] / total,
                  macs / (median[k] * 1e6 + 1e-9));
    table += line;
  }
  std::snprintf(line, sizeof line, "%-28s %-16s %-14s %8.3f (sum of per-layer medians, %d runs)\n", "total", "", "",
                total, runs);
  return table + line;
}

Status preprocess_image(const uint8_t* bytes, size_t size, const Model& model, std::vector<float>* out) {
  Image image;
  Status s = decode_image(bytes, size, &image);
  if (!s.ok()) return s;
  const PreprocessSpec& spec = model.info.preprocess;
  out->assign(size_t(spec.width) * spec.height * spec.channels, 0.0f);
  PreprocessScratch scratch;
  return preprocess(image, spec, &scratch, out->data());
}

}  // namespace cxr::bench
