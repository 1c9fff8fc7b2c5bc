// The model file: one self-describing binary, little-endian, fixed-width fields.
//
//   offset  size  field
//   0       4     magic "CXRM"
//   4       4     u32 format version (kModelFormatVersion; this core also reads
//                 kOldestModelFormatVersion and up)
//   8       4     u32 metadata length M
//   12      4     u32 tensor count T
//   16      M     metadata: UTF-8 JSON object (schema in docs of ModelInfo below)
//   ..            T tensor records: u32 name length, name, u32 dtype, u32 rank
//                 (1..4), u32 dims[rank], u64 offset, u64 byte length
//   ..            tensor data, each at its offset (a multiple of 64), in record
//                 order, not overlapping, before the trailer
//   size-4  4     u32 CRC-32 (IEEE) of every byte before it
//
// dtype: 1 = f32; 2 = f16 (IEEE half, widened to f32 at load); version 2 adds
// symmetric matrices, dims [n, n], of which only the upper triangle is stored,
// row by row (n(n+1)/2 values), mirrored at load: 3 = f32; 4 = f16 times a
// scale: an f32 (a power of two, so that the largest entry fits the half
// range) precedes the halves.
// Stored elements: version 1 writes each element's bytes together (little-
// endian); version 2 stores a tensor byte-planar: the most significant byte
// of every element, then the next, ..., the least significant last (lossless;
// the planes of f16 weights gzip far better than interleaved bytes, and gzip
// is what a server sends).
//
// Metadata keys read by the core: metadata_schema (absent: 1), name, version, input {height,width,channels},
// preprocess {width,height,channels,resize,equalize,normalize,mean,std},
// classes [..], positive_class, temperature, threshold {probability,
// validation_sensitivity, validation_specificity, uncertain_low,
// uncertain_high}, layers [..] (see layers_to_json), ood (classify/ood.h). Everything else (provenance, metrics, ...)
// is carried along for the model card. A layer's tensors are "<layer name>.weight" and ".bias".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/crc32.h"  // the trailer's checksum, for writers and tests
#include "common/half.h"   // how f16 tensors are stored
#include "common/status.h"
#include "model/json.h"
#include "nn/layers.h"
#include "preprocess/preprocess.h"

namespace cxr {

constexpr uint32_t kModelFormatVersion = 2;
constexpr uint32_t kOldestModelFormatVersion = 1;
// The layout of the metadata object (docs/DESIGN.md, "Metadata schema"),
// versioned apart from the binary format: `metadata_schema`, written first by
// make_metadata; a file without it (made before it existed) is schema 1. A
// newer schema is refused, not read by guesswork.
constexpr uint32_t kMetadataSchema = 1;
constexpr uint32_t kModelDTypeF32 = 1;
constexpr uint32_t kModelDTypeF16 = 2;
constexpr uint32_t kModelDTypeF32Symmetric = 3;
constexpr uint32_t kModelDTypeF16Symmetric = 4;
constexpr size_t kMaxModelBytes = size_t(512) << 20;

struct ModelInfo {
  std::string name, version;
  Shape input;
  PreprocessSpec preprocess;
  std::vector<std::string> classes;
  uint32_t positive_class = 1;
  float temperature = 1.0f;
  float threshold = 0.5f;                                          // on the positive class's calibrated probability
  float validation_sensitivity = -1, validation_specificity = -1;  // -1: not recorded
  // Probabilities of the positive class in [low, high] are reported as
  // uncertain; low == high (the threshold) means no band.
  float uncertain_low = 0.5f, uncertain_high = 0.5f;
};

struct ModelTensor {
  std::string name;
  std::vector<uint32_t> dims;
  const float* data = nullptr;  // into Model::values
  size_t count = 0;
  bool f16 = false;  // stored as half floats in the file (dtype 2 or 4)
};

// A parsed, validated model. Views (tensors, layer weights) point into
// `values`: move it, never copy it.
struct Model {
  std::vector<float> values;  // every tensor, decoded to f32, in record order
  std::string metadata_json;
  json::Value metadata;
  ModelInfo info;
  std::vector<LayerDesc> layers;
  std::vector<ModelTensor> tensors;
  uint32_t checksum = 0;

  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  const ModelTensor* find_tensor(const std::string& name) const;
};

// Validates everything (sizes, offsets, shapes, checksum, metadata) and
// refuses with a reason: cxr_status_unsupported_model_version for a format
// version outside kOldestModelFormatVersion..kModelFormatVersion,
// cxr_status_invalid_model otherwise.
Status read_model(const uint8_t* data, size_t size, Model* model);

struct TensorRecord {
  std::string name;
  std::vector<uint32_t> dims;
  std::vector<float> values;
  bool f16 = false;  // store as IEEE half (values rounded to nearest even; a symmetric matrix scaled first)
};

// Serialises a model file. `metadata` must be a JSON object. A square matrix
// that is exactly symmetric is stored as its upper triangle (version 2).
// `version` 1 writes the older layout (for tests of the reader).
std::vector<uint8_t> write_model(const json::Value& metadata, const std::vector<TensorRecord>& tensors,
                                 uint32_t version = kModelFormatVersion);

// Metadata pieces for writers (trainer, tests).
json::Value layers_to_json(const std::vector<LayerDesc>& layers);
json::Value preprocess_to_json(const PreprocessSpec& spec);
// `metadata_schema` (kMetadataSchema), the core keys of `info` (name, version,
// input, preprocess, classes, positive_class, temperature, threshold) plus `layers`.
json::Value make_metadata(const ModelInfo& info, const std::vector<LayerDesc>& layers);
// Tensor records for the layers' weight/bias views.
std::vector<TensorRecord> layer_tensors(const std::vector<LayerDesc>& layers);

}  // namespace cxr
