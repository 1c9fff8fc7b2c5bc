// The bench's wasm module: the core's network alone (BenchNet) behind Embind,
// so that our wasm is timed like the JS peers: a Float32Array in, logits out,
// copies included. Not shipped; the app's module is wasm/cxr_wasm.cpp.
//   const net = new Module.Net(modelBytes);  // Uint8Array
//   net.error()                              // "" when loaded
//   net.preprocess(imageBytes)               // Float32Array (HWC), as the app does it
//   net.run(inputFloat32Array)               // Float32Array logits
//   net.profile(runs)                        // per-layer time table (string)
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>

#include "bench_net.h"

using emscripten::val;

namespace {

class Net {
 public:
  explicit Net(const std::string& model_bytes) {
    const cxr::Status s = net_.load(reinterpret_cast<const uint8_t*>(model_bytes.data()), model_bytes.size(),
                                    cxr::make_portable_backend());
    if (!s.ok()) error_ = s.message;
  }
  std::string error() const { return error_; }

  val preprocess(const std::string& image_bytes) const {
    std::vector<float> out;
    const cxr::Status s = cxr::bench::preprocess_image(reinterpret_cast<const uint8_t*>(image_bytes.data()),
                                                       image_bytes.size(), net_.model(), &out);
    if (!s.ok()) return val(s.message);
    return copy_out(out.data(), out.size());
  }

  // The input is copied straight into the arena through a heap view (one copy,
  // as the peers' tensor constructors do).
  val run(val input) {
    val view(emscripten::typed_memory_view(net_.input_size(), net_.input()));
    view.call<void>("set", input);
    const cxr::Status s = net_.run();
    if (!s.ok()) return val(s.message);
    return copy_out(net_.logits(), net_.num_logits());
  }

  std::string profile(int runs) { return net_.profile_table(runs); }

 private:
  static val copy_out(const float* data, size_t n) {
    return val::global("Float32Array").new_(emscripten::typed_memory_view(n, data));
  }
  cxr::bench::BenchNet net_;
  std::string error_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(cxr_bench) {
  emscripten::class_<Net>("Net")
      .constructor<const std::string&>()
      .function("error", &Net::error)
      .function("preprocess", &Net::preprocess)
      .function("run", &Net::run)
      .function("profile", &Net::profile);
}
