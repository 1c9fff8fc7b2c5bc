// Reading what the command line names: files, folders walked, the model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cxr/cxr.h"

namespace cxr::cli {

// The whole file (at most 1 GiB); false with the reason otherwise.
bool read_bytes(const std::string& path, std::vector<uint8_t>* out, std::string* error);

// Says on stderr why the `what` file at `path` cannot be used:
// "cxr: <what> <path>: <why>".
void complain_about(const char* what, const std::string& path, const std::string& why);
// read_bytes, or false after complain_about with the reason.
bool read_or_complain(const char* what, const std::string& path, std::vector<uint8_t>* out);

// Files named on the command line, then each folder's files in sorted order
// (recursive, hidden files and folders skipped).
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs);

// The classifier for a model file, or null with the reason on stderr.
cxr_classifier* load_model(const std::string& path, cxr_backend backend);

}  // namespace cxr::cli
