// The shipped model natively, side by side (issue 6): our portable kernels,
// our XNNPACK backend and LibTorch on the same preprocessed films. For each:
// logits and calibrated probabilities against the portable backend's (max abs
// diff, same class on every film), cold start (model bytes -> first logits)
// and per-image latency (median, p90), runs interleaved across peers.
#include "native_peers.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "bench_net.h"
#include "stats.h"
#include "support/test_data.h"
#include "torch_net.h"

namespace cxr::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Peer {
  std::string name;
  std::function<void(const float* input, float* logits)> run;
  double cold_ms = 0;
  std::vector<double> ms;
  double max_logit_diff = 0, max_prob_diff = 0;
  int class_differs = 0;
};

std::vector<double> probabilities(const float* logits, size_t n, float temperature) {
  std::vector<double> p(n);
  double peak = -INFINITY, total = 0;
  for (size_t k = 0; k < n; ++k) peak = std::max(peak, logits[k] / double(temperature));
  for (size_t k = 0; k < n; ++k) total += p[k] = std::exp(logits[k] / double(temperature) - peak);
  for (double& x : p) x /= total;
  return p;
}

size_t argmax(const float* v, size_t n) { return size_t(std::max_element(v, v + n) - v); }

}  // namespace

int bench_native_peers(const std::string& model_path, const std::vector<std::string>& films, int runs) {
  const std::vector<uint8_t> bytes = testing::read_file(model_path);
  std::vector<std::unique_ptr<BenchNet>> nets;
  std::vector<Peer> peers;
  for (auto make : {+[] { return make_portable_backend(); }, +[] { return make_xnnpack_backend(); }}) {
    const auto start = Clock::now();
    auto net = std::make_unique<BenchNet>();
    const Status s = net->load(bytes.data(), bytes.size(), make());
    if (!s.ok()) {
      std::printf("  (a backend is unavailable: %s)\n", s.message.c_str());
      continue;
    }
    net->run();
    BenchNet* n = net.get();
    peers.push_back({peers.empty() ? "cxr portable" : "cxr xnnpack", [n](const float* in, float* out) {
                       std::copy(in, in + n->input_size(), n->input());
                       n->run();
                       std::copy(n->logits(), n->logits() + n->num_logits(), out);
                     }});
    peers.back().cold_ms = ms_since(start);
    nets.push_back(std::move(net));
  }
  if (nets.empty()) {
    std::printf("the model does not load: nothing to compare\n");
    return 1;
  }
  const Model& model = nets[0]->model();
  {
    const auto start = Clock::now();
    Model own;  // LibTorch gets its own copy of the weights, as it would from a file
    std::string why_not;
    Status s = read_model(bytes.data(), bytes.size(), &own);
    auto torch = s.ok() ? make_torch_net(own, &why_not) : nullptr;
    if (torch) {
      std::vector<float> in(nets[0]->input_size()), out(nets[0]->num_logits());
      torch->run(in.data(), out.data());
      PeerNet* t = torch.release();  // lives as long as the process
      peers.push_back({"libtorch", [t](const float* i, float* o) { t->run(i, o); }});
      peers.back().cold_ms = ms_since(start);
    } else {
      std::printf("  (LibTorch peer unavailable: %s)\n", why_not.c_str());
    }
  }

  // Agreement on every film; latency on the first.
  std::vector<std::vector<float>> inputs;
  for (const std::string& f : films) {
    const std::vector<uint8_t> image = testing::read_file(f);
    std::vector<float> x;
    if (preprocess_image(image.data(), image.size(), model, &x).ok()) inputs.push_back(std::move(x));
  }
  if (inputs.empty()) {
    std::printf("no film preprocessed: nothing to compare\n");
    return 1;
  }
  const size_t n = nets[0]->num_logits();
  std::vector<float> ours(n), theirs(n);
  for (const std::vector<float>& x : inputs) {
    peers[0].run(x.data(), ours.data());
    const std::vector<double> p_ours = probabilities(ours.data(), n, model.info.temperature);
    for (Peer& p : peers) {
      p.run(x.data(), theirs.data());
      const std::vector<double> p_theirs = probabilities(theirs.data(), n, model.info.temperature);
      for (size_t k = 0; k < n; ++k) {
        p.max_logit_diff = std::max(p.max_logit_diff, double(std::fabs(theirs[k] - ours[k])));
        p.max_prob_diff = std::max(p.max_prob_diff, std::fabs(p_theirs[k] - p_ours[k]));
      }
      p.class_differs += argmax(theirs.data(), n) != argmax(ours.data(), n);
    }
  }
  for (int i = -5; i < runs; ++i)
    for (Peer& p : peers) {
      const auto start = Clock::now();
      p.run(inputs[0].data(), theirs.data());
      if (i >= 0) p.ms.push_back(ms_since(start));
    }

  std::printf("%-13s %10s %11s %13s %13s %10s %10s\n", "peer", "cold ms", "median ms", "p90 ms", "max |dlogit|",
              "max |dprob|", "class");
  for (const Peer& p : peers)
    std::printf("%-13s %10.1f %11.2f %13.2f %13.2g %10.2g %10s\n", p.name.c_str(), p.cold_ms, percentile(p.ms, 0.5),
                percentile(p.ms, 0.9), p.max_logit_diff, p.max_prob_diff,
                p.class_differs ? (std::to_string(p.class_differs) + " differ").c_str() : "same");
  std::printf("(%zu films compared; latency over %d interleaved runs after 5 warm-up; 1 thread)\n", inputs.size(),
              runs);
  for (size_t k = 1; k < peers.size(); ++k)
    std::printf("RATIO native cxr_portable_vs_%s=%.2f\n", peers[k].name.substr(peers[k].name.find(' ') + 1).c_str(),
                percentile(peers[0].ms, 0.5) / percentile(peers[k].ms, 0.5));
  return 0;
}

}  // namespace cxr::bench
