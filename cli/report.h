// How `cxr classify` prints one outcome: a human table, CSV, or JSON Lines.
#pragma once
#include <cstdio>
#include <string>

#include "cxr/cxr.h"

namespace cxr::cli {

enum class Format { table, csv, json };

// What to do with a result the OOD gate flags: withhold the decision (the
// default: the model was not made for such an image) or show it with the
// reasons.
enum class OodPolicy { withhold, warn };

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
void print_outcome(Format format, OodPolicy policy, const Outcome& outcome, const ModelId& model, FILE* out);

// The one-word answer a person reads: the decision, UNCERTAIN inside the
// model's uncertainty band, WITHHELD when flagged and the policy withholds.
const char* verdict(const cxr_result& r, OodPolicy policy);

}  // namespace cxr::cli
