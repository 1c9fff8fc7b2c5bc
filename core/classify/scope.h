// Out of scope: a film of a patient the model was not made for (issue 15).
// The model is for children aged about 1 to 5; an adult's film gets an answer
// that means nothing, and the distance check alone lets most of them through
// (adult chest films are still chest films). Two pieces of evidence:
//  - the adult check (outlier exposure, Hendrycks et al. 2019, in its
//    simplest form): a logistic score over the gate's features (ood.h),
//    fitted by the trainer with pediatric training films against adult
//    films; flagged above a threshold set on pediatric validation films;
//  - a DICOM file's stated age (Patient's Age, else Birth Date and a study
//    date) outside the model's intended range. The age is never printed.
//
// Model file: metadata "ood" {"adult": {"method": "logistic", "threshold"}}
// with the tensors "ood.adult.weights" [features] and "ood.adult.bias" [1];
// metadata "intended_use" {"age_years": {"from", "to"}} (completed years,
// inclusive). Either may be absent: that check is then not available.
#pragma once
#include <string>
#include <vector>

#include "classify/ood.h"
#include "common/status.h"
#include "model/model_file.h"

namespace cxr {

struct ScopeCheck {
  bool adult_available = false;
  const float* weights = nullptr;  // one per gate feature, into Model::values
  float bias = 0, threshold = 0;   // on the score (a logit: > 0 leans adult)
  uint32_t features = 0;
  bool age_available = false;
  double age_from = 0, age_to = 0;  // completed years, inclusive
  std::string population;           // "children aged about 1 to 5"
};

// Reads both checks; `features` is the gate's feature count (ood_features).
Status read_scope_check(const Model& model, size_t features, ScopeCheck* out);

// The adult score of the gate's features. Needs adult_available.
float adult_score(const ScopeCheck& check, const float* features);

// True when a known age (years, >= 0) lies outside the intended range.
bool age_outside_range(const ScopeCheck& check, double age_years);

// The reasons, phrased like the gate's other reasons.
std::string adult_reason(const ScopeCheck& check);
std::string age_reason(const ScopeCheck& check);

}  // namespace cxr
