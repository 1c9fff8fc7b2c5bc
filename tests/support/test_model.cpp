#include "support/test_model.h"

#include <cstdio>

#include "model/model_file.h"
#include "nn/plan.h"

namespace cxr::testing {

std::vector<uint8_t> make_test_model_file(const ReferenceNet& net) {
  ModelInfo info;
  info.name = "random-" + net.arch;
  info.version = "test";
  info.input = net.input;
  info.preprocess = net.preprocess;
  info.classes = {"NORMAL", "PNEUMONIA"};
  json::Value meta = make_metadata(info, net.layers);
  json::Value provenance = json::Value::make_object();
  provenance.set("note", json::Value::of("random weights for software tests; meaningless predictions"));
  meta.set("provenance", std::move(provenance));
  return write_model(meta, layer_tensors(net.layers));
}

std::vector<uint8_t> make_test_model_file(const std::string& arch, uint32_t seed) {
  return make_test_model_file(make_reference_net(arch, seed));
}

std::vector<uint8_t> with_ood_section(const std::vector<uint8_t>& bytes, const std::vector<std::string>& layers,
                                      OodMeansFor means, double threshold, bool f16_weights) {
  Model model;
  if (!read_model(bytes.data(), bytes.size(), &model).ok()) return {};
  json::Value metadata = model.metadata, ood = json::Value::make_object(), names = json::Value::make_array();
  ood.set("method", json::Value::of("mahalanobis"));
  for (const std::string& name : layers) names.push(json::Value::of(name));
  ood.set("layers", names);
  std::vector<TensorRecord> tensors = layer_tensors(model.layers);
  for (TensorRecord& t : tensors)
    t.f16 = f16_weights && t.name.size() > 7 && t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
  Plan plan;
  if (means && build_plan(model.layers, model.info.input, &plan, layers).ok()) {
    ood.set("threshold", json::Value::of(threshold));
    for (size_t l = 0; l < layers.size(); ++l) {
      const uint32_t c = plan.shapes[plan.kept_values[l]].c;
      std::vector<float> m = means(l, c), identity(size_t(c) * c, 0.0f);
      for (uint32_t i = 0; i < c; ++i) identity[i * c + i] = 1;
      tensors.push_back({"ood." + layers[l] + ".class_means", {2, uint32_t(m.size() / 2)}, m});
      tensors.push_back({"ood." + layers[l] + ".precision", {c, c}, identity});
    }
  }
  metadata.set("ood", ood);
  return write_model(metadata, tensors);
}

ClassifierPtr make_classifier(const std::vector<uint8_t>& model, cxr_backend backend) {
  cxr_error error;
  ClassifierPtr c(cxr_classifier_create(model.data(), model.size(), backend, &error));
  if (!c) std::fprintf(stderr, "make_classifier: %s\n", error.message);
  return c;
}

}  // namespace cxr::testing
