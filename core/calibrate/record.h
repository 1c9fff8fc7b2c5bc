// The site calibration record: the one definition of its JSON
// ("schema": "cxr-site-calibration", "version": 1), written and read here for
// the CLI and the page alike.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "cxr/calibration.h"

namespace cxr::calibrate {

constexpr int kRecordVersion = 1;
constexpr char kRecordSchema[] = "cxr-site-calibration";

struct ModelIdentity {
  std::string name, version;
  uint32_t crc32 = 0;
};

struct SiteRecord {
  std::string date;  // YYYY-MM-DD
  cxr_target_kind target = cxr_target_sensitivity;
  double target_value = 0;
  float threshold = 0;
  bool has_temperature = false;
  double temperature = 1, bias = 0;
  std::string positive_class, negative_class;
  uint32_t positives = 0, negatives = 0;
  std::string films_sha256;  // of the sorted list of the films' digests
  double auc = 0, auc_low = 0, auc_high = 0;
  double sensitivity = 0, specificity = 0;  // on these films at `threshold` (for people)
  ModelIdentity model;
};

// Hash of the sorted list: SHA-256 of the lower-case hex digests, sorted,
// each followed by "\n". Fails on a digest that is not 64 hex digits.
Status films_hash(const std::vector<std::string>& digests, std::string* out);

// A number rounded as the record stores it (9 significant digits), so what
// the calibration computes with is what a classifier reads back.
double as_stored(double value);

std::string write_record(const SiteRecord& record);
// Strict: every field present, typed and in range; unknown keys ignored.
Status parse_record(const std::string& text, SiteRecord* record);
// Refuses a record made for another model, naming both.
Status check_model(const SiteRecord& record, const ModelIdentity& model);
// "site calibration of 2026-12-07, 412 films"
std::string label(const SiteRecord& record);

bool valid_date(const std::string& date);

}  // namespace cxr::calibrate
