// What the gate's checks share when they read their part of the model file's
// metadata (ood.cpp: the ood statistics, scope.cpp: the out-of-scope check):
// how a wrong entry is refused, and the method each part must name.
#pragma once
#include "common/status.h"
#include "model/json.h"

namespace cxr {

// Refuses a model file whose metadata for one of the gate's checks is wrong:
// `check` names it ("ood statistics"), the call says what is wrong, and the
// fix is always to re-export the model.
struct GateMetadataRefusal {
  const char* check;
  Status operator()(const char* why) const {
    return Fail(cxr_status_invalid_model, "invalid model file: %s %s; re-export the model", check, why);
  }
};

// Whether a check's metadata names `method` (the one this core implements).
inline bool names_method(const json::Value& metadata, const char* method) {
  const json::Value* named = metadata.find("method");
  return named && named->is_string() && named->string == method;
}

}  // namespace cxr
