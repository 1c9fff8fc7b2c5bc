// A valid site calibration record for tests and fuzz seeds (fields as
// core/calibrate/record.h defines them; 412 films, model "pneumonia 2.0.0").
#pragma once
#include <string>

#include "calibrate/record.h"

namespace cxr::testing {

inline calibrate::SiteRecord example_site_record() {
  calibrate::SiteRecord r;
  r.date = "2026-12-07";
  r.target_value = 0.95;
  r.threshold = 0.123456789f;
  r.positive_class = "PNEUMONIA";
  r.negative_class = "NORMAL";
  r.positives = 200;
  r.negatives = 212;
  r.films_sha256 = std::string(64, 'a');
  r.auc = 0.9;
  r.auc_low = 0.85;
  r.auc_high = 0.94;
  r.sensitivity = 0.955;
  r.specificity = 0.6;
  r.model = {"pneumonia", "2.0.0", 0xdeadbeef};
  return r;
}

}  // namespace cxr::testing
