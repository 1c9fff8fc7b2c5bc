// Native bench. First the shipped model side by side with its native peers
// (native_peers.cpp); then the per-image latency of the two reference
// architectures with random weights, for each backend: decode, preprocess,
// inference, total (median and p90). Numbers only, no assertions. Runs are
// interleaved across backends so machine noise hits all alike.
//   cxr_bench [RUNS] [MODEL]     (default 50 runs, $CXR_MODEL or models/pneumonia.cxrm)
//   cxr_bench RUNS MODEL peers   only the side-by-side (bench/mobilenet_bench.mjs runs it)
//   cxr_bench profile MODEL [RUNS]  the portable backend's time per layer (median of RUNS, 20)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_net.h"
#include "cxr/cxr.h"
#include "native_peers.h"
#include "nn/portable_backend.h"
#include "stats.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace {

using cxr::bench::percentile;

struct Stats {
  std::vector<double> decode, preprocess, inference, total;
};

// A real full-resolution film when the shared data is there, else a synthetic one.
std::vector<uint8_t> bench_image(std::string* label) {
  const std::string data = cxr::testing::shared_data_dir();
  if (!data.empty()) {
    const auto files = cxr::testing::list_files(data + "/chest_xray_fullres_samples", ".jpeg");
    if (!files.empty()) {
      *label = files[0].substr(files[0].find("chest_xray_fullres_samples"));
      return cxr::testing::read_file(files[0]);
    }
  }
  const int w = 1400, h = 1100;
  std::vector<uint8_t> px(size_t(w) * h);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t((i * 2654435761u) >> 24);
  *label = "synthetic 1400x1100 JPEG";
  return cxr::testing::encode_jpeg(px, w, h, 1, 90);
}

int profile(const std::string& model_path, int runs) {
  const std::vector<uint8_t> bytes = cxr::testing::read_file(model_path);
  cxr::bench::BenchNet net;
  const cxr::Status s = net.load(bytes.data(), bytes.size(), cxr::make_portable_backend());
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", model_path.c_str(), s.message.c_str());
    return 1;
  }
  std::printf("portable backend (%s), per layer, 1 thread:\n%s", cxr::portable::best_kernels().target,
              net.profile_table(runs).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string(argv[1]) == "profile") return profile(argv[2], argc > 3 ? std::atoi(argv[3]) : 20);
  const int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  const char* env_model = std::getenv("CXR_MODEL");
  const std::string model = argc > 2 ? argv[2] : env_model ? env_model : CXR_SOURCE_DIR "/models/pneumonia.cxrm";
  const std::string data = cxr::testing::shared_data_dir();
  const auto films = data.empty() ? std::vector<std::string>{}
                                  : cxr::testing::list_files(data + "/chest_xray_fullres_samples", ".jpeg");
  if (films.empty() || !std::ifstream(model)) {
    std::printf("cxr native peers: no model at %s or no films under ../shared/data: skipped\n", model.c_str());
  } else {
    std::printf("cxr native peers: %s on %zu full-resolution films\n", model.c_str(), films.size());
    if (int rc = cxr::bench::bench_native_peers(model, films, runs)) return rc;
  }
  if (argc > 3 && std::string(argv[3]) == "peers") return 0;
  std::printf("\n");

  std::string label;
  const std::vector<uint8_t> image = bench_image(&label);
  std::printf("cxr native bench: %d runs after 3 warm-up, 1 thread, input %s (%zu bytes)\n", runs, label.c_str(),
              image.size());
  std::printf("%-10s %-9s %12s %12s %12s %12s   (ms: median / p90)\n", "arch", "backend", "decode", "preprocess",
              "inference", "total");
  for (const char* arch : {"study_cnn", "resnet18"}) {
    const auto model = cxr::testing::make_test_model_file(arch, 1);
    std::vector<cxr_classifier*> classifiers;
    std::vector<std::string> names;
    for (cxr_backend b : {cxr_backend_portable, cxr_backend_xnnpack}) {
      cxr_error e;
      if (cxr_classifier* c = cxr_classifier_create(model.data(), model.size(), b, &e)) {
        classifiers.push_back(c);
        names.push_back(cxr_backend_name(b));
      } else {
        std::printf("%-10s %-9s unavailable: %s\n", arch, cxr_backend_name(b), e.message);
      }
    }
    std::vector<Stats> stats(classifiers.size());
    for (int i = -3; i < runs; ++i)
      for (size_t k = 0; k < classifiers.size(); ++k) {
        cxr_result r;
        cxr_error e;
        if (cxr_classify(classifiers[k], image.data(), image.size(), nullptr, &r, &e) != cxr_status_ok) {
          std::fprintf(stderr, "classify failed: %s\n", e.message);
          return 1;
        }
        if (i < 0) continue;
        stats[k].decode.push_back(r.timings.decode_ms);
        stats[k].preprocess.push_back(r.timings.preprocess_ms);
        stats[k].inference.push_back(r.timings.inference_ms);
        stats[k].total.push_back(r.timings.total_ms);
      }
    for (size_t k = 0; k < classifiers.size(); ++k) {
      std::printf("%-10s %-9s", arch, names[k].c_str());
      for (const auto* v : {&stats[k].decode, &stats[k].preprocess, &stats[k].inference, &stats[k].total})
        std::printf(" %5.2f / %5.2f", percentile(*v, 0.5), percentile(*v, 0.9));
      std::printf("\n");
      cxr_classifier_destroy(classifiers[k]);
    }
    if (stats.size() == 2)
      std::printf("%-10s inference ratio portable/xnnpack (median): %.2f\n", arch,
                  percentile(stats[0].inference, 0.5) / percentile(stats[1].inference, 0.5));
  }
  return 0;
}
