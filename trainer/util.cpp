#include "trainer/util.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace cxr::train {
namespace {
FILE* g_log = nullptr;

std::string run_command(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, pipe)) out += buffer;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// write_file writes here first and renames, so a crash never leaves half a file.
std::string partial_path(const std::string& path) { return path + ".partial"; }
}  // namespace

void log_to_file(const std::string& path) {
  if (g_log) fclose(g_log);
  g_log = fopen(path.c_str(), "a");
  if (!g_log) fprintf(stderr, "warning: cannot open log file %s: %s\n", path.c_str(), strerror(errno));
}

namespace {
void log_line(const char* format, va_list args) {
  char line[4096];
  vsnprintf(line, sizeof line, format, args);
  fprintf(stdout, "%s\n", line);
  fflush(stdout);
  if (g_log) {
    fprintf(g_log, "%s\n", line);
    fflush(g_log);
  }
}
}  // namespace

void logf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  log_line(format, args);
  va_end(args);
}

Status about_file(const std::string& path, Status status) {
  if (!status.ok()) status.message = path + ": " + status.message;
  return status;
}

void start_log(const char* command, const std::string& log_path, const std::string& command_line) {
  log_to_file(log_path);
  logf("cxr-train %s  %s", command, command_line.c_str());
}

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)), total_(total ? total : 1), start_(std::chrono::steady_clock::now()) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::step(size_t done, const std::string& note) {
  const double fraction = double(done) / double(total_);
  const int decile = int(fraction * 10);
  const bool tty = isatty(2);
  if (!tty && decile == last_decile_) return;
  last_decile_ = decile;
  const double elapsed = seconds();
  const double eta = done ? elapsed * (double(total_) / double(done) - 1.0) : 0.0;
  char bar[21];
  const int filled = int(fraction * 20);
  for (int i = 0; i < 20; ++i) bar[i] = i < filled ? '#' : '.';
  bar[20] = 0;
  fprintf(stderr, "%s%s [%s] %zu/%zu %3.0f%% %.1fs ETA %.1fs %s%s", tty ? "\r\033[K" : "", label_.c_str(), bar, done,
          total_, 100 * fraction, elapsed, eta, note.c_str(), tty ? "" : "\n");
  fflush(stderr);
}

void Progress::finish(const std::string& note) {
  if (isatty(2)) fprintf(stderr, "\r\033[K");
  logf("%s: %zu done in %.1fs %s", label_.c_str(), total_, seconds(), note.c_str());
}

Status Options::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Fail(cxr_status_invalid_argument, "unexpected argument '%s'", arg.c_str());
    arg = arg.substr(2);
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      values[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      values[arg] = argv[++i];
    } else {
      values[arg] = "1";
    }
  }
  return Ok();
}

std::string Options::get(const std::string& key, const std::string& fallback) const {
  auto it = values.find(key);
  return it == values.end() ? fallback : it->second;
}

double Options::number(const std::string& key, double fallback) const {
  auto it = values.find(key);
  return it == values.end() ? fallback : std::atof(it->second.c_str());
}

bool Options::flag(const std::string& key) const { return values.count(key) && values.at(key) != "0"; }

uint64_t fnv1a(const void* data, size_t size, uint64_t hash) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

std::string hex64(uint64_t value) {
  char text[17];
  snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

namespace {
// A file that cannot be opened, read or written: the path and the system's reason.
Status io_failure(const char* what, const std::string& path) {
  return Fail(cxr_status_invalid_argument, "%s %s: %s", what, path.c_str(), strerror(errno));
}
}  // namespace

Status read_file(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_failure("cannot open", path);
  out->assign(std::istreambuf_iterator<char>(in), {});
  return Ok();
}

bool parse_prescale(const std::string& text, uint32_t* width, uint32_t* height) {
  if (text == "none") {
    *width = *height = 0;
    return true;
  }
  unsigned w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%ux%u%c", &w, &h, &tail) != 2 || w < 1 || h < 1 || w > 4096 || h > 4096) return false;
  *width = w, *height = h;
  return true;
}

Status read_csv_rows(const std::string& path, size_t columns, std::vector<std::vector<std::string>>* rows) {
  rows->clear();
  std::vector<uint8_t> bytes;
  CXR_TRY(read_file(path, &bytes));
  const std::string text(bytes.begin(), bytes.end());
  size_t line_start = 0, line_number = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    std::string line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line_number == 1) continue;  // the header
    std::vector<std::string> cells;
    for (size_t at = 0;;) {
      const size_t comma = line.find(',', at);
      cells.push_back(line.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    if (cells.size() != columns)
      return Fail(cxr_status_invalid_argument, "%s line %zu: expected %zu comma-separated cells", path.c_str(),
                  line_number, columns);
    rows->push_back(std::move(cells));
  }
  return Ok();
}

Status read_model_file(const std::string& path, std::vector<uint8_t>* bytes, Model* model) {
  CXR_TRY(read_file(path, bytes));
  return about_file(path, read_model(bytes->data(), bytes->size(), model));
}

void ClassifierDeleter::operator()(cxr_classifier* c) const { cxr_classifier_destroy(c); }

Status load_classifier(const std::string& model_path, ClassifierPtr* out) {
  std::vector<uint8_t> bytes;
  CXR_TRY(read_file(model_path, &bytes));
  cxr_error e;
  out->reset(cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &e));
  if (!*out) return about_file(model_path, Status{e.status, e.message});
  return Ok();
}

Status classifier_metadata(cxr_classifier* classifier, json::Value* out) {
  return json::parse(cxr_classifier_metadata_json(classifier), out);
}

Status prepare_output(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::create_directories(parent, ec) && ec)
    return Fail(cxr_status_invalid_argument, "cannot write %s: cannot create %s: %s", path.c_str(),
                parent.string().c_str(), ec.message().c_str());
  const std::string probe = partial_path(path);
  FILE* file = std::fopen(probe.c_str(), "wb");
  if (!file) return io_failure("cannot write", path);
  std::fclose(file);
  std::remove(probe.c_str());
  return Ok();
}

Status start_measuring(const char* command, const Options& options, const std::string& command_line,
                       const std::string& out_suffix, Measurement* m) {
  m->out_path = options.get("out", options.model_path() + out_suffix);
  CXR_TRY(prepare_output(m->out_path));
  start_log(command, options.get("log", m->out_path + ".log"), command_line);
  CXR_TRY(load_classifier(options.model_path(), &m->classifier));
  cxr_classifier_info(m->classifier.get(), &m->info);
  return Ok();
}

Status write_file(const std::string& path, const std::string& bytes) {
  const std::string temporary = partial_path(path);
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) return io_failure("cannot write", path);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) return io_failure("cannot write", path);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return io_failure("cannot rename", temporary);
  return Ok();
}

namespace {
const char* source_date_epoch() {
  const char* fixed = std::getenv("SOURCE_DATE_EPOCH");
  return fixed && *fixed ? fixed : nullptr;
}
}  // namespace

bool source_date_fixed() { return source_date_epoch() != nullptr; }

std::string utc_now_iso8601() {
  const char* fixed = source_date_epoch();
  const std::time_t now = fixed ? std::time_t(std::strtoll(fixed, nullptr, 10)) : std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::string source_commit() {
  const std::string dir = CXR_SOURCE_DIR;
  std::string commit = run_command("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  // Dirty only where the model's code lives (others edit web/ in the same tree).
  if (!run_command("git -C '" + dir + "' status --porcelain --untracked-files=no -- core trainer 2>/dev/null").empty())
    commit += "-dirty";
  return commit;
}

Status rewrite_model(const std::string& path, const json::Value& metadata, const std::vector<TensorRecord>& replace) {
  std::vector<uint8_t> bytes;
  Model model;
  CXR_TRY(read_model_file(path, &bytes, &model));
  std::vector<TensorRecord> tensors;
  for (const ModelTensor& t : model.tensors) {
    bool replaced = false;
    for (const TensorRecord& r : replace) replaced |= r.name == t.name;
    if (!replaced) tensors.push_back(TensorRecord{t.name, t.dims, {t.data, t.data + t.count}, t.f16});
  }
  tensors.insert(tensors.end(), replace.begin(), replace.end());
  bytes = write_model(metadata, tensors);
  return write_file(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace cxr::train
