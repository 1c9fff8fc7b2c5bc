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

#include "common/status.h"
#include "cxr/cxr.h"
#include "model/model_file.h"

namespace cxr::train {

// Every line goes to stdout and, once log_to_file() was called, to that file.
void log_to_file(const std::string& path);
void logf(const char* format, ...) __attribute__((format(printf, 1, 2)));
// How a command starts its log: log_to_file(log_path), then "cxr-train COMMAND  ARGS".
void start_log(const char* command, const std::string& log_path, const std::string& command_line);

// How cxr-train fails: every command and helper returns a Status (CXR_TRY
// passes it up); main.cpp turns the command's Status into the one line it
// prints (to stdout and the log) and the exit status, in one place:
//   0  ok;
//   1  the command ran and a check it makes failed (Fail(kCheckFailed, ...): --check,
//      --smoke-check, --check-model-metadata, --check-max-*, an export that
//      disagrees with LibTorch, a repack that would change what the model
//      says): "CHECK FAILED: <message>";
//   2  it could not run (any other Status: an option, a file, a model that
//      does not read): "error: <message>".
// A failed check carries the trainer's own code, past the core's last one
// and within the enum's range (0..15): the core never returns it.
constexpr cxr_status kCheckFailed = static_cast<cxr_status>(15);
static_assert(kCheckFailed > cxr_status_internal, "kCheckFailed must not be one of the core's codes");
// `status` with "PATH: " before its message, saying which file it is about; ok stays ok.
Status about_file(const std::string& path, Status status);

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
  Status parse(int argc, char** argv, int first);
  std::string get(const std::string& key, const std::string& fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key) const;
  // --model and --data with their defaults: the shipped model, the shared data set.
  std::string model_path() const { return get("model", "models/pneumonia.cxrm"); }
  std::string data_dir() const { return get("data", "../shared/data/chest_xray_224"); }
};

// "WxH" (sides 1..4096) or "none" (0x0): preprocess.h's prescale size.
bool parse_prescale(const std::string& text, uint32_t* width, uint32_t* height);

// FNV-1a 64: a stable, dependency-free fingerprint (not a security hash).
uint64_t fnv1a(const void* data, size_t size, uint64_t hash = 1469598103934665603ull);
std::string hex64(uint64_t value);

Status read_file(const std::string& path, std::vector<uint8_t>* out);
// The rows of a simple CSV file (no quoted cells) after its header row, each
// with exactly `columns` cells; the failure names the file and line.
Status read_csv_rows(const std::string& path, size_t columns, std::vector<std::vector<std::string>>* rows);
// read_file + read_model; the failure says which file and why.
Status read_model_file(const std::string& path, std::vector<uint8_t>* bytes, Model* model);

// A model file loaded through the core's public API (portable backend), as the
// CLI and the browser load it.
struct ClassifierDeleter {
  void operator()(cxr_classifier* c) const;
};
using ClassifierPtr = std::unique_ptr<cxr_classifier, ClassifierDeleter>;
Status load_classifier(const std::string& model_path, ClassifierPtr* out);
// The metadata of a loaded model, parsed.
Status classifier_metadata(cxr_classifier* classifier, json::Value* out);
Status write_file(const std::string& path, const std::string& bytes);
// Creates the folders above `path` and checks that write_file(path) can
// create its file there, so that a long run fails before it starts rather
// than at its end.
Status prepare_output(const std::string& path);
// What a command that measures a model (evaluate, ood-bench, shortcuts)
// works with: where its report goes, and --model loaded as the CLI loads it.
struct Measurement {
  std::string out_path;  // --out, else the model's path + the command's suffix
  ClassifierPtr classifier;
  cxr_model_info info{};
};
// How such a command starts: its report's path checked writable, its log
// beside it (or --log), its command line logged, and the model loaded.
Status start_measuring(const char* command, const Options& options, const std::string& command_line,
                       const std::string& out_suffix, Measurement* measurement);
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
Status rewrite_model(const std::string& path, const json::Value& metadata, const std::vector<TensorRecord>& replace);

}  // namespace cxr::train
