// cxr_pretrained_features FILM OUT.f32 [SIZE]: the core's side of the golden
// check against the original Keras topology (tests/wasm/mobilenet_golden.test.mjs).
// Reads FILM through the core's decode and preprocessing (stretch to SIZE,
// gray, x/127.5 - 1: the ImageNet range), runs the shared pretrained
// MobileNetV2-0.35 on the naive reference backend (double accumulation: the
// most exact engine we have), and writes little-endian float32:
//   the SIZE x SIZE input, then the 1280 pooled features ("gap"), then the
//   1280 pooled features with the stride-2 layers padded symmetrically (the
//   bug the golden test must be able to see: its negative control).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "decode/image.h"
#include "nn/backend.h"
#include "preprocess/preprocess.h"
#include "trainer/test_pretrained_net.h"
#include "trainer/util.h"

namespace cxr::train {
namespace {

Status pooled_features(const std::vector<LayerDesc>& layers, uint32_t size, const std::vector<float>& input,
                       std::vector<float>* gap) {
  Plan plan;
  CXR_TRY(build_plan(layers, Shape{size, size, 1}, &plan));
  std::unique_ptr<Backend> reference = make_reference_backend();
  CXR_TRY(reference->prepare(plan));
  std::vector<float> arena(plan.arena_floats);
  std::copy(input.begin(), input.end(), arena.begin() + plan.offsets[0]);
  CXR_TRY(reference->run(arena.data()));
  const size_t v = value_of(plan, "gap");
  gap->assign(arena.begin() + plan.offsets[v], arena.begin() + plan.offsets[v] + plan.shapes[v].size());
  return Ok();
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cxr_pretrained_features FILM OUT.f32 [SIZE]\n");
    return 2;
  }
  const uint32_t size = argc > 3 ? uint32_t(std::stoul(argv[3])) : 224;
  const std::string dir = pretrained_test_dir();
  if (dir.empty()) {
    std::fprintf(stderr, "pretrained weights not found (set CXR_PRETRAINED_DIR): %s\n", CXR_PRETRAINED_DIR);
    return 77;
  }
  std::vector<uint8_t> bytes;
  const Status read = read_file(argv[1], &bytes);
  if (!read.ok()) {
    std::fprintf(stderr, "%s\n", read.message.c_str());
    return 2;
  }
  Image image;
  PreprocessSpec spec;  // what `cxr-train pretrained-model` writes into the fixture
  spec.width = spec.height = size;
  spec.normalize = Normalization::fixed;
  spec.mean = 0.5f, spec.std = 0.5f;
  PreprocessScratch scratch;
  std::vector<float> input(size_t(size) * size), gap, symmetric_gap;
  PretrainedWeights weights;
  PretrainedNet net, symmetric;
  Status s = decode_image(bytes.data(), bytes.size(), &image);
  if (s.ok()) s = preprocess(image, spec, &scratch, input.data());
  if (s.ok()) s = read_pretrained(dir, &weights);
  if (s.ok()) s = make_pretrained_net(weights, &net);
  if (s.ok()) s = make_pretrained_net(weights, &symmetric);
  if (s.ok()) pad_stride2_symmetrically(&symmetric.layers);
  if (s.ok()) s = pooled_features(net.layers, size, input, &gap);
  if (s.ok()) s = pooled_features(symmetric.layers, size, input, &symmetric_gap);
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], s.message.c_str());
    return 2;
  }
  std::string out;
  for (const std::vector<float>* v : {&input, &gap, &symmetric_gap})
    out.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));  // little-endian hosts
  const Status written = write_file(argv[2], out);
  if (!written.ok()) {
    std::fprintf(stderr, "%s\n", written.message.c_str());
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace cxr::train

int main(int argc, char** argv) { return cxr::train::run(argc, argv); }
