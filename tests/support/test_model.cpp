#include "support/test_model.h"

#include <cstdio>

#include "model/model_file.h"

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

ClassifierPtr make_classifier(const std::vector<uint8_t>& model, cxr_backend backend) {
  cxr_error error;
  ClassifierPtr c(cxr_classifier_create(model.data(), model.size(), backend, &error));
  if (!c) std::fprintf(stderr, "make_classifier: %s\n", error.message);
  return c;
}

}  // namespace cxr::testing
