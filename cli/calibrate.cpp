#include "calibrate.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "cxr/calibration.h"
#include "inputs.h"

namespace fs = std::filesystem;

namespace cxr::cli {
namespace {

const char kCalibrateUsage[] =
    "usage: cxr calibrate --model MODEL --labels DIR|CSV [--target-sensitivity S | --target-specificity S]\n"
    "                     [--fit-temperature] [--date YYYY-MM-DD] --out SITE.json\n"
    "       cxr calibrate --model MODEL --labels DIR|CSV --check SITE.json\n"
    "  --check: choose nothing, measure an existing site calibration on these (held-out) films\n"
    "  DIR: a folder with one subfolder per class (NORMAL/, PNEUMONIA/); CSV: lines file,label\n"
    "  (paths relative to the CSV's folder). Default target: sensitivity 0.95.\n"
    "  Films that cannot be read or that the gate flags are reported and left out.\n"
    "  exit status: 0 written, 1 the films cannot calibrate (too few, one class), 2 usage or model error\n";

struct Labelled {
  std::string path;
  bool positive = false;
};

struct Refused {
  std::string path, reason;
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Which class a label names (case-insensitive); -1 for none.
int class_of(const std::string& label, const cxr_model_info& info) {
  for (uint32_t k = 0; k < info.num_classes; ++k)
    if (lower(label) == lower(info.class_names[k])) return int(k);
  return -1;
}

std::string class_list(const cxr_model_info& info, const char* separator) {
  std::string out;
  for (uint32_t k = 0; k < info.num_classes; ++k) out += (k ? separator : "") + std::string(info.class_names[k]);
  return out;
}

bool labels_from_folder(const std::string& dir, const cxr_model_info& info, std::vector<Labelled>* films,
                        std::string* error) {
  std::error_code ec;
  std::vector<std::string> classes_found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const int k = entry.is_directory(ec) ? class_of(entry.path().filename().string(), info) : -1;
    if (k < 0) continue;
    classes_found.push_back(info.class_names[k]);
    for (const std::string& file : expand_inputs({entry.path().string()}))
      films->push_back({file, uint32_t(k) == info.positive_class});
  }
  if (classes_found.empty())
    return *error = "the folder " + dir + " has no labels: put the films in subfolders named " +
                    class_list(info, "/ and ") + "/, or give a CSV of file,label",
           false;
  return true;
}

std::string unquote(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool labels_from_csv(const std::string& csv, const cxr_model_info& info, std::vector<Labelled>* films,
                     std::vector<Refused>* refused, std::string* error) {
  std::ifstream in(csv);
  if (!in) {
    *error = "cannot open the labels file " + csv;
    return false;
  }
  const fs::path base = fs::path(csv).parent_path();
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (unquote(line).empty()) continue;
    const size_t comma = line.rfind(',');
    if (comma == std::string::npos) {
      refused->push_back({csv + ":" + std::to_string(number), "not a line file,label"});
      continue;
    }
    const std::string file = unquote(line.substr(0, comma)), label = unquote(line.substr(comma + 1));
    const int k = class_of(label, info);
    if (k < 0) {
      if (number == 1) continue;  // a header row
      refused->push_back({file, "its label \"" + label + "\" is not " + class_list(info, " or ")});
      continue;
    }
    const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : base / file;
    films->push_back({path.string(), uint32_t(k) == info.positive_class});
  }
  if (films->empty()) *error = "the labels file " + csv + " names no film with a label " + class_list(info, " or ");
  return !films->empty();
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &utc);
  return date;
}

std::string rate(const cxr_proportion& p) {
  char text[96];
  std::snprintf(text, sizeof text, "%.3f (%.3f to %.3f) %u/%u", p.value, p.low, p.high, p.count, p.total);
  return text;
}

// Temperature and bias in words (they change how sure the probabilities
// sound, not which films are called positive at a given rank).
std::string temperature_words(const cxr_calibration_report& r, const cxr_model_info& info) {
  char text[400];
  const char* positive = info.class_names[info.positive_class];
  const char* negative = info.class_names[1 - info.positive_class];
  std::snprintf(text, sizeof text,
                "temperature %.3g, bias %+.3g: on these films the model's probabilities are %s; the site "
                "probabilities are pulled %s 50%% and shifted towards %s",
                r.temperature, r.bias, r.temperature > 1 ? "too sure of themselves" : "not sure enough",
                r.temperature > 1 ? "towards" : "away from", r.bias >= 0 ? positive : negative);
  return text;
}

void print_summary(const cxr_calibration_report& r, const cxr_model_info& info, size_t refused) {
  const char* positive = info.class_names[info.positive_class];
  const char* negative = info.class_names[1 - info.positive_class];
  std::printf("films used      %u (%s %u, %s %u); %zu left out\n", r.num_positive + r.num_negative, positive,
              r.num_positive, negative, r.num_negative, refused);
  if (r.few_films)
    std::printf("warning         fewer than %u films of a class: the confidence intervals below are wide\n",
                CXR_CALIBRATION_ADVISED_FILMS);
  std::printf("AUC             %.3f (95%% CI %.3f to %.3f, %u bootstrap resamples)\n", r.auc, r.auc_low, r.auc_high,
              r.bootstrap_resamples);
  std::printf("model default   threshold %.6g: sensitivity %s, specificity %s\n", r.model_default.threshold,
              rate(r.model_default.sensitivity).c_str(), rate(r.model_default.specificity).c_str());
  std::printf("site            threshold %.9g (target %s %.3g): sensitivity %s, specificity %s\n", r.site.threshold,
              r.target == cxr_target_sensitivity ? "sensitivity" : "specificity", r.target_value,
              rate(r.site.sensitivity).c_str(), rate(r.site.specificity).c_str());
  std::printf("what changes    %u %s film(s) now caught, %u %s film(s) now flagged wrongly, %u %s film(s) now "
              "cleared, %u %s film(s) now missed\n",
              r.now_positive_correct, positive, r.now_positive_wrong, negative, r.now_negative_correct, negative,
              r.now_negative_wrong, positive);
  if (r.temperature_fitted) std::printf("probabilities   %s\n", temperature_words(r, info).c_str());
}

struct Options {
  std::string model, labels, out, date, check;
  cxr_calibration_options calibration{cxr_target_sensitivity, 0.95, 0, 0, 0, 0};
};

int usage(const std::string& message) {
  std::fprintf(stderr, "cxr calibrate: %s\n\n%s", message.c_str(), kCalibrateUsage);
  return 2;
}

bool parse_target(const char* text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text, &end);
  return end && !*end && *out > 0 && *out < 1;
}

}  // namespace

int calibrate_command(int argc, char** argv) {
  Options o;
  bool target_given = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--model" && has_value) o.model = argv[++i];
    else if (arg == "--labels" && has_value) o.labels = argv[++i];
    else if (arg == "--out" && has_value) o.out = argv[++i];
    else if (arg == "--date" && has_value) o.date = argv[++i];
    else if (arg == "--check" && has_value) o.check = argv[++i];
    else if (arg == "--fit-temperature") o.calibration.fit_temperature = 1;
    else if ((arg == "--target-sensitivity" || arg == "--target-specificity") && has_value) {
      if (target_given) return usage("give one target: --target-sensitivity or --target-specificity");
      target_given = true;
      o.calibration.target = arg == "--target-sensitivity" ? cxr_target_sensitivity : cxr_target_specificity;
      if (!parse_target(argv[++i], &o.calibration.target_value))
        return usage(arg + " takes a proportion between 0 and 1, e.g. 0.95");
    } else return usage("unknown option " + arg);
  }
  if (o.model.empty() || o.labels.empty()) return usage("--model and --labels are required");
  if (o.out.empty() == o.check.empty())
    return usage("give --out SITE.json to write a calibration, or --check SITE.json to measure one");
  if (!o.check.empty() && (target_given || o.calibration.fit_temperature))
    return usage("--check measures the file's own threshold: it takes no target and fits nothing");
  o.calibration.check_active_site = !o.check.empty();
  if (o.date.empty()) o.date = today();
  cxr_classifier* classifier = load_model(o.model, cxr_backend_portable);
  if (!classifier) return 2;
  if (!o.check.empty() && !apply_site_file(classifier, o.check)) {
    cxr_classifier_destroy(classifier);
    return 2;
  }
  cxr_model_info info;
  cxr_classifier_info(classifier, &info);
  std::printf("model           %s %s (crc32 %08x), default threshold %.6g\n", info.name, info.version, info.checksum,
              info.threshold);

  std::vector<Labelled> labelled;
  std::vector<Refused> refused;
  std::string error;
  std::error_code ec;
  const bool ok = fs::is_directory(o.labels, ec) ? labels_from_folder(o.labels, info, &labelled, &error)
                                                 : labels_from_csv(o.labels, info, &labelled, &refused, &error);
  if (!ok) {
    std::fprintf(stderr, "cxr calibrate: %s\n", error.c_str());
    cxr_classifier_destroy(classifier);
    return 1;
  }

  // The films are scored under the model default (a site temperature would
  // change their probabilities); a --check file is applied again after.
  cxr_classifier_set_site_calibration(classifier, nullptr, 0, nullptr);
  std::vector<float> probability, log_odds;
  std::vector<uint8_t> positive;
  std::vector<std::string> digests;
  std::map<std::string, std::string> seen;  // digest -> first path
  const cxr_classify_options options{0};
  for (const Labelled& film : labelled) {
    std::vector<uint8_t> bytes;
    if (!read_bytes(film.path, &bytes, &error)) {
      refused.push_back({film.path, error});
      continue;
    }
    char digest[65];
    cxr_sha256_hex(bytes.data(), bytes.size(), digest);
    const auto [first, inserted] = seen.emplace(digest, film.path);
    if (!inserted) {
      refused.push_back({film.path, "the same film as " + first->second + "; counted once"});
      continue;
    }
    cxr_result r;
    cxr_error e;
    if (cxr_classify(classifier, bytes.data(), bytes.size(), &options, &r, &e) != cxr_status_ok) {
      refused.push_back({film.path, e.message});
      continue;
    }
    if (r.ood.flagged) {
      std::string reasons;
      for (uint32_t k = 0; k < r.ood.num_reasons; ++k) reasons += (k ? ", " : "") + std::string(r.ood.reasons[k]);
      refused.push_back({film.path, "not like the films the model was trained on: " + reasons});
      continue;
    }
    probability.push_back(r.probabilities[r.positive_class]);
    log_odds.push_back(r.positive_log_odds);
    positive.push_back(film.positive);
    digests.push_back(digest);
  }
  for (const Refused& r : refused) std::printf("left out        %s: %s\n", r.path.c_str(), r.reason.c_str());

  if (!o.check.empty() && !apply_site_file(classifier, o.check)) {
    cxr_classifier_destroy(classifier);
    return 2;
  }
  std::vector<const char*> hex;
  for (const std::string& d : digests) hex.push_back(d.c_str());
  const cxr_calibration_films films{probability.size(), probability.data(), log_odds.data(), positive.data(),
                                    hex.data()};
  cxr_error e;
  cxr_calibration* calibration = cxr_calibration_create(classifier, &films, &o.calibration, &e);
  int status = 0;
  if (!calibration) {
    std::fprintf(stderr, "cxr calibrate: %s\n", e.message);
    status = 1;
  } else {
    print_summary(*cxr_calibration_get_report(calibration), info, refused.size());
  }
  if (calibration && !o.check.empty()) {
    std::printf("checked         %s\n", cxr_classifier_calibration_label(classifier));
  } else if (calibration) {
    const char* record = cxr_calibration_record_json(calibration, o.date.c_str(), &e);
    std::ofstream out(o.out, std::ios::binary);
    if (!record) std::fprintf(stderr, "cxr calibrate: %s\n", e.message), status = 2;
    else if (!(out << record << "\n"))
      std::fprintf(stderr, "cxr calibrate: cannot write %s\n", o.out.c_str()), status = 2;
    else
      std::printf("written         %s (classify with: cxr classify --model %s --site %s ...)\n", o.out.c_str(),
                  o.model.c_str(), o.out.c_str());
  }
  cxr_calibration_destroy(calibration);
  cxr_classifier_destroy(classifier);
  return status;
}

bool apply_site_file(cxr_classifier* classifier, const std::string& path) {
  std::vector<uint8_t> bytes;
  if (!read_or_complain("site calibration", path, &bytes)) return false;
  cxr_error e;
  if (bytes.empty() || cxr_classifier_set_site_calibration(classifier, reinterpret_cast<const char*>(bytes.data()),
                                                           bytes.size(), &e) != cxr_status_ok) {
    complain_about("site calibration", path, bytes.empty() ? "the file is empty; export it again" : e.message);
    return false;
  }
  return true;
}

}  // namespace cxr::cli
