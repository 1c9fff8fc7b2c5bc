// `cxr calibrate` (measure the model on labelled films, write a site
// calibration) and `cxr classify --site` (apply one): doors over
// cxr/calibration.h.
#pragma once
#include <string>

#include "cxr/cxr.h"

namespace cxr::cli {

int calibrate_command(int argc, char** argv);

// Applies the site calibration file at `path`; false with the reason on stderr.
bool apply_site_file(cxr_classifier* classifier, const std::string& path);

}  // namespace cxr::cli
