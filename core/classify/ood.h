// The out-of-distribution gate: is this a film like the ones the model was
// trained on? Two kinds of evidence, each a phrase for the user:
//  - image checks on the decoded film, fixed in advance (no fitting): colour,
//    too small, a shape no chest film has, nearly blank or saturated;
//  - a feature check (Lee et al. 2018): the channel means of a few layers'
//    outputs, from early (texture, sharpness) to the pooled penultimate
//    features (content), and per layer the Mahalanobis distance to the
//    nearest class mean under a class-shared covariance fitted on training
//    films. The score adds the layers' squared distances and divides by the
//    feature count, so training-like films score about 1; the trainer sets the
//    threshold so that most validation films pass.
//
// Model file: metadata "ood" {method "mahalanobis", layers [names],
// threshold} and per layer L the tensors "ood.L.class_means" [classes, C] and
// "ood.L.precision" [C, C] (the inverse covariance). Without "ood" the features
// are the pooled penultimate ones; with "ood" but no threshold the gate is
// defined but not yet fitted (the trainer's intermediate step). In both cases
// the feature check is "not available" and the model still loads.
#pragma once
#include <string>
#include <vector>

#include "common/status.h"
#include "decode/image.h"
#include "model/model_file.h"
#include "nn/plan.h"

namespace cxr {

struct OodLayer {
  size_t value = 0;  // plan value whose channel means are the features
  uint32_t channels = 0;
  const float* class_means = nullptr;  // classes x channels, into Model::values
  const float* precision = nullptr;    // channels x channels
};

struct OodStatistics {
  bool available = false;  // fitted: statistics and threshold present
  uint32_t classes = 0;
  std::vector<OodLayer> layers;
  float threshold = 0;  // on mahalanobis_score
};

// The layers named by metadata ood.layers (empty without "ood"): build_plan
// must keep them alive.
Status ood_feature_layers(const Model& model, std::vector<std::string>* names);

// Reads the gate against a plan built with ood_feature_layers. Without "ood",
// one layer: the plan's pooled features (none if the network has none).
Status read_ood_statistics(const Model& model, const Plan& plan, OodStatistics* out);

// Channel means of each layer's value in the arena, concatenated.
void ood_features(const OodStatistics& stats, const Plan& plan, const float* arena, std::vector<float>* out);

// Sum over layers of min over classes of (x - mean)^T precision (x - mean),
// divided by the feature count. Needs `available`.
float mahalanobis_score(const OodStatistics& stats, const float* features);

// The image checks; appends one reason per failed check.
void check_image(const Image& image, std::vector<std::string>* reasons);

}  // namespace cxr
