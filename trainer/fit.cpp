// cxr-train fit: the training loop (llm.c-style: flat, top to bottom), and
// cxr-train parity: the export self-test.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "model/model_file.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/gate.h"
#include "trainer/metrics.h"
#include "trainer/net.h"

namespace cxr::train {
namespace {

using json::Value;

struct FitConfig {
  std::string data, out, cache_dir, log, arch, normalize, val_split;
  int size, width, blocks, epochs, batch;
  double lr, weight_decay, label_smoothing, dropout, val_fraction, min_sensitivity, warmup_epochs, mixup;
  uint64_t seed;
  size_t limit;
  bool equalize, hflip, smoke_check;
};

FitConfig read_config(const Options& o) {
  FitConfig c;
  c.data = o.get("data", "../shared/data/chest_xray_224");
  c.out = o.get("out", "build/trainer/model.cxrm");
  c.cache_dir = o.get("cache", "build/cache");
  c.log = o.get("log", c.out + ".log");
  c.arch = o.get("arch", "resnet");
  c.normalize = o.get("normalize", "per_image");
  c.size = int(o.number("size", 192));
  c.width = int(o.number("width", 16));
  c.blocks = int(o.number("blocks", 1));
  c.epochs = int(o.number("epochs", 30));
  c.batch = int(o.number("batch", 32));
  c.lr = o.number("lr", 2e-3);
  c.weight_decay = o.number("weight-decay", 0.05);
  c.label_smoothing = o.number("label-smoothing", 0.05);
  c.dropout = o.number("dropout", 0.2);
  c.val_fraction = o.number("val-fraction", 0.15);
  c.val_split = o.get("val-split", "shuffle");
  c.min_sensitivity = o.number("min-sensitivity", 0.95);
  c.warmup_epochs = o.number("warmup-epochs", 1);
  c.mixup = o.number("mixup", 0);
  c.seed = uint64_t(o.number("seed", 1));
  c.limit = size_t(o.number("limit", 0));
  c.equalize = o.get("equalize", "1") != "0";
  c.hflip = o.flag("hflip");
  c.smoke_check = o.flag("smoke-check");
  return c;
}

PreprocessSpec spec_of(const FitConfig& c) {
  PreprocessSpec spec;
  spec.width = spec.height = uint32_t(c.size);
  spec.channels = 1;
  spec.resize = ResizePolicy::stretch;  // how the dataset's 224 copies were made
  spec.equalize = c.equalize;
  spec.normalize = c.normalize == "unit" ? Normalization::unit
                   : c.normalize == "fixed" ? Normalization::fixed : Normalization::per_image;
  spec.mean = 0.5f, spec.std = 0.25f;  // used by "fixed" only
  return spec;
}

// Stage-1 planes of `indices[begin, end)` as a float batch [B,1,H,W] in [0, 1].
torch::Tensor gather_planes(const PlaneSet& planes, const std::vector<size_t>& indices, size_t begin, size_t end) {
  const int64_t n = int64_t(end - begin), h = planes.height, w = planes.width;
  torch::Tensor batch = torch::empty({n, 1, h, w});
  float* dst = batch.data_ptr<float>();
  for (size_t i = begin; i < end; ++i) {
    const uint8_t* src = planes.plane(indices[i]);
    for (int64_t k = 0; k < h * w; ++k) *dst++ = dequantize(src[k]);
  }
  return batch;
}

// Stage 2 of the core's preprocessing, image by image: the same code the
// browser runs after resampling.
torch::Tensor normalize_batch(const torch::Tensor& planes, const PlaneSet& set, const std::vector<size_t>& indices,
                              size_t begin, const PreprocessSpec& spec) {
  const torch::Tensor in = planes.contiguous();
  torch::Tensor out = torch::empty_like(in);
  const int64_t plane = int64_t(spec.width) * spec.height;
  for (int64_t n = 0; n < in.size(0); ++n)
    normalize_plane(in.data_ptr<float>() + n * plane, set.content[indices[begin + size_t(n)]], spec,
                    out.data_ptr<float>() + n * plane);
  return out;
}

// Augmentation in the spirit of the study (rotation, shear, zoom, shift) plus
// the photometric changes that differ between the train and test films
// (gamma, contrast, brightness, blur, noise). Per-sample parameters from `rng`.
torch::Tensor augment(const torch::Tensor& planes, std::mt19937_64& rng, bool hflip) {
  const int64_t n = planes.size(0);
  std::uniform_real_distribution<double> u(-1.0, 1.0), unit(0.0, 1.0);
  torch::Tensor theta = torch::empty({n, 2, 3});
  torch::Tensor gamma = torch::empty({n, 1, 1, 1}), contrast = torch::empty({n, 1, 1, 1});
  torch::Tensor brightness = torch::empty({n, 1, 1, 1}), noise = torch::empty({n, 1, 1, 1});
  torch::Tensor blur = torch::zeros({n, 1, 5, 5});
  for (int64_t i = 0; i < n; ++i) {
    const double angle = 10.0 * M_PI / 180.0 * u(rng), shear = 0.1 * u(rng);
    const double zoom = std::exp(0.12 * u(rng));                 // 0.89x .. 1.13x
    const double tx = 0.08 * u(rng), ty = 0.08 * u(rng);           // of the half-width
    const double flip = hflip && unit(rng) < 0.5 ? -1.0 : 1.0;
    // Output -> input sampling coordinates: rotate, shear, then scale by 1/zoom.
    const double c = std::cos(angle), s = std::sin(angle);
    auto t = theta.accessor<float, 3>();
    t[i][0][0] = float(flip * (c + shear * -s) / zoom), t[i][0][1] = float((-s + shear * c) / zoom), t[i][0][2] = float(tx);
    t[i][1][0] = float(flip * s / zoom), t[i][1][1] = float(c / zoom), t[i][1][2] = float(ty);
    gamma[i].fill_(std::exp(0.35 * u(rng)));
    contrast[i].fill_(1.0 + 0.25 * u(rng));
    brightness[i].fill_(0.08 * u(rng));
    noise[i].fill_(0.02 * unit(rng));
    // Gaussian blur with probability 0.3 (sigma 0.4..1.2 px), else identity.
    const double sigma = unit(rng) < 0.3 ? 0.4 + 0.8 * unit(rng) : 0.0;
    auto k = blur.accessor<float, 4>();
    double total = 0;
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 5; ++x) {
        const double r2 = (x - 2) * (x - 2) + (y - 2) * (y - 2);
        const double v = sigma > 0 ? std::exp(-r2 / (2 * sigma * sigma)) : (r2 == 0 ? 1.0 : 0.0);
        k[i][0][y][x] = float(v), total += v;
      }
    blur[i] /= total;
  }
  namespace F = torch::nn::functional;
  const torch::Tensor grid = F::affine_grid(theta, planes.sizes(), /*align_corners=*/false);
  torch::Tensor x = F::grid_sample(planes, grid,
                                   F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
  x = x.clamp(0, 1).pow(gamma);
  x = ((x - 0.5) * contrast + 0.5 + brightness);
  const int64_t h = x.size(2), w = x.size(3);
  x = F::conv2d(x.view({1, n, h, w}), blur, F::Conv2dFuncOptions().padding(2).groups(n)).view({n, 1, h, w});
  x = x + torch::randn_like(x) * noise;
  return x.clamp(0, 1);
}

// Eval-mode margins (logit[PNEUMONIA] - logit[NORMAL]) and mean NLL at T = 1.
void predict(Net& net, const PlaneSet& set, const std::vector<size_t>& indices, const std::vector<int>& labels,
             const PreprocessSpec& spec, std::vector<double>* margins, double* loss) {
  net->eval();
  torch::NoGradGuard no_grad;
  margins->clear();
  for (size_t begin = 0; begin < indices.size(); begin += 64) {
    const size_t end = std::min(indices.size(), begin + 64);
    const torch::Tensor x = normalize_batch(gather_planes(set, indices, begin, end), set, indices, begin, spec);
    const torch::Tensor logits = net->forward(x);
    const torch::Tensor m = (logits.select(1, 1) - logits.select(1, 0)).contiguous();
    for (int64_t i = 0; i < m.size(0); ++i) margins->push_back(m[i].item<double>());
  }
  *loss = mean_nll(*margins, labels, 1.0);
}

std::vector<torch::Tensor> snapshot(Net& net) {
  std::vector<torch::Tensor> state;
  for (const auto& p : net->parameters()) state.push_back(p.detach().clone());
  for (const auto& b : net->buffers()) state.push_back(b.detach().clone());
  return state;
}

void restore(Net& net, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : net->parameters()) p.copy_(state[i++]);
  for (auto& b : net->buffers()) b.copy_(state[i++]);
}

Value number_array(const std::vector<double>& values) {
  Value a = Value::make_array();
  for (double v : values) a.push(Value::of(v));
  return a;
}

void set_single_thread() {
  static bool done = false;
  if (done) return;
  at::set_num_interop_threads(1);  // one thread beats two on these shared 2-core machines
  torch::set_num_threads(1);
  done = true;
}

}  // namespace

int run_fit(const Options& options, const std::string& command_line) {
  const auto started = std::chrono::steady_clock::now();
  const FitConfig cfg = read_config(options);
  set_single_thread();
  std::string error;
  if (!prepare_output(cfg.out, &error)) return logf("error: %s", error.c_str()), 2;
  log_to_file(cfg.log);
  logf("cxr-train fit  %s", command_line.c_str());
  torch::manual_seed(cfg.seed);
  std::mt19937_64 rng(cfg.seed);

  // ---- data: train/ only; validation carved out of it by patient
  std::vector<Sample> samples;
  if (!list_split(cfg.data, "train", &samples, &error)) return logf("error: %s", error.c_str()), 2;
  if (cfg.limit && cfg.limit < samples.size()) {  // a seeded subset, for smoke runs
    std::shuffle(samples.begin(), samples.end(), rng);
    samples.resize(cfg.limit);
    std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  }
  SplitOrder split_order;
  if (!parse_split_order(cfg.val_split, &split_order))
    return logf("error: --val-split must be shuffle, lowest-ids, highest-ids or normal2-batch, not '%s'", cfg.val_split.c_str()), 2;
  const Split split = split_by_patient(samples, cfg.val_fraction, cfg.seed, split_order);
  std::vector<int> labels(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) labels[i] = samples[i].label;
  std::vector<int> val_labels;
  for (size_t i : split.validation) val_labels.push_back(labels[i]);
  size_t train_positives = 0;
  for (size_t i : split.train) train_positives += labels[i];
  const size_t train_negatives = split.train.size() - train_positives;
  const size_t val_positives = size_t(std::count(val_labels.begin(), val_labels.end(), kPneumonia));
  // AUC, temperature and threshold mean nothing without both classes on each side.
  if (!train_positives || !train_negatives || !val_positives || val_positives == val_labels.size())
    return logf("error: the split needs both classes on each side; train has %zu normal and %zu pneumonia, "
                "validation %zu normal and %zu pneumonia films (--val-split %s%s)",
                train_negatives, train_positives, val_labels.size() - val_positives, val_positives,
                cfg.val_split.c_str(),
                split_order == SplitOrder::normal2_batch ? " holds out NORMAL2-* normal films: are there any?" : ""),
           2;
  const std::vector<Op> architecture = make_architecture(cfg.arch, cfg.width, cfg.blocks);
  if (architecture.empty()) return logf("error: unknown --arch %s", cfg.arch.c_str()), 2;
  const PreprocessSpec spec = spec_of(cfg);
  PlaneSet planes;
  std::string manifest_hash;
  if (!load_planes(samples, spec, cfg.cache_dir, &planes, &manifest_hash, &error))
    return logf("error: %s", error.c_str()), 2;
  logf("train %zu images (%zu normal, %zu pneumonia); validation %zu images from %zu patients (hash %s)",
       split.train.size(), train_negatives, train_positives, split.validation.size(), split.validation_patients,
       split.validation_patients_hash.c_str());

  // ---- model and optimiser
  Net net(architecture, cfg.dropout);
  logf("model %s width %d blocks %d: %zu parameters, input %dx%d", cfg.arch.c_str(), cfg.width, cfg.blocks,
       net->parameter_count(), cfg.size, cfg.size);
  std::vector<torch::Tensor> decay, no_decay;  // no weight decay on norms and biases
  for (const auto& p : net->parameters()) (p.dim() > 1 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay)));
  groups.emplace_back(no_decay,
                      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(cfg.lr).weight_decay(0)));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(cfg.lr));
  // Class-balanced loss: each class weighs as much as the other in total.
  const torch::Tensor class_weights = torch::tensor(
      {float(split.train.size()) / (2.0f * float(train_negatives)), float(split.train.size()) / (2.0f * float(train_positives))});
  const size_t steps_per_epoch = (split.train.size() + cfg.batch - 1) / cfg.batch;
  const size_t total_steps = steps_per_epoch * size_t(cfg.epochs);
  const double warmup_steps = std::max(1.0, cfg.warmup_epochs * double(steps_per_epoch));

  // ---- training loop
  std::vector<size_t> order = split.train;
  std::vector<double> batch_losses, history_train_loss, history_train_acc, history_val_loss, history_val_auc;
  std::vector<torch::Tensor> best_state;
  double best_auc = -1, best_loss = 1e30;
  int best_epoch = -1;
  size_t step = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    net->train();
    double loss_sum = 0;
    size_t correct = 0, seen = 0;
    Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs), steps_per_epoch);
    for (size_t begin = 0; begin < order.size(); begin += cfg.batch, ++step) {
      const size_t end = std::min(order.size(), begin + size_t(cfg.batch));
      // Linear warm-up, then cosine decay to zero.
      const double lr = step < warmup_steps ? cfg.lr * (step + 1) / warmup_steps
                                            : cfg.lr * 0.5 * (1 + std::cos(M_PI * (step - warmup_steps) / std::max(1.0, total_steps - warmup_steps)));
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

      const torch::Tensor x = normalize_batch(augment(gather_planes(planes, order, begin, end), rng, cfg.hflip), planes,
                                              order, begin, spec);
      std::vector<int64_t> y_values;
      for (size_t i = begin; i < end; ++i) y_values.push_back(labels[order[i]]);
      const torch::Tensor y = torch::tensor(y_values);
      const auto ce = torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights).label_smoothing(cfg.label_smoothing);
      // Mixup (Zhang et al. 2018): train on convex blends of two films and
      // their labels, for smoother decisions and calibration under shift.
      torch::Tensor logits, loss;
      if (cfg.mixup > 0) {
        std::gamma_distribution<double> g(cfg.mixup, 1.0);
        const double a = g(rng), b = g(rng), mix = a / (a + b);
        std::vector<int64_t> perm_values(end - begin);
        std::iota(perm_values.begin(), perm_values.end(), 0);
        std::shuffle(perm_values.begin(), perm_values.end(), rng);
        const torch::Tensor perm = torch::tensor(perm_values);
        logits = net->forward(mix * x + (1 - mix) * x.index_select(0, perm));
        loss = mix * torch::nn::functional::cross_entropy(logits, y, ce) +
               (1 - mix) * torch::nn::functional::cross_entropy(logits, y.index_select(0, perm), ce);
      } else {
        logits = net->forward(x);
        loss = torch::nn::functional::cross_entropy(logits, y, ce);
      }
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();

      const double l = loss.item<double>();
      batch_losses.push_back(l);
      loss_sum += l * double(end - begin);
      correct += size_t((logits.argmax(1) == y).sum().item<int64_t>());
      seen += end - begin;
      char note[64];
      snprintf(note, sizeof note, "loss %.4f lr %.2e", loss_sum / double(seen), lr);
      progress.step(step % steps_per_epoch + 1, note);
    }
    std::vector<double> margins;
    double val_loss = 0;
    predict(net, planes, split.validation, val_labels, spec, &margins, &val_loss);
    const double val_auc = auc(margins, val_labels);
    history_train_loss.push_back(loss_sum / double(seen));
    history_train_acc.push_back(double(correct) / double(seen));
    history_val_loss.push_back(val_loss);
    history_val_auc.push_back(val_auc);
    // Best by validation AUC; AUCs within 1e-4 (a saturated, noisy AUC) tie and
    // the lower validation loss wins.
    const bool better = val_auc > best_auc + 1e-4 || (std::fabs(val_auc - best_auc) <= 1e-4 && val_loss < best_loss);
    if (better) best_auc = val_auc, best_loss = val_loss, best_epoch = epoch + 1, best_state = snapshot(net);
    progress.finish("");
    logf("epoch %d: train loss %.4f acc %.4f | validation loss %.4f AUC %.5f%s", epoch + 1, history_train_loss.back(),
         history_train_acc.back(), val_loss, val_auc, better ? "  (best)" : "");
  }
  restore(net, best_state);

  // ---- calibration and operating point, on validation only
  std::vector<double> margins;
  double val_loss = 0;
  predict(net, planes, split.validation, val_labels, spec, &margins, &val_loss);
  const double temperature = fit_temperature(margins, val_labels);
  std::vector<double> probabilities;
  std::vector<int> argmax;
  for (double m : margins) probabilities.push_back(sigmoid(m / temperature)), argmax.push_back(m > 0);
  const double threshold = threshold_for_sensitivity(probabilities, val_labels, cfg.min_sensitivity);
  const Confusion at_threshold = confusion_at(probabilities, val_labels, threshold);
  logf("best epoch %d: validation AUC %.5f, NLL %.4f -> %.4f at temperature %.3f; threshold %.4f: sensitivity %.4f specificity %.4f",
       best_epoch, auc(margins, val_labels), val_loss, mean_nll(margins, val_labels, temperature), temperature, threshold,
       at_threshold.sensitivity(), at_threshold.specificity());

  // ---- export
  ExportedNet exported;
  ExportedNet::build(*net, &exported);
  ModelInfo info;
  info.name = "cxr-pneumonia";
  info.version = options.get("version", "1.0.0");
  info.input = Shape{uint32_t(cfg.size), uint32_t(cfg.size), 1};
  info.preprocess = spec;
  info.classes = {kClassNames[0], kClassNames[1]};
  info.positive_class = kPneumonia;
  info.temperature = float(temperature);
  info.threshold = float(threshold);
  info.validation_sensitivity = float(at_threshold.sensitivity());
  info.validation_specificity = float(at_threshold.specificity());
  Value meta = make_metadata(info, exported.layers);
  Value arch = Value::make_object();
  arch.set("name", Value::of(cfg.arch));
  arch.set("description", Value::of("ResNet-style: 3x3/2 stem, one basic block per stage at 4 stages (stride 2, "
                                    "1x1 projection shortcuts), batch norm folded into the convolutions, "
                                    "global average pooling, dense head (CAM-capable)"));
  arch.set("stem_width", Value::of(cfg.width));
  arch.set("blocks_per_stage", Value::of(cfg.blocks));
  arch.set("parameters", Value::of(double(net->parameter_count())));
  meta.set("architecture", std::move(arch));
  Value provenance = Value::make_object();
  provenance.set("dataset_root", Value::of(cfg.data));
  provenance.set("dataset_manifest_hash", Value::of("fnv1a64:" + manifest_hash));
  provenance.set("train_images", Value::of(double(split.train.size())));
  provenance.set("validation_images", Value::of(double(split.validation.size())));
  provenance.set("split_seed", Value::of(double(cfg.seed)));
  provenance.set("validation_fraction_of_patients", Value::of(cfg.val_fraction));
  provenance.set("validation_split", Value::of(split_order_name(split_order)));
  provenance.set("validation_patients", Value::of(double(split.validation_patients)));
  provenance.set("validation_patients_hash", Value::of("fnv1a64:" + split.validation_patients_hash));
  provenance.set("trainer_commit", Value::of(source_commit()));
  provenance.set("command_line", Value::of(command_line));
  provenance.set("date", Value::of(utc_now_iso8601()));
  provenance.set("training_seconds",
                 Value::of(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
  provenance.set("threads", Value::of(1.0));
  provenance.set("cache_quantisation", Value::of("stage-1 planes (resampled + equalised, [0,1]) cached as u8: "
                                                 "|error| <= 1/510 before augmentation and normalisation"));
  meta.set("provenance", std::move(provenance));
  Value training = Value::make_object();
  training.set("epochs", Value::of(cfg.epochs));
  training.set("best_epoch", Value::of(best_epoch));
  training.set("selection", Value::of("best validation AUC; AUCs within 1e-4 tie, lower validation loss wins"));
  training.set("threshold_policy", Value::of("highest threshold with validation sensitivity >= " +
                                             std::to_string(cfg.min_sensitivity).substr(0, 4)));
  training.set("optimizer", Value::of("AdamW lr " + std::to_string(cfg.lr) + " weight decay " +
                                      std::to_string(cfg.weight_decay) + ", linear warm-up then cosine, batch " +
                                      std::to_string(cfg.batch)));
  training.set("loss", Value::of("class-balanced cross-entropy, label smoothing " + std::to_string(cfg.label_smoothing)));
  training.set("mixup_alpha", Value::of(cfg.mixup));
  training.set("history_train_loss", number_array(history_train_loss));
  training.set("history_train_accuracy", number_array(history_train_acc));
  training.set("history_validation_loss", number_array(history_val_loss));
  training.set("history_validation_auc", number_array(history_val_auc));
  meta.set("training", std::move(training));
  std::vector<std::string> subtypes;
  for (size_t i : split.validation) subtypes.push_back(samples[i].subtype);
  Value metrics = Value::make_object();
  Value validation = evaluation_report(probabilities, val_labels, argmax, subtypes, threshold, 1000, cfg.seed);
  validation.set("temperature", Value::of(temperature));
  validation.set("nll_calibrated", Value::of(mean_nll(margins, val_labels, temperature)));
  metrics.set("validation", std::move(validation));
  meta.set("metrics", std::move(metrics));
  const std::vector<uint8_t> bytes = write_model(meta, layer_tensors(exported.layers));
  if (!write_file(cfg.out, std::string(bytes.begin(), bytes.end()), &error)) return logf("error: %s", error.c_str()), 2;
  logf("wrote %s (%.2f MB)", cfg.out.c_str(), double(bytes.size()) / 1e6);

  // ---- the exported file must compute what LibTorch computes
  std::vector<size_t> probe(split.validation.begin(), split.validation.begin() + std::min<size_t>(32, split.validation.size()));
  std::string report;
  const bool parity = check_parity(*net, bytes, normalize_batch(gather_planes(planes, probe, 0, probe.size()), planes, probe, 0, spec), &report);
  logf("%s", report.c_str());
  if (!parity) return logf("error: exported model disagrees with LibTorch"), 1;

  // ---- the OOD gate and the uncertainty band, fitted through the core
  const int gate_status = add_gate(cfg.out, samples, split, options);
  if (gate_status != 0) return gate_status;

  if (cfg.smoke_check) {
    const size_t q = std::max<size_t>(1, batch_losses.size() / 4);
    double first = 0, last = 0;
    for (size_t i = 0; i < q; ++i) first += batch_losses[i] / q, last += batch_losses[batch_losses.size() - 1 - i] / q;
    // A 2% margin: with a learning rate of 0 the batch losses still drift by ~0.5%.
    const bool falls = last < 0.98 * first, beats_chance = history_val_auc.back() > 0.5;
    logf("smoke check: training loss first quarter %.4f -> last quarter %.4f (%s); validation AUC %.4f (%s)", first, last,
         falls ? "falls" : "DOES NOT FALL", history_val_auc.back(), beats_chance ? "beats chance" : "NOT ABOVE 0.5");
    if (!falls || !beats_chance) return 1;
  }
  return 0;
}

int run_parity(const Options& options) {
  set_single_thread();
  torch::manual_seed(uint64_t(options.number("seed", 7)));
  const int size = 64;
  Net net(make_architecture("resnet", 8, 1), 0.2);
  {  // Non-trivial batch-norm statistics and affine terms, so folding is exercised.
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
  {
    torch::NoGradGuard no_grad;
    for (auto& item : net->named_buffers())
      if (item.key() == "s4b1_a_bn.running_mean") item.value().add_(1.0);
  }
  std::string stale_report;
  const bool stale_passes = check_parity(*net, stale, inputs, &stale_report);
  logf("negative control (stale export): %s", stale_report.c_str());
  if (stale_passes) logf("error: the parity check did not notice a changed batch-norm statistic");
  return ok && !stale_passes ? 0 : 1;
}

}  // namespace cxr::train
