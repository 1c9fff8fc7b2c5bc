// cxr-train fit: the training loop (llm.c-style: flat, top to bottom). The
// export self-test (cxr-train parity) is in parity.cpp.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "model/model_file.h"
#include "trainer/augment.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/gate.h"
#include "trainer/metrics.h"
#include "trainer/net.h"
#include "trainer/shortcut_measures.h"

namespace cxr::train {
namespace {

using json::Value;

struct FitConfig {
  std::string data, out, cache_dir, log, arch, normalize, val_split, pretrained, tune_halves;
  int size, width, blocks, epochs, batch;
  double lr, weight_decay, label_smoothing, dropout, val_fraction, min_sensitivity, warmup_epochs, mixup,
      frame_evidence;
  double backbone_lr_scale;
  AugmentConfig augment;
  uint64_t seed;
  size_t limit;
  bool equalize, hflip, smoke_check;
  uint32_t prescale_width, prescale_height;  // preprocess.h; 0: none
};

// "LO:HI" (0 < LO <= HI) into *low, *high; false when malformed.
bool parse_range(const std::string& text, double* low, double* high) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  char* end = nullptr;
  *low = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + colon) return false;
  *high = std::strtod(text.c_str() + colon + 1, &end);
  return *end == '\0' && *low > 0 && *low <= *high;
}

FitConfig read_config(const Options& o) {
  FitConfig c;
  c.data = o.get("data", "../shared/data/chest_xray_224");
  c.out = o.get("out", "build/trainer/model.cxrm");
  c.cache_dir = o.get("cache", "build/cache");
  c.log = o.get("log", c.out + ".log");
  c.arch = o.get("arch", "resnet");
  c.normalize = o.get("normalize", "per_image");
  c.prescale_width = c.prescale_height = 0;  // checked and set in run_fit
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
  c.frame_evidence = o.number("frame-evidence", 0);
  c.seed = uint64_t(o.number("seed", 1));
  c.limit = size_t(o.number("limit", 0));
  c.equalize = o.get("equalize", "1") != "0";
  c.hflip = o.flag("hflip");
  c.pretrained = o.get("pretrained", "");
  c.tune_halves = o.get("tune-halves", "");
  c.backbone_lr_scale = o.number("backbone-lr-scale", 1);
  c.augment.hflip = c.hflip;
  c.augment.border_erase = o.number("border-erase", 0);
  c.smoke_check = o.flag("smoke-check");
  return c;
}

PreprocessSpec spec_of(const FitConfig& c) {
  PreprocessSpec spec;
  spec.width = spec.height = uint32_t(c.size);
  spec.channels = 1;
  spec.resize = ResizePolicy::stretch;  // how the dataset's 224 copies were made
  spec.equalize = c.equalize;
  spec.normalize = c.normalize == "unit"    ? Normalization::unit
                   : c.normalize == "fixed" ? Normalization::fixed
                                            : Normalization::per_image;
  // Used by "fixed" only: [0, 1] to [-2, 2], or for ImageNet-pretrained
  // weights to the [-1, 1] they were trained on.
  spec.mean = 0.5f, spec.std = c.pretrained.empty() ? 0.25f : 0.5f;
  spec.prescale_width = c.prescale_width, spec.prescale_height = c.prescale_height;
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

}  // namespace

Status run_fit(const Options& options, const std::string& command_line) {
  const auto started = std::chrono::steady_clock::now();
  // The tree this run starts from (HEAD may move while a long run trains).
  const std::string trainer_commit = source_commit();
  FitConfig cfg = read_config(options);
  set_single_thread();
  CXR_TRY(prepare_output(cfg.out));
  start_log("fit", cfg.log, command_line);
  torch::manual_seed(cfg.seed);
  std::mt19937_64 rng(cfg.seed);

  // ---- everything that can be refused without reading an image
  AugmentConfig augment_config = cfg.augment;
  if (!parse_range(options.get("aspect-x", "1:1"), &augment_config.aspect_x_low, &augment_config.aspect_x_high) ||
      !parse_range(options.get("aspect-y", "1:1"), &augment_config.aspect_y_low, &augment_config.aspect_y_high))
    return Fail(cxr_status_invalid_argument, "--aspect-x and --aspect-y take LO:HI with 0 < LO <= HI, e.g. 0.75:1.35");
  // The data's copies are 224x224: full-size films go there first, as they did.
  if (!parse_prescale(options.get("prescale", "224x224"), &cfg.prescale_width, &cfg.prescale_height))
    return Fail(cxr_status_invalid_argument, "--prescale is WxH (e.g. 224x224) or none");
  const std::vector<Op> architecture = make_architecture(cfg.arch, cfg.width, cfg.blocks);
  if (architecture.empty())
    return Fail(cxr_status_invalid_argument, "unknown --arch %s (resnet or mobilenet_v2_035)", cfg.arch.c_str());
  PretrainedWeights pretrained;
  if (!cfg.pretrained.empty()) {
    CXR_TRY(read_pretrained(cfg.pretrained, &pretrained));
    logf("pretrained: %s", pretrained.source.c_str());
  }
  std::vector<Sample> tune_samples;
  if (!cfg.tune_halves.empty()) CXR_TRY(list_test_half(cfg.data, cfg.tune_halves, "tune", &tune_samples));

  // ---- data: train/ only; validation carved out of it by patient
  std::vector<Sample> samples;
  CXR_TRY(list_split(cfg.data, "train", &samples));
  if (cfg.limit && cfg.limit < samples.size()) {  // a seeded subset, for smoke runs
    std::shuffle(samples.begin(), samples.end(), rng);
    samples.resize(cfg.limit);
    std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  }
  SplitOrder split_order;
  if (!parse_split_order(cfg.val_split, &split_order))
    return Fail(cxr_status_invalid_argument,
                "--val-split must be shuffle, lowest-ids, highest-ids or normal2-batch, not '%s'",
                cfg.val_split.c_str());
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
    return Fail(cxr_status_invalid_argument,
                "the split needs both classes on each side; train has %zu normal and %zu pneumonia, "
                "validation %zu normal and %zu pneumonia films (--val-split %s%s)",
                train_negatives, train_positives, val_labels.size() - val_positives, val_positives,
                cfg.val_split.c_str(),
                split_order == SplitOrder::normal2_batch ? " holds out NORMAL2-* normal films: are there any?" : "");
  const PreprocessSpec spec = spec_of(cfg);
  PlaneSet planes;
  std::string manifest_hash;
  CXR_TRY(load_planes(samples, spec, cfg.cache_dir, &planes, &manifest_hash));
  PlaneSet tune_planes;
  std::vector<size_t> tune_indices;
  std::vector<int> tune_labels;
  if (!tune_samples.empty()) {
    CXR_TRY(load_planes(tune_samples, spec, cfg.cache_dir, &tune_planes, nullptr));
    for (size_t i = 0; i < tune_samples.size(); ++i)
      tune_indices.push_back(i), tune_labels.push_back(tune_samples[i].label);
    logf("tune: %zu films of the test split's tune half (%zu pneumonia); checkpoint, temperature and threshold "
         "are chosen on them",
         tune_samples.size(), size_t(std::count(tune_labels.begin(), tune_labels.end(), kPneumonia)));
  }
  logf("train %zu images (%zu normal, %zu pneumonia); validation %zu images from %zu patients (hash %s)",
       split.train.size(), train_negatives, train_positives, split.validation.size(), split.validation_patients,
       split.validation_patients_hash.c_str());

  // ---- model and optimiser
  Net net(architecture, cfg.dropout);
  if (!cfg.pretrained.empty()) {
    CXR_TRY(net->load_pretrained(pretrained));
  }
  logf("model %s width %d blocks %d: %zu parameters, input %dx%d", cfg.arch.c_str(), cfg.width, cfg.blocks,
       net->parameter_count(), cfg.size, cfg.size);
  // Four groups: {backbone, head} x {weights (decayed), norms and biases (not
  // decayed)}; the backbone learns at backbone_lr_scale of the head's rate
  // (a pretrained backbone needs smaller steps than a fresh head).
  std::vector<torch::Tensor> params[2][2];  // [head][decay]
  const std::vector<torch::Tensor> head = net->head_parameters();
  for (const auto& p : net->parameters()) {
    const bool is_head = std::any_of(head.begin(), head.end(), [&](const torch::Tensor& h) { return h.is_same(p); });
    params[is_head][p.dim() > 1].push_back(p);
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<double> group_lr_scale;
  for (int is_head : {0, 1})
    for (int decayed : {0, 1}) {
      if (params[is_head][decayed].empty()) continue;
      groups.emplace_back(params[is_head][decayed],
                          std::make_unique<torch::optim::AdamWOptions>(
                              torch::optim::AdamWOptions(cfg.lr).weight_decay(decayed ? cfg.weight_decay : 0)));
      group_lr_scale.push_back(is_head ? 1.0 : cfg.backbone_lr_scale);
    }
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(cfg.lr));
  // Class-balanced loss: each class weighs as much as the other in total.
  const torch::Tensor class_weights = torch::tensor({float(split.train.size()) / (2.0f * float(train_negatives)),
                                                     float(split.train.size()) / (2.0f * float(train_positives))});
  const size_t steps_per_epoch = (split.train.size() + cfg.batch - 1) / cfg.batch;
  const size_t total_steps = steps_per_epoch * size_t(cfg.epochs);
  const double warmup_steps = std::max(1.0, cfg.warmup_epochs * double(steps_per_epoch));

  // ---- training loop
  std::vector<size_t> order = split.train;
  std::vector<double> batch_losses, history_train_loss, history_train_acc, history_val_loss, history_val_auc,
      history_tune_auc;
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
      const double lr =
          step < warmup_steps
              ? cfg.lr * (step + 1) / warmup_steps
              : cfg.lr * 0.5 * (1 + std::cos(M_PI * (step - warmup_steps) / std::max(1.0, total_steps - warmup_steps)));
      for (size_t g = 0; g < optimizer.param_groups().size(); ++g)
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[g].options()).lr(lr * group_lr_scale[g]);

      const torch::Tensor x = normalize_batch(augment(gather_planes(planes, order, begin, end), rng, augment_config),
                                              planes, order, begin, spec);
      std::vector<int64_t> y_values;
      for (size_t i = begin; i < end; ++i) y_values.push_back(labels[order[i]]);
      const torch::Tensor y = torch::tensor(y_values);
      const auto ce =
          torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights).label_smoothing(cfg.label_smoothing);
      // Mixup (Zhang et al. 2018): train on convex blends of two films and
      // their labels, for smoother decisions and calibration under shift.
      // "Right for the right reasons" (Ross et al. 2017) with the film's outer
      // frame as the region that must not carry the decision: arms, shoulders,
      // labels and the film's cut are not pneumonia (--frame-evidence).
      torch::Tensor logits, loss, features;
      torch::Tensor* const want_features = cfg.frame_evidence > 0 ? &features : nullptr;
      if (cfg.mixup > 0) {
        std::gamma_distribution<double> g(cfg.mixup, 1.0);
        const double a = g(rng), b = g(rng), mix = a / (a + b);
        std::vector<int64_t> perm_values(end - begin);
        std::iota(perm_values.begin(), perm_values.end(), 0);
        std::shuffle(perm_values.begin(), perm_values.end(), rng);
        const torch::Tensor perm = torch::tensor(perm_values);
        logits = net->forward(mix * x + (1 - mix) * x.index_select(0, perm), want_features);
        loss = mix * torch::nn::functional::cross_entropy(logits, y, ce) +
               (1 - mix) * torch::nn::functional::cross_entropy(logits, y.index_select(0, perm), ce);
      } else {
        logits = net->forward(x, want_features);
        loss = torch::nn::functional::cross_entropy(logits, y, ce);
      }
      if (want_features) loss = loss + cfg.frame_evidence * net->frame_evidence_share(features, kHeatmapFrame).mean();
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
    double tune_auc = -1, tune_loss = 0;
    if (!tune_indices.empty()) {
      std::vector<double> tune_margins;
      predict(net, tune_planes, tune_indices, tune_labels, spec, &tune_margins, &tune_loss);
      tune_auc = auc(tune_margins, tune_labels);
      history_tune_auc.push_back(tune_auc);
    }
    history_train_loss.push_back(loss_sum / double(seen));
    history_train_acc.push_back(double(correct) / double(seen));
    history_val_loss.push_back(val_loss);
    history_val_auc.push_back(val_auc);
    // Best by AUC on tune when given, else on validation; AUCs within 1e-4 (a
    // saturated, noisy AUC) tie and the lower loss on the same films wins.
    const double select_auc = tune_indices.empty() ? val_auc : tune_auc;
    const double select_loss = tune_indices.empty() ? val_loss : tune_loss;
    const bool better =
        select_auc > best_auc + 1e-4 || (std::fabs(select_auc - best_auc) <= 1e-4 && select_loss < best_loss);
    if (better) best_auc = select_auc, best_loss = select_loss, best_epoch = epoch + 1, best_state = snapshot(net);
    progress.finish("");
    logf("epoch %d: train loss %.4f acc %.4f | validation loss %.4f AUC %.5f | tune AUC %.5f%s", epoch + 1,
         history_train_loss.back(), history_train_acc.back(), val_loss, val_auc, tune_auc, better ? "  (best)" : "");
  }
  restore(net, best_state);

  // ---- calibration and operating point: on tune when given (films graded
  // like the test split), else on validation
  std::vector<double> margins, tune_margins;
  double val_loss = 0, tune_loss = 0;
  predict(net, planes, split.validation, val_labels, spec, &margins, &val_loss);
  if (!tune_indices.empty()) predict(net, tune_planes, tune_indices, tune_labels, spec, &tune_margins, &tune_loss);
  const bool on_tune = !tune_indices.empty();
  const std::vector<double>& choose_margins = on_tune ? tune_margins : margins;
  const std::vector<int>& choose_labels = on_tune ? tune_labels : val_labels;
  const double temperature = fit_temperature(choose_margins, choose_labels);
  auto calibrated = [&](const std::vector<double>& m, std::vector<double>* p, std::vector<int>* argmax) {
    for (double v : m) p->push_back(sigmoid(v / temperature)), argmax->push_back(v > 0);
  };
  std::vector<double> probabilities, tune_probabilities;
  std::vector<int> argmax, tune_argmax;
  calibrated(margins, &probabilities, &argmax);
  calibrated(tune_margins, &tune_probabilities, &tune_argmax);
  const double threshold =
      threshold_for_sensitivity(on_tune ? tune_probabilities : probabilities, choose_labels, cfg.min_sensitivity);
  const Confusion at_threshold = confusion_at(probabilities, val_labels, threshold);
  logf("best epoch %d: validation AUC %.5f, NLL %.4f -> %.4f at temperature %.3f (fitted on %s); threshold %.4f "
       "(chosen on %s): validation sensitivity %.4f specificity %.4f",
       best_epoch, auc(margins, val_labels), val_loss, mean_nll(margins, val_labels, temperature), temperature,
       on_tune ? "tune" : "validation", threshold, on_tune ? "tune" : "validation", at_threshold.sensitivity(),
       at_threshold.specificity());
  if (on_tune) {
    const Confusion tune_at = confusion_at(tune_probabilities, tune_labels, threshold);
    logf("tune: AUC %.5f, NLL %.4f -> %.4f; at the threshold sensitivity %.4f specificity %.4f",
         auc(tune_margins, tune_labels), tune_loss, mean_nll(tune_margins, tune_labels, temperature),
         tune_at.sensitivity(), tune_at.specificity());
  }

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
  if (cfg.arch == "resnet") {
    arch.set("description", Value::of("ResNet-style: 3x3/2 stem, one basic block per stage at 4 stages (stride 2, "
                                      "1x1 projection shortcuts), batch norm folded into the convolutions, "
                                      "global average pooling, dense head (CAM-capable)"));
    arch.set("stem_width", Value::of(cfg.width));
    arch.set("blocks_per_stage", Value::of(cfg.blocks));
  } else {
    arch.set("description", Value::of("MobileNetV2, width multiplier 0.35 (Sandler et al. 2018; Keras Applications "
                                      "layout): inverted residual blocks (1x1 expand, 3x3 depthwise, linear 1x1 "
                                      "projection), ReLU6, batch norm folded into the convolutions, global average "
                                      "pooling, dense head (CAM-capable)"));
  }
  if (!cfg.pretrained.empty())
    arch.set("pretrained", Value::of("ImageNet-1k MobileNetV2 0.35 (Keras Applications / TF-slim checkpoint, Apache "
                                     "License 2.0), first conv summed over RGB for one gray channel; fine-tuned end "
                                     "to end. Read from " +
                                     pretrained.source));
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
  provenance.set("trainer_commit", Value::of(trainer_commit));
  provenance.set("command_line", Value::of(command_line));
  provenance.set("date", Value::of(utc_now_iso8601()));
  if (!source_date_fixed())
    provenance.set("training_seconds",
                   Value::of(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
  provenance.set("threads", Value::of(1.0));
  provenance.set("cache_quantisation", Value::of("stage-1 planes (resampled + equalised, [0,1]) cached as u8: "
                                                 "|error| <= 1/510 before augmentation and normalisation"));
  meta.set("provenance", std::move(provenance));
  Value training = Value::make_object();
  training.set("epochs", Value::of(cfg.epochs));
  training.set("best_epoch", Value::of(best_epoch));
  const std::string chosen_on = on_tune ? "tune" : "validation";
  training.set("selection",
               Value::of("best " + chosen_on + " AUC; AUCs within 1e-4 tie, lower " + chosen_on + " loss wins"));
  training.set("threshold_policy", Value::of("highest threshold with " + chosen_on +
                                             " sensitivity >= " + std::to_string(cfg.min_sensitivity).substr(0, 4)));
  training.set("temperature_fitted_on", Value::of(chosen_on));
  if (on_tune) training.set("tune_halves", Value::of(cfg.tune_halves));
  Value augmentation = Value::make_object();
  augmentation.set("aspect_x", Value::of(options.get("aspect-x", "1:1")));
  augmentation.set("aspect_y", Value::of(options.get("aspect-y", "1:1")));
  augmentation.set("border_erase", Value::of(cfg.augment.border_erase));
  augmentation.set("hflip", Value::of_bool(cfg.hflip));
  training.set("augmentation", std::move(augmentation));
  training.set("backbone_lr_scale", Value::of(cfg.backbone_lr_scale));
  training.set("optimizer",
               Value::of("AdamW lr " + std::to_string(cfg.lr) + " weight decay " + std::to_string(cfg.weight_decay) +
                         ", linear warm-up then cosine, batch " + std::to_string(cfg.batch)));
  training.set("loss",
               Value::of("class-balanced cross-entropy, label smoothing " + std::to_string(cfg.label_smoothing)));
  training.set("mixup_alpha", Value::of(cfg.mixup));
  training.set("frame_evidence", Value::of(cfg.frame_evidence));
  training.set("history_train_loss", number_array(history_train_loss));
  training.set("history_train_accuracy", number_array(history_train_acc));
  training.set("history_validation_loss", number_array(history_val_loss));
  training.set("history_validation_auc", number_array(history_val_auc));
  if (on_tune) training.set("history_tune_auc", number_array(history_tune_auc));
  meta.set("training", std::move(training));
  std::vector<std::string> subtypes;
  for (size_t i : split.validation) subtypes.push_back(samples[i].subtype);
  Value metrics = Value::make_object();
  Value validation = evaluation_report(probabilities, val_labels, argmax, subtypes, threshold, 1000, cfg.seed);
  validation.set("temperature", Value::of(temperature));
  validation.set("nll_calibrated", Value::of(mean_nll(margins, val_labels, temperature)));
  metrics.set("validation", std::move(validation));
  if (on_tune) {
    std::vector<std::string> tune_subtypes;
    for (const Sample& t : tune_samples) tune_subtypes.push_back(t.subtype);
    Value tune =
        evaluation_report(tune_probabilities, tune_labels, tune_argmax, tune_subtypes, threshold, 1000, cfg.seed);
    tune.set("temperature", Value::of(temperature));
    tune.set("nll_calibrated", Value::of(mean_nll(tune_margins, tune_labels, temperature)));
    metrics.set("tune", std::move(tune));
  }
  meta.set("metrics", std::move(metrics));
  const std::vector<uint8_t> bytes = write_model(meta, layer_tensors(exported.layers));
  CXR_TRY(write_file(cfg.out, std::string(bytes.begin(), bytes.end())));
  logf("wrote %s (%.2f MB)", cfg.out.c_str(), double(bytes.size()) / 1e6);

  // ---- the exported file must compute what LibTorch computes
  std::vector<size_t> probe(split.validation.begin(),
                            split.validation.begin() + std::min<size_t>(32, split.validation.size()));
  std::string report;
  const bool parity = check_parity(
      *net, bytes, normalize_batch(gather_planes(planes, probe, 0, probe.size()), planes, probe, 0, spec), &report);
  logf("%s", report.c_str());
  if (!parity) return Fail(kCheckFailed, "the exported model disagrees with LibTorch");

  // ---- the OOD gate and the uncertainty band, fitted through the core
  CXR_TRY(add_gate(cfg.out, samples, split, options));

  if (cfg.smoke_check) {
    const size_t q = std::max<size_t>(1, batch_losses.size() / 4);
    double first = 0, last = 0;
    for (size_t i = 0; i < q; ++i) first += batch_losses[i] / q, last += batch_losses[batch_losses.size() - 1 - i] / q;
    // A 2% margin: with a learning rate of 0 the batch losses still drift by ~0.5%.
    const bool falls = last<0.98 * first, beats_chance = history_val_auc.back()> 0.5;
    logf("smoke check: training loss first quarter %.4f -> last quarter %.4f (%s); validation AUC %.4f (%s)", first,
         last, falls ? "falls" : "DOES NOT FALL", history_val_auc.back(),
         beats_chance ? "beats chance" : "NOT ABOVE 0.5");
    if (!falls || !beats_chance)
      return Fail(kCheckFailed, "smoke check: the training loss must fall by 2%% and validation AUC exceed 0.5");
  }
  return Ok();
}

}  // namespace cxr::train
