// Small shared pieces of cxr-train: logging to stdout + a file, progress bars
// with ETA, command-line options, hashing, file reading.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cxr/cxr.h"
#include "model/model_file.h"

namespace cxr::train {

// Every line goes to stdout and, once log_to_file() was called, to that file.
void log_to_file(const std::string& path);
void logf(const char* format, ...) __attribute__((format(printf, 1, 2)));
// How a command stops on a failure, in one statement: logs the line (as logf)
// and returns `exit_code` for the command to return:
//   if (!read_file(path, &bytes, &error)) return failed(2, "error: %s", error.c_str());
int failed(int exit_code, const char* format, ...) __attribute__((format(printf, 2, 3)));
// How a helper that answers bool and explains a refusal in *error refuses, in
// one statement: `return refuse(error, "no images under " + root);`
inline bool refuse(std::string* error, std::string why) {
  *error = std::move(why);
  return false;
}

// "label [#####.....] 120/400 30% 12.3s ETA 28.7s note" on stderr, redrawn in
// place on a terminal, every 10% otherwise; the final line also goes to the log.
class Progress {
 public:
  Progress(std::string label, size_t total);
  void step(size_t done, const std::string& note = "");
  void finish(const std::string& note = "");
  double seconds() const;

 private:
  std::string label_;
  size_t total_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// --key value options and bare --flags, after the subcommand.
struct Options {
  std::map<std::string, std::string> values;
  bool parse(int argc, char** argv, int first, std::string* error);
  std::string get(const std::string& key, const std::string& fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key) const;
};

// "WxH" (sides 1..4096) or "none" (0x0): preprocess.h's prescale size.
bool parse_prescale(const std::string& text, uint32_t* width, uint32_t* height);

// FNV-1a 64: a stable, dependency-free fingerprint (not a security hash).
uint64_t fnv1a(const void* data, size_t size, uint64_t hash = 1469598103934665603ull);
std::string hex64(uint64_t value);

bool read_file(const std::string& path, std::vector<uint8_t>* out, std::string* error);
// The rows of a simple CSV file (no quoted cells) after its header row, each
// with exactly `columns` cells; false with *error naming the file and line.
bool read_csv_rows(const std::string& path, size_t columns, std::vector<std::vector<std::string>>* rows,
                   std::string* error);
// read_file + read_model; *error says which file and why when it fails.
bool read_model_file(const std::string& path, std::vector<uint8_t>* bytes, Model* model, std::string* error);

// A model file loaded through the core's public API (portable backend), as the
// CLI and the browser load it; null with *error set when it cannot be.
struct ClassifierDeleter {
  void operator()(cxr_classifier* c) const;
};
using ClassifierPtr = std::unique_ptr<cxr_classifier, ClassifierDeleter>;
ClassifierPtr load_classifier(const std::string& model_path, std::string* error);
bool write_file(const std::string& path, const std::string& bytes, std::string* error);
// Creates the folders above `path` and checks that write_file(path) can
// create its file there, so that a long run fails before it starts rather
// than at its end. False with *error set when it cannot.
bool prepare_output(const std::string& path, std::string* error);
// Now, or SOURCE_DATE_EPOCH (reproducible-builds.org) when set: with it, the
// same command and seed write the same bytes (fit then also leaves out the
// wall-clock training time).
bool source_date_fixed();
std::string utc_now_iso8601();
// `git rev-parse HEAD` of the source tree (+ "-dirty" when core/ or trainer/
// have uncommitted changes), or "unknown".
std::string source_commit();

// Re-writes the model file at `path` with `metadata`; its tensors are copied
// unchanged except those named in `replace`, which are replaced or added.
bool rewrite_model(const std::string& path, const json::Value& metadata, const std::vector<TensorRecord>& replace,
                   std::string* error);

}  // namespace cxr::train
