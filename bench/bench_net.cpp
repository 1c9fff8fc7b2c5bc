#include "bench_net.h"

#include "decode/image.h"
#include "preprocess/preprocess.h"

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
