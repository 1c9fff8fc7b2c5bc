// The trust pieces the trainer adds to a model file (core/classify/ood.h):
// the OOD gate's feature statistics and threshold, and the uncertainty band
// around the operating threshold. Everything is fitted on train/ and
// validation only, through the core's public API (the browser's path).
#pragma once
#include <string>
#include <vector>

#include "cxr/cxr.h"
#include "model/json.h"
#include "trainer/dataset.h"
#include "trainer/util.h"

namespace cxr::train {

// One input through cxr_classify: what the gate and its benchmark need.
struct Scored {
  bool ok = false;
  cxr_status code = cxr_status_ok;  // and the core's message, when not ok
  std::string error;
  double probability = 0;       // of the positive class
  std::vector<float> features;  // pooled features
  bool flagged = false;         // the core's OOD verdict
  bool image_check_failed = false;
  double feature_score = -1;  // -1 when the model has no statistics
  bool out_of_scope = false;  // the adult check or a DICOM age (classify/scope.h)
  double adult_score = 0;     // 0 when the model has no adult check
};
Scored score_bytes(cxr_classifier* classifier, const std::vector<uint8_t>& bytes);

// score_bytes on the files samples[which[i]], with a progress bar; fails on
// the first file that cannot be read or classified.
Status score_samples(cxr_classifier* classifier, const std::vector<Sample>& samples, const std::vector<size_t>& which,
                     const std::string& label, std::vector<Scored>* out);

// Inverse of a symmetric positive-definite n x n matrix (row-major) via
// Cholesky; false when it is not positive definite.
bool invert_spd(const std::vector<double>& a, size_t n, std::vector<double>* inverse);

// The uncertainty band for an operating threshold: the probabilities whose
// label the model itself expects to be wrong at least `low` (or 1 - `high`)
// of the time. A threshold outside [low, high] stretches the band to it:
// under a threshold of 0.86, a film at 0.83 is labelled NORMAL with, by the
// model's own estimate, an 83% chance of being wrong. False unless
// 0 <= low < high <= 1.
struct UncertaintyBand {
  double low = 0, high = 0;
};
bool uncertainty_band(double low, double high, double threshold, UncertaintyBand* band);

// Fits the gate (on split.train) and its threshold and the band (on
// split.validation) for the model at `model_path` and rewrites the file.
// Options: --uncertain-low/--uncertain-high (0.2/0.8), --pass-quantile (0.99),
// --shrinkage (0.01).
Status add_gate(const std::string& model_path, const std::vector<Sample>& samples, const Split& split,
                const Options& options);

// The train/ samples and the validation split a model records in its
// provenance, checked against `data` (same files, same patients).
Status provenance_split(const json::Value& metadata, const std::string& data, std::vector<Sample>* samples,
                        Split* split);

// cxr-train gate: add_gate on the split recorded in the model's provenance.
Status run_gate(const Options& options, const std::string& command_line);

}  // namespace cxr::train
