// cxr-train parity: the export self-test. A random net (or the pretrained
// one) exported to a model file must give LibTorch's logits through the core,
// and an export made before a batch-norm statistic changed must not (the
// negative control: the check can fail).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/model_file.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/net.h"

namespace cxr::train {

Status run_parity(const Options& options) {
  set_single_thread();
  torch::manual_seed(uint64_t(options.number("seed", 7)));
  const int size = int(options.number("size", 64));
  const std::string arch = options.get("arch", "resnet");
  Net net(make_architecture(arch, 8, 1), 0.2);
  if (net->ops().empty()) return Fail(cxr_status_invalid_argument, "unknown --arch %s", arch.c_str());
  if (options.values.count("pretrained")) {
    PretrainedWeights pretrained;
    CXR_TRY(read_pretrained(options.get("pretrained", ""), &pretrained));
    CXR_TRY(net->load_pretrained(pretrained));
  }
  // Non-trivial batch-norm statistics and affine terms, so folding is exercised.
  if (!options.values.count("pretrained")) {
    torch::NoGradGuard no_grad;
    for (auto& item : net->named_buffers())
      if (item.key().find("running_mean") != std::string::npos) item.value().uniform_(-0.3, 0.3);
      else if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
    for (auto& item : net->named_parameters())
      if (item.key().find("_bn.weight") != std::string::npos) item.value().uniform_(0.5, 1.5);
      else if (item.key().find("_bn.bias") != std::string::npos) item.value().uniform_(-0.2, 0.2);
  }
  auto export_bytes = [&]() {
    ExportedNet exported;
    ExportedNet::build(*net, &exported);
    ModelInfo info;
    info.name = "parity";
    info.version = "0";
    info.input = Shape{uint32_t(size), uint32_t(size), 1};
    info.preprocess.width = info.preprocess.height = uint32_t(size);
    info.classes = {kClassNames[0], kClassNames[1]};
    return write_model(make_metadata(info, exported.layers), layer_tensors(exported.layers));
  };
  const torch::Tensor inputs = torch::randn({16, 1, size, size});
  std::string report;
  const bool ok = check_parity(*net, export_bytes(), inputs, &report);
  logf("%s", report.c_str());
  // Negative control: a model exported before one running mean changed must
  // no longer match, or the check could not fail.
  const std::vector<uint8_t> stale = export_bytes();
  std::string last_conv;
  for (const Op& op : net->ops())
    if (op.kind == Op::conv) last_conv = op.name;
  {
    torch::NoGradGuard no_grad;
    for (auto& item : net->named_buffers())
      if (item.key() == last_conv + "_bn.running_mean") item.value().add_(1.0);
  }
  std::string stale_report;
  const bool stale_passes = check_parity(*net, stale, inputs, &stale_report);
  logf("negative control (stale export): %s", stale_report.c_str());
  if (stale_passes) return Fail(kCheckFailed, "the parity check did not notice a changed batch-norm statistic");
  if (!ok) return Fail(kCheckFailed, "the exported model disagrees with LibTorch");
  return Ok();
}

}  // namespace cxr::train
