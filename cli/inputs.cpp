#include "inputs.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

namespace fs = std::filesystem;

namespace cxr::cli {
namespace {

constexpr uintmax_t kMaxInputBytes = uintmax_t(1) << 30;

}  // namespace

bool read_bytes(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  const auto refuse = [error](std::string why) {
    *error = std::move(why);
    return false;
  };
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return refuse("cannot read the file: " + ec.message());
  if (size > kMaxInputBytes) return refuse("file is larger than 1 GiB; not an X-ray image");
  std::ifstream in(path, std::ios::binary);
  if (!in) return refuse("cannot open the file: " + std::string(std::strerror(errno)));
  out->assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

void complain_about(const char* what, const std::string& path, const std::string& why) {
  std::fprintf(stderr, "cxr: %s %s: %s\n", what, path.c_str(), why.c_str());
}

bool read_or_complain(const char* what, const std::string& path, std::vector<uint8_t>* out) {
  std::string error;
  if (read_bytes(path, out, &error)) return true;
  complain_about(what, path, error);
  return false;
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      files.push_back(input);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

cxr_classifier* load_model(const std::string& path, cxr_backend backend) {
  std::vector<uint8_t> bytes;
  if (!read_or_complain("model", path, &bytes)) return nullptr;
  cxr_error err;
  cxr_classifier* c = cxr_classifier_create(bytes.data(), bytes.size(), backend, &err);
  if (!c) complain_about("model", path, err.message);
  return c;
}

}  // namespace cxr::cli
