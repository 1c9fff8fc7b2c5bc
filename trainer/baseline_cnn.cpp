// cxr-train baseline --kind cnn: the origin study's CNN re-run here — 64x64x3
// input (gray replicated), conv32 3x3 - maxpool 2 - conv64 3x3 - maxpool 2 -
// dense64 - dense, Adam (lr 1e-3), batch 32, 25 epochs, Keras-style
// augmentation (shear 0.2 degrees, zoom 0.8..1.2 per axis, horizontal flip),
// trained on all of train/ with no validation, threshold 0.5, temperature 1,
// as the study did. Exported to a model file and evaluated on test/ through
// the core by `evaluate`, exactly like our model.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "model/model_file.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"

namespace cxr::train {

Status run_baseline_cnn(const Options& options, const std::string& command_line) {
  const std::string data = options.data_dir();
  const std::string out = options.get("out", "build/trainer/baseline_cnn.cxrm");
  const int epochs = int(options.number("epochs", 25));
  const uint64_t seed = uint64_t(options.number("seed", 1));
  at::set_num_interop_threads(1);
  torch::set_num_threads(1);
  CXR_TRY(prepare_output(out));
  start_log("baseline", options.get("log", out + ".log"), command_line);
  torch::manual_seed(seed);
  std::mt19937_64 rng(seed);

  PreprocessSpec spec;  // 64x64, stretch, no equalisation, x / 255
  spec.width = spec.height = 64;
  spec.channels = 3;
  std::vector<Sample> samples;
  PlaneSet planes;
  std::string hash;
  CXR_TRY(list_split(data, "train", &samples));
  CXR_TRY(load_planes(samples, spec, options.get("cache", "build/cache"), &planes, &hash));

  torch::nn::Conv2d conv1(torch::nn::Conv2dOptions(3, 32, 3)), conv2(torch::nn::Conv2dOptions(32, 64, 3));
  torch::nn::Linear fc1(14 * 14 * 64, 64), fc2(64, 2);
  torch::nn::Sequential net(conv1, torch::nn::ReLU(), torch::nn::MaxPool2d(2), conv2, torch::nn::ReLU(),
                            torch::nn::MaxPool2d(2), torch::nn::Flatten(), fc1, torch::nn::ReLU(), fc2);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));

  std::vector<size_t> order(samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::uniform_real_distribution<double> u(-1.0, 1.0), unit(0.0, 1.0);
  const int batch = 32;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    net->train();
    double loss_sum = 0;
    Progress progress("baseline cnn epoch " + std::to_string(epoch + 1), order.size());
    for (size_t begin = 0; begin < order.size(); begin += batch) {
      const size_t end = std::min(order.size(), begin + batch);
      const int64_t n = int64_t(end - begin);
      torch::Tensor x = torch::empty({n, 1, 64, 64}), theta = torch::empty({n, 2, 3});
      std::vector<int64_t> y;
      for (int64_t i = 0; i < n; ++i) {
        const size_t s = order[begin + size_t(i)];
        float* dst = x.data_ptr<float>() + i * 64 * 64;
        for (int k = 0; k < 64 * 64; ++k) dst[k] = dequantize(planes.plane(s)[k]);
        y.push_back(samples[s].label);
        const double shear = 0.2 * M_PI / 180 * u(rng), zx = 1 + 0.2 * u(rng), zy = 1 + 0.2 * u(rng);
        const double flip = unit(rng) < 0.5 ? -1 : 1;
        auto t = theta.accessor<float, 3>();
        t[i][0][0] = float(flip * zx), t[i][0][1] = float(-std::sin(shear) * zy), t[i][0][2] = 0;
        t[i][1][0] = 0, t[i][1][1] = float(std::cos(shear) * zy), t[i][1][2] = 0;
      }
      namespace F = torch::nn::functional;
      x = F::grid_sample(
          x, F::affine_grid(theta, x.sizes(), false),
          F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
      const torch::Tensor loss = F::cross_entropy(net->forward(x.expand({n, 3, 64, 64})), torch::tensor(y));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * double(n);
      progress.step(end);
    }
    progress.finish();
    logf("baseline cnn epoch %d: train loss %.4f", epoch + 1, loss_sum / double(order.size()));
  }

  // Export: conv OIHW -> OHWI; fc1's inputs from PyTorch's CHW flatten to the core's HWC.
  torch::NoGradGuard no_grad;
  std::deque<TensorRecord> storage;
  auto view = [&](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    TensorRecord& r = storage.emplace_back();
    r.name = name;
    for (int64_t d : c.sizes()) r.dims.push_back(uint32_t(d));
    r.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return TensorView{r.values.data(), r.dims};
  };
  std::vector<LayerDesc> layers(6);
  layers[0].type = LayerType::conv2d, layers[0].name = "conv1", layers[0].kernel_h = layers[0].kernel_w = 3;
  layers[0].out_channels = 32, layers[0].activation = Activation::relu;
  layers[0].weight = view("conv1.weight", conv1->weight.permute({0, 2, 3, 1})),
  layers[0].bias = view("conv1.bias", conv1->bias);
  layers[1].type = LayerType::max_pool, layers[1].name = "pool1";
  layers[2] = layers[0], layers[2].name = "conv2", layers[2].out_channels = 64;
  layers[2].weight = view("conv2.weight", conv2->weight.permute({0, 2, 3, 1})),
  layers[2].bias = view("conv2.bias", conv2->bias);
  layers[3] = layers[1], layers[3].name = "pool2";
  for (int p : {1, 3}) layers[p].kernel_h = layers[p].kernel_w = layers[p].stride_h = layers[p].stride_w = 2;
  layers[4].type = LayerType::dense, layers[4].name = "fc1", layers[4].out_channels = 64,
  layers[4].activation = Activation::relu;
  layers[4].weight = view("fc1.weight", fc1->weight.view({64, 64, 14, 14}).permute({0, 2, 3, 1}).reshape({64, -1}));
  layers[4].bias = view("fc1.bias", fc1->bias);
  layers[5].type = LayerType::dense, layers[5].name = "logits", layers[5].out_channels = 2;
  layers[5].weight = view("logits.weight", fc2->weight), layers[5].bias = view("logits.bias", fc2->bias);
  ModelInfo info;
  info.name = "study-cnn-baseline";
  info.version = "1";
  info.input = Shape{64, 64, 3};
  info.preprocess = spec;
  info.classes = {kClassNames[0], kClassNames[1]};
  json::Value meta = make_metadata(info, layers);
  meta.set("provenance", json::Value::make_object()).set("command_line", json::Value::of(command_line));
  const std::vector<uint8_t> bytes = write_model(meta, layer_tensors(layers));
  CXR_TRY(write_file(out, std::string(bytes.begin(), bytes.end())));
  logf("wrote %s; evaluating on test through the core", out.c_str());
  Options evaluate;
  evaluate.values = {{"model", out}, {"data", data}, {"split", "test"}, {"out", out + ".test.json"}};
  return run_evaluate(evaluate, command_line + "  (evaluate " + out + " on test)");
}

}  // namespace cxr::train
