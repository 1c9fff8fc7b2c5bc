// How `cxr classify` prints one outcome: a human table, CSV, or JSON Lines
// (the core's result schema, cxr_outcome_json).
#pragma once
#include <cstdio>
#include <string>

#include "cxr/cxr.h"

namespace cxr::cli {

enum class Format { table, csv, json };

struct Outcome {
  std::string file;
  cxr_status status = cxr_status_invalid_argument;
  cxr_result result{};  // when status is ok
  cxr_error error{};    // when not
  bool ok() const { return status == cxr_status_ok; }
};

void print_header(Format format, FILE* out);
// `classifier` names the model in each line (and in JSON, the core's result
// schema, which needs it for the "model" member).
void print_outcome(Format format, cxr_ood_policy policy, const Outcome& outcome, const cxr_classifier* classifier,
                   FILE* out);

// One CSV cell by the rule the page's CSV uses too (web/app/js/lib/csv.js;
// tests/cli/csv.test.mjs holds them to it): text a spreadsheet would run as a
// formula (starting with = + - @ tab or CR) gets a leading apostrophe, and a
// cell with a comma, quote or line break is quoted (RFC 4180).
std::string csv_field(const std::string& text);

}  // namespace cxr::cli
