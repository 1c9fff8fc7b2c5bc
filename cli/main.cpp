// cxr — the native command line: a thin door over the core's public API.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "calibrate.h"
#include "cxr/calibration.h"
#include "cxr/cxr.h"
#include "inputs.h"
#include "report.h"

using cxr::cli::expand_inputs;
using cxr::cli::Format;
using cxr::cli::load_model;
using cxr::cli::read_bytes;

namespace {

const char kUsage[] =
    "cxr — chest X-ray classifier (decision support, not a diagnosis)\n"
    "\n"
    "usage:\n"
    "  cxr classify --model MODEL [--json [--heatmap] | --csv] [--backend portable|xnnpack] [--ood withhold|warn]\n"
    "               [--site SITE.json] INPUT...\n"
    "      INPUT: image files (JPEG, PNG, DICOM; type read from the bytes) or folders, walked\n"
    "      recursively (hidden files skipped). One result per file; a file that cannot\n"
    "      be read is reported on its own and the others still run.\n"
    "      --json   JSON Lines: one object per input\n"
    "      --heatmap  with --json: each result also carries the heat map the core computes, the\n"
    "               positive class's activation map in the model's input frame, scaled to [0, 1]:\n"
    "               \"heatmap\": {\"width\": W, \"height\": H, \"values\": [W x H numbers, row-major]}\n"
    "               (absent for a withheld film and for a model without a heat map)\n"
    "      --csv    CSV with a header row\n"
    "      exit status: 0 all classified, 1 some input failed, 2 usage or model error\n"
    "      --site   a site calibration (cxr calibrate): its threshold decides, and every output names it\n"
    "  cxr calibrate --model MODEL --labels DIR|CSV [--target-sensitivity S | --target-specificity S]\n"
    "               [--fit-temperature] [--date YYYY-MM-DD] --out SITE.json\n"
    "      measures the model on your labelled films (DIR/NORMAL, DIR/PNEUMONIA or a CSV file,label):\n"
    "      AUC with its 95% CI, sensitivity and specificity at the default and at the site threshold\n"
    "  cxr info MODEL [--json]\n"
    "      the model's name, input, classes, calibration and operating point;\n"
    "      --json prints its whole metadata\n"
    "  cxr --help\n";

int usage_error(const char* message) {
  std::fprintf(stderr, "cxr: %s\n\n%s", message, kUsage);
  return 2;
}

int classify_command(int argc, char** argv) {
  std::string model_path, site_path;
  Format format = Format::table;
  cxr_backend backend = cxr_backend_portable;
  cxr_ood_policy policy = cxr_ood_withhold;
  bool heatmap = false;
  std::vector<std::string> inputs;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) model_path = argv[++i];
    else if (arg == "--json") format = Format::json;
    else if (arg == "--csv") format = Format::csv;
    else if (arg == "--heatmap") heatmap = true;
    else if (arg == "--site" && i + 1 < argc) site_path = argv[++i];
    else if (arg == "--backend" && i + 1 < argc) {
      const std::string name = argv[++i];
      if (name == "portable") backend = cxr_backend_portable;
      else if (name == "xnnpack") backend = cxr_backend_xnnpack;
      else return usage_error("--backend is portable or xnnpack");
    } else if (arg == "--ood" && i + 1 < argc) {
      const std::string name = argv[++i];
      if (name == "withhold") policy = cxr_ood_withhold;
      else if (name == "warn") policy = cxr_ood_warn;
      else return usage_error("--ood is withhold or warn");
    } else if (arg.rfind("--", 0) == 0) return usage_error(("unknown option " + arg).c_str());
    else inputs.push_back(arg);
  }
  if (model_path.empty()) return usage_error("classify needs --model MODEL");
  if (inputs.empty()) return usage_error("classify needs at least one image file or folder");
  if (heatmap && format != Format::json)
    return usage_error(
        "--heatmap adds the heat map to --json output (the table and CSV have no room for it): add --json");
  cxr_classifier* classifier = load_model(model_path, backend);
  if (!classifier) return 2;
  if (!site_path.empty() && !cxr::cli::apply_site_file(classifier, site_path)) {
    cxr_classifier_destroy(classifier);
    return 2;
  }

  int failures = 0;
  if (format == Format::table) std::printf("operating point: %s\n", cxr_classifier_calibration_label(classifier));
  print_header(format, stdout);
  const cxr_classify_options options{heatmap ? 1 : 0};
  for (const std::string& file : expand_inputs(inputs)) {
    cxr::cli::Outcome o;
    o.file = file;
    std::vector<uint8_t> bytes;
    std::string unreadable;
    if (read_bytes(file, &bytes, &unreadable)) {
      o.status = cxr_classify(classifier, bytes.data(), bytes.size(), &options, &o.result, &o.error);
    } else {
      o.error.status = o.status;
      std::snprintf(o.error.message, sizeof o.error.message, "%s", unreadable.c_str());
    }
    failures += !o.ok();
    print_outcome(format, policy, o, classifier, stdout);
    std::fflush(stdout);
  }
  cxr_classifier_destroy(classifier);
  if (failures && format == Format::table) std::fprintf(stderr, "cxr: %d input(s) could not be classified\n", failures);
  return failures ? 1 : 0;
}

int info_command(int argc, char** argv) {
  if (argc < 1) return usage_error("info needs a MODEL file");
  const bool as_json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  cxr_classifier* classifier = load_model(argv[0], cxr_backend_portable);
  if (!classifier) return 2;
  if (as_json) {
    std::printf("%s\n", cxr_classifier_metadata_json(classifier));
  } else {
    cxr_model_info i;
    cxr_classifier_info(classifier, &i);
    std::printf("model        %s %s (crc32 %08x)\n", i.name, i.version, i.checksum);
    std::printf("input        %ux%ux%u\n", i.input_width, i.input_height, i.input_channels);
    std::printf("classes     ");
    for (uint32_t k = 0; k < i.num_classes; ++k)
      std::printf(" %s%s", i.class_names[k], k == i.positive_class ? " (positive)" : "");
    std::printf("\ntemperature  %.4g\nthreshold    %.4g", i.temperature, i.threshold);
    if (i.validation_sensitivity >= 0)
      std::printf(" (validation sensitivity %.3f, specificity %.3f)", i.validation_sensitivity,
                  i.validation_specificity);
    if (i.uncertain_low < i.uncertain_high)
      std::printf("\nuncertain    %.2f to %.2f", i.uncertain_low, i.uncertain_high);
    if (i.ood_feature_check_available)
      std::printf("\nood gate     image checks + feature distance <= %.3f", i.ood_threshold);
    else std::printf("\nood gate     image checks only (no feature statistics in this model)");
    std::printf("\nintended     %s", i.intended_population);
    if (i.adult_check_available) std::printf("; adult films withheld (adult score <= %.3f passes)", i.adult_threshold);
    std::printf("\n");
  }
  cxr_classifier_destroy(classifier);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  for (int i = 1; i < argc; ++i)  // `cxr classify --help` too
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") || (i == 1 && !std::strcmp(argv[i], "help"))) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  if (!std::strcmp(argv[1], "classify")) return classify_command(argc - 2, argv + 2);
  if (!std::strcmp(argv[1], "info")) return info_command(argc - 2, argv + 2);
  if (!std::strcmp(argv[1], "calibrate")) return cxr::cli::calibrate_command(argc - 2, argv + 2);
  return usage_error(("unknown command " + std::string(argv[1])).c_str());
}
