// Internal to core/model/: the metadata fields the core reads, parsed and
// checked by name (model_metadata.cpp); the reader calls these.
#pragma once
#include <cstddef>

#include "model/model_file.h"

namespace cxr {

// metadata_schema (absent: 1; above kMetadataSchema:
// cxr_status_unsupported_model_version), then the core keys of the metadata
// object (name, version, input, preprocess, classes, positive_class,
// temperature, threshold).
Status parse_info(const json::Value& meta, ModelInfo* info);
// One entry of metadata.layers; `index` names it in a refusal.
Status parse_layer(const json::Value& v, size_t index, LayerDesc* l);

}  // namespace cxr
