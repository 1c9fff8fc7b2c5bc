// The site calibration's Embind door (cxr/calibration.h), for the page's
// "Check the model on your films": JS values in, plain objects out, never
// throws. Used by the Classifier in cxr_wasm.cpp.
#pragma once
#include <emscripten/val.h>

#include "cxr/cxr.h"

namespace cxr::wasm {

// films: {probabilities, logOdds, positive, sha256} (arrays, one entry per
// film); options: {target: "sensitivity"|"specificity", value, fitTemperature,
// date: "YYYY-MM-DD"}. Returns {ok: true, report, record} or {ok: false, error}.
emscripten::val calibrate(cxr_classifier* classifier, const emscripten::val& films, const emscripten::val& options);

// Applies a record (JSON text; "" returns to the model default): {ok, label,
// record} or {ok: false, error} (the previous calibration stays).
emscripten::val set_site_calibration(cxr_classifier* classifier, const std::string& json);

}  // namespace cxr::wasm
