// How `cxr classify` prints one outcome: a human table, CSV, or JSON Lines.
#pragma once
#include <cstdio>
#include <string>

#include "cxr/cxr.h"

namespace cxr::cli {

enum class Format { table, csv, json };

struct ModelId {
  std::string name, version, checksum;  // checksum: the file's CRC-32, hex
};

struct Outcome {
  std::string file;
  bool ok = false;
  cxr_result result{};  // when ok
  std::string error;    // when not
};

void print_header(Format format, FILE* out);
void print_outcome(Format format, const Outcome& outcome, const ModelId& model, FILE* out);

}  // namespace cxr::cli
