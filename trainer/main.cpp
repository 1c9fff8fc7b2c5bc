// cxr-train — the native trainer: fit, evaluate, gate, convert, repack, ood-bench,
// shortcuts, baselines, report, parity and pretrained-model; the usage below is
// the list.
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "trainer/commands.h"

namespace {

const char kUsage[] =
    "cxr-train — trains and evaluates the cxr pneumonia model (LibTorch, CPU, one thread)\n"
    "\n"
    "usage:\n"
    "  cxr-train fit [options]          train on DATA/train (patient-level validation carved out of it),\n"
    "                                   calibrate and pick the threshold on validation, write the model file\n"
    "      --data DIR        dataset root with {train,test,val}/{NORMAL,PNEUMONIA}/ (../shared/data/chest_xray_224)\n"
    "      --out FILE        model file to write (build/trainer/model.cxrm); log: FILE.log (--log)\n"
    "      --cache DIR       preprocessed-plane cache (build/cache)\n"
    "      --size N          input side (192)        --normalize per_image|fixed|unit   --equalize 1|0\n"
    "      --prescale WxH|none  full-size films first to WxH by a triangle filter, as the data's copies were "
    "(224x224)\n"
    "      --arch resnet|mobilenet_v2_035   --width N (16)   --blocks N per stage (1)   --dropout P (0.2)\n"
    "      --pretrained DIR  start from ImageNet weights (mobilenet_v2_035: ../shared/pretrained/\n"
    "                        mobilenet_v2_0.35_imagenet; sha256-checked before any image is read)\n"
    "      --backbone-lr-scale X  learning rate of everything but the dense head, as a fraction of --lr (1)\n"
    "      --aspect-x LO:HI  random horizontal scale of the film, log-uniform (1:1: off)\n"
    "      --aspect-y LO:HI  random vertical scale, independent of the horizontal one (1:1: off)\n"
    "      --border-erase P  per edge, with probability P, a band of up to 12% of the side is painted one\n"
    "                        random gray (0: off): the film's edges must not carry the label\n"
    "      --tune-halves CSV choose the checkpoint (best AUC), temperature and threshold on the test split's\n"
    "                        `tune` half (test_halves.csv; its `report` half is never read); without it, on\n"
    "                        validation\n"
    "      --epochs N (30)   --batch N (32)          --lr X (2e-3)   --weight-decay X (0.05)\n"
    "      --label-smoothing X (0.05)  --warmup-epochs X (1)  --hflip  (off: anatomy is not symmetric)\n"
    "      --mixup ALPHA     blend pairs of films and labels, weight ~ Beta(ALPHA, ALPHA) (0: off)\n"
    "      --frame-evidence X  add X times the share of the heat map's evidence (squared) lying in the\n"
    "                        outer 10% frame to the loss: the decision must come from inside the film (0: off)\n"
    "      --val-fraction X  of train patients (0.15)  --seed N (1)  --limit N images (smoke runs)\n"
    "      --val-split shuffle|lowest-ids|highest-ids|normal2-batch  which patients: a seeded shuffle\n"
    "                        (default), those with the lowest/highest ids of their class (ids run in the\n"
    "                        dataset's order), or every NORMAL2-* normal patient (a batch the model never\n"
    "                        sees) with a seeded --val-fraction of the pneumonia patients\n"
    "      --min-sensitivity X   threshold policy: highest threshold with validation sensitivity >= X (0.95)\n"
    "      --version V       the model's version string (1.0.0)\n"
    "      --smoke-check     exit 1 unless the training loss falls by 2% and validation AUC > 0.5\n"
    "  cxr-train evaluate [options]     a model file on one split, through the core (the CLI/browser path)\n"
    "      --model FILE (models/pneumonia.cxrm)  --data DIR  --split test|val|train (test)\n"
    "      --halves CSV --part report|tune   one half of test/ (test_halves.csv); its metrics are stored and\n"
    "                        checked as metrics.report / metrics.tune (report: evaluate each shipped model once)\n"
    "      --out FILE.json   --bootstrap N (1000)  --seed N (1)\n"
    "      --write-into-model      store the report as metadata metrics.<split> (weights unchanged)\n"
    "      --check-model-metadata  exit 1 unless metrics.<split> stored in the model match exactly\n"
    "  cxr-train gate [--model FILE] [--data DIR]\n"
    "                                   add the out-of-distribution gate (feature statistics fitted on the model's\n"
    "                                   train part, threshold: --pass-quantile (0.99) of validation distances) and\n"
    "                                   the uncertainty band (--uncertain-low 0.2 --uncertain-high 0.8, stretched to\n"
    "                                   reach a threshold outside it), covariance shrinkage --shrinkage (0.01);\n"
    "                                   fit ends with it. The adult check (models/PROTOCOL-gate-v2.md): --adult DIR\n"
    "                                   (default: adult_nih beside --data's folder; none: no adult check),\n"
    "                                   --adult-fit fit|fit+check (fit+check), --adult-l2 X (0.1), "
    "--adult-pass-quantile\n"
    "                                   Q (0.998) of validation films under its threshold, --adult-layers K (6):\n"
    "                                   the last K feature layers only; --intended-age 1:5\n"
    "                                   (completed years: a DICOM age outside it is withheld)\n"
    "  cxr-train convert --model FILE --out FILE [--weights f16] [--data DIR]\n"
    "                                   store the weights as half floats (half the download), compare with the\n"
    "                                   original on validation through the core, refit the OOD gate\n"
    "  cxr-train repack [--model FILE] [--out FILE (the same file)] [--ood-precision f32|f16 [--data DIR]]\n"
    "                                   re-write a model in the current file format (smaller download) with its\n"
    "                                   stored ROC/PR curves cut to 100 points each; every tensor value unchanged;\n"
    "                                   f16: the OOD precision matrices as scaled halves, written only if no\n"
    "                                   validation film's probability or OOD verdict changes;\n"
    "                                   --version V renames the model's version (a candidate's 2.0.0-b -> 2.0.0);\n"
    "                                   --prescale WxH|none sets the preprocessing's prescale (fit: --prescale, "
    "224x224)\n"
    "  cxr-train ood-bench [--model FILE] [--data DIR] [--split test] [--per-set N (100)] [--seed N]\n"
    "                    [--out FILE.json] [--write-into-model] [--check] [--reference FILE] [--adult DIR]\n"
    "                                   the gate on real X-rays vs generated out-of-distribution inputs (noise,\n"
    "                                   photos, documents, rotated/cropped/inverted/tiny X-rays); --check: exit 1\n"
    "                                   unless >= 95% of OOD are rejected and >= 98% of X-rays pass; --reference:\n"
    "                                   every input through another model file too (verdicts must not differ);\n"
    "                                   --adult: the set-aside adult films too (>= 95% withheld for --check);\n"
    "                                   --originals DIR|none: full-size originals (default chest_xray_fullres_samples\n"
    "                                   beside --data), passing and deciding as their 224 copy\n"
    "  cxr-train baseline --kind svm|cnn [--data DIR] [--out FILE]\n"
    "                                   the origin study's models, trained on train/, reported on test/ like ours:\n"
    "                                   svm: RBF SVM on 50x50 gray pixels (libsvm, C 1, gamma scale);\n"
    "                                   cnn: its 64x64x3 CNN, Adam, 25 epochs, its augmentation\n"
    "  cxr-train report [--model FILE] [--data DIR] [--out FILE.html] [--baseline-svm JSON] [--baseline-cnn JSON]\n"
    "                                   one self-contained offline HTML page: data, samples with CAM, curves,\n"
    "                                   confusion, ROC, reliability, comparison table\n"
    "  cxr-train parity [--seed N] [--arch resnet|mobilenet_v2_035 [--pretrained DIR] [--size N (64)]]\n"
    "                                   self-test: exported file in the core == LibTorch forward\n"
    "  cxr-train pretrained-model --out FILE [--arch mobilenet_v2_035] [--pretrained DIR] [--size N (224)]\n"
    "                    [--seed N]     the pretrained backbone with a random 2-class head, batch norm folded:\n"
    "                                   the fixture of the kernel tests and benchmarks (named random-..., never\n"
    "                                   a classifier)\n"
    "  cxr-train shortcuts [--model FILE] [--data DIR] [--split test | --halves CSV [--part tune|report]]\n"
    "                    [--limit N] [--out FILE.json] [--check-max-flips X] [--check-max-normal-shift X]\n"
    "                    [--check-max-border-mass X] [--check-max-peak-in-frame X]\n"
    "                                   does the model read the film's shape and edges? Each film classified as is\n"
    "                                   and with its content scaled x0.8 (edge columns repeated) and x1.25 (centre\n"
    "                                   crop) horizontally: decision flips, mean change of p per class; and the heat\n"
    "                                   map's mass in the outer 10% frame and its peak there (--halves: one half of\n"
    "                                   test/ from test_halves.csv, default part tune); --check-max-*: exit 1 when\n"
    "                                   flips, |mean change| of normal films, border mass or peak-in-frame share of\n"
    "                                   the films called positive exceed X (fractions, e.g. 0.05)\n"
    "  cxr-train --help\n"
    "\n"
    "test/ is read by evaluate, ood-bench and shortcuts, and its tune half (never report) by fit --tune-halves.\n"
    "Long runs: nohup cxr-train fit ... > fit.out &\n"
    "(GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295 is ~4x faster)\n";

// Whether the usage names --key as a whole option (not as the start of a longer one).
bool documented(const std::string& key) {
  const std::string usage = kUsage, option = "--" + key;
  for (size_t at = usage.find(option); at != std::string::npos; at = usage.find(option, at + 1)) {
    const char next = usage[at + option.size()];
    if (!std::isalnum(static_cast<unsigned char>(next)) && next != '-') return true;
  }
  return false;
}

// The exit status of a command's Status, and its one line (trainer/util.h).
int exit_status(const cxr::Status& status) {
  if (status.ok()) return 0;
  const bool check = status.code == cxr::train::kCheckFailed;
  cxr::train::logf("%s%s", check ? "CHECK FAILED: " : "error: ", status.message.c_str());
  return check ? 1 : 2;
}

// The command's Status; none when `command` is not one of them.
std::optional<cxr::Status> run(const std::string& command, const cxr::train::Options& options,
                               const std::string& command_line) {
  using namespace cxr::train;
  if (command == "fit") return run_fit(options, command_line);
  if (command == "evaluate") return run_evaluate(options, command_line);
  if (command == "parity") return run_parity(options);
  if (command == "ood-bench") return run_ood_bench(options, command_line);
  if (command == "convert") return run_convert(options, command_line);
  if (command == "gate") return run_gate(options, command_line);
  if (command == "repack") return run_repack(options, command_line);
  if (command == "report") return run_report(options, command_line);
  if (command == "pretrained-model") return run_pretrained_model(options, command_line);
  if (command == "shortcuts") return run_shortcuts(options, command_line);
  if (command == "baseline" && options.get("kind", "") == "svm") return run_baseline_svm(options, command_line);
  if (command == "baseline" && options.get("kind", "") == "cnn") return run_baseline_cnn(options, command_line);
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs(kUsage, stderr);
    return 2;
  }
  // Anywhere on the line: `cxr-train repack --help` must print this, not
  // rewrite the model with the defaults.
  for (int i = 1; i < argc; ++i)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || (i == 1 && !strcmp(argv[i], "help"))) {
      fputs(kUsage, stdout);
      return 0;
    }
  std::string command_line = "cxr-train";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  cxr::train::Options options;
  const cxr::Status parsed = options.parse(argc, argv, 2);
  if (!parsed.ok()) {
    fprintf(stderr, "cxr-train: %s\n\n%s", parsed.message.c_str(), kUsage);
    return 2;
  }
  // Every option is one the usage above documents: a typo (--epoch 5) must
  // not train for half an hour with the default instead.
  for (const auto& [key, value] : options.values)
    if (!documented(key)) {
      fprintf(stderr, "cxr-train: unknown option --%s (cxr-train --help lists them)\n", key.c_str());
      return 2;
    }
  // The usage's mistakes are answered here, with the usage; a command's own
  // failures by exit_status.
  const std::string command = argv[1];
  if (const std::optional<cxr::Status> status = run(command, options, command_line)) return exit_status(*status);
  if (command == "baseline") {
    fprintf(stderr, "cxr-train: baseline needs --kind svm or --kind cnn\n");
    return 2;
  }
  fprintf(stderr, "cxr-train: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
