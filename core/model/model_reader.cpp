// The model file's reader: header, checksum, tensor table and data (decoded
// to f32), then the metadata (model_metadata.cpp) and the layers.
#include <cmath>
#include <cstring>

#include "model/model_encoding.h"
#include "model/model_file.h"
#include "model/model_metadata.h"

namespace cxr {

const ModelTensor* Model::find_tensor(const std::string& name) const {
  for (const ModelTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

Status bad_model(const std::string& why) {
  return Fail(cxr_status_invalid_model, "invalid model file: %s; re-download or re-export the model", why.c_str());
}

Encoding encoding_of(uint32_t dtype) {
  return {dtype == kModelDTypeF16 || dtype == kModelDTypeF16Symmetric ? 2u : 4u,
          dtype == kModelDTypeF32Symmetric || dtype == kModelDTypeF16Symmetric, dtype == kModelDTypeF16Symmetric};
}

namespace {

constexpr uint32_t kMaxTensors = 4096, kMaxRank = 4, kMaxNameBytes = 256;

// Bounds-checked little-endian reader over the file.
struct Reader {
  const uint8_t* data;
  size_t size, pos;
  bool u32(uint32_t* v) {
    if (size - pos < 4) return false;
    *v = uint32_t(data[pos]) | uint32_t(data[pos + 1]) << 8 | uint32_t(data[pos + 2]) << 16 |
         uint32_t(data[pos + 3]) << 24;
    pos += 4;
    return true;
  }
  bool u64(uint64_t* v) {
    uint32_t lo, hi;
    if (!u32(&lo) || !u32(&hi)) return false;
    *v = uint64_t(hi) << 32 | lo;
    return true;
  }
  bool bytes(size_t n, std::string* out) {
    if (size - pos < n) return false;
    out->assign(reinterpret_cast<const char*>(data + pos), n);
    pos += n;
    return true;
  }
};

// Loops that run once per model load: in the browser their code is
// downloaded by every visitor, so small beats fast (clang: no unrolling or
// vectorising).
#if defined(__clang__)
#define CXR_SMALL_CODE __attribute__((noinline, minsize))
#else
#define CXR_SMALL_CODE __attribute__((noinline))
#endif

float bits_to_float(uint32_t bits, uint32_t element_bytes) {
  if (element_bytes == 2) return half_to_float(uint16_t(bits));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// `count` stored elements, little-endian, to floats times `scale`: each
// element's bytes together, little-endian (version 1), or byte-planar, the most
// significant plane first (version 2, see the header).
CXR_SMALL_CODE void decode_elements(const uint8_t* p, uint32_t element_bytes, uint64_t count, bool planar, float scale,
                                    float* out) {
  const uint64_t element_step = planar ? 1 : element_bytes, byte_step = planar ? count : 1;
  for (uint64_t k = 0; k < count; ++k) {
    uint32_t bits = 0;
    for (uint32_t b = 0; b < element_bytes; ++b)  // b: the byte's significance; planes start with the highest
      bits |= uint32_t(p[k * element_step + (planar ? element_bytes - 1 - b : b) * byte_step]) << (8 * b);
    out[k] = scale * bits_to_float(bits, element_bytes);
  }
}

// An n x n matrix whose first n(n+1)/2 floats hold its upper triangle, row by
// row: each row moved to its place (last first, so nothing is overwritten
// before it is moved), then mirrored.
CXR_SMALL_CODE void expand_triangle(float* m, size_t n) {
  for (size_t row = n; row-- > 0;) {
    const size_t from = row * n - row * (row - 1) / 2;  // rows 0..row-1 hold n, n-1, ... values
    for (size_t col = n; col-- > row;) m[row * n + col] = m[from + col - row];
  }
  for (size_t row = 0; row < n; ++row)
    for (size_t col = row + 1; col < n; ++col) m[col * n + row] = m[row * n + col];
}

// Tensor data must lie after the whole table (whose end is known only once it
// is read), in record order, before the trailer. Every tensor is decoded into
// model->values, sized once so that the views stay put.
Status parse_tensors(Reader& r, uint32_t version, uint32_t count, size_t data_end, Model* model) {
  struct Placed {
    Encoding encoding;
    uint64_t offset, stored;  // stored: elements in the file
  };
  std::vector<Placed> placed;
  uint64_t previous_end = 0, first_offset = 0, total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    ModelTensor t;
    uint32_t name_len, dtype, rank;
    uint64_t offset, length;
    if (!r.u32(&name_len) || name_len == 0 || name_len > kMaxNameBytes || !r.bytes(name_len, &t.name) ||
        !r.u32(&dtype) || !r.u32(&rank))
      return bad_model("tensor record " + std::to_string(i) + " is cut short or has a bad name");
    if (dtype < kModelDTypeF32 || dtype > kModelDTypeF16Symmetric)
      return bad_model("tensor '" + t.name + "' has type " + std::to_string(dtype) +
                       ", which this version of cxr cannot read");
    if (dtype > kModelDTypeF16 && version < 2)
      return bad_model("tensor '" + t.name + "' has type " + std::to_string(dtype) +
                       ", which a version 1 file cannot hold");
    if (rank == 0 || rank > kMaxRank) return bad_model("tensor '" + t.name + "' has rank " + std::to_string(rank));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint32_t dim;
      if (!r.u32(&dim) || dim == 0) return bad_model("tensor '" + t.name + "' has a bad dimension");
      t.dims.push_back(dim);
      elements *= dim;
      if (elements > kMaxModelBytes) return bad_model("tensor '" + t.name + "' is too large");
    }
    const Encoding e = encoding_of(dtype);
    if (e.triangle && (rank != 2 || t.dims[0] != t.dims[1]))
      return bad_model("tensor '" + t.name + "' is stored as a symmetric matrix but is not square");
    const uint64_t stored = e.triangle ? uint64_t(t.dims[0]) * (t.dims[0] + 1) / 2 : elements;
    if (!r.u64(&offset) || !r.u64(&length)) return bad_model("tensor record '" + t.name + "' is cut short");
    if (length != (e.scaled ? 4 : 0) + stored * e.element_bytes || offset % kModelDataAlign || offset < previous_end ||
        offset > data_end || length > data_end - offset)
      return bad_model("tensor '" + t.name + "' lies outside the data area or has the wrong size");
    if (model->find_tensor(t.name)) return bad_model("tensor '" + t.name + "' appears twice");
    if (i == 0) first_offset = offset;
    previous_end = offset + length;
    t.count = size_t(elements);
    t.f16 = e.element_bytes == 2;
    total += elements;
    placed.push_back({e, offset, stored});
    model->tensors.push_back(std::move(t));
  }
  if (!model->tensors.empty() && first_offset < r.pos) return bad_model("tensor data overlaps the tensor table");
  if (total > kMaxModelBytes / sizeof(float)) return bad_model("the tensors are too large");
  model->values.resize(size_t(total));
  float* next = model->values.data();
  for (size_t i = 0; i < placed.size(); ++i) {
    ModelTensor& t = model->tensors[i];
    const Placed& p = placed[i];
    const uint8_t* bytes = r.data + p.offset;
    float scale = 1;
    if (p.encoding.scaled) {
      decode_elements(bytes, 4, 1, false, 1, &scale);
      if (!(scale > 0 && std::isfinite(scale))) return bad_model("tensor '" + t.name + "' has a bad scale");
      bytes += 4;
    }
    decode_elements(bytes, p.encoding.element_bytes, p.stored, version >= 2, scale, next);
    if (p.encoding.triangle) expand_triangle(next, t.dims[0]);
    for (size_t k = 0; k < t.count; ++k)
      if (!std::isfinite(next[k])) return bad_model("tensor '" + t.name + "' holds NaN or infinity");
    t.data = next;
    next += t.count;
  }
  return Ok();
}

}  // namespace

Status read_model(const uint8_t* data, size_t size, Model* model) {
  *model = Model{};
  if (data == nullptr) return Fail(cxr_status_invalid_argument, "no model bytes given");
  if (size < kModelHeaderBytes + kModelTrailerBytes) {
    if (size >= 4 && std::memcmp(data, "CXRM", 4) != 0)
      return Fail(cxr_status_invalid_model, "not a cxr model file (no CXRM signature); pick a .cxrm model");
    return bad_model("file is too short (" + std::to_string(size) + " bytes)");
  }
  if (std::memcmp(data, "CXRM", 4) != 0)
    return Fail(cxr_status_invalid_model, "not a cxr model file (no CXRM signature); pick a .cxrm model");
  if (size > kMaxModelBytes) return bad_model("file is larger than 512 MiB");
  Reader r{data, size, 4};
  uint32_t version, meta_len, tensor_count;
  r.u32(&version);
  if (version < kOldestModelFormatVersion || version > kModelFormatVersion)
    return Fail(cxr_status_unsupported_model_version,
                "model file format version %u, but this cxr reads versions %u to %u; %s", version,
                kOldestModelFormatVersion, kModelFormatVersion,
                version > kModelFormatVersion ? "update cxr to use this model"
                                              : "re-export the model with the current trainer");
  uint32_t stored_crc = 0;
  Reader{data, size, size - kModelTrailerBytes}.u32(&stored_crc);
  const uint32_t actual_crc = crc32(data, size - kModelTrailerBytes);
  if (stored_crc != actual_crc) return bad_model("checksum mismatch (the file is truncated or damaged)");
  r.u32(&meta_len);
  r.u32(&tensor_count);
  if (tensor_count > kMaxTensors) return bad_model("too many tensors");
  std::string meta_text;
  if (!r.bytes(meta_len, &meta_text)) return bad_model("metadata runs past the end of the file");

  model->checksum = actual_crc;
  CXR_TRY(parse_tensors(r, version, tensor_count, size - kModelTrailerBytes, model));

  CXR_TRY(json::parse(meta_text, &model->metadata));
  if (!model->metadata.is_object()) return bad_model("metadata is not a JSON object");
  model->metadata_json = std::move(meta_text);
  CXR_TRY(parse_info(model->metadata, &model->info));

  const json::Value* layers = model->metadata.find("layers");
  if (!layers || !layers->is_array() || layers->array.empty()) return bad_model("metadata.layers is missing or empty");
  for (size_t i = 0; i < layers->array.size(); ++i) {
    LayerDesc l;
    CXR_TRY(parse_layer(layers->array[i], i, &l));
    for (TensorView* view : {&l.weight, &l.bias}) {
      const ModelTensor* t = model->find_tensor(l.name + (view == &l.weight ? ".weight" : ".bias"));
      if (t) *view = TensorView{t->data, t->dims};
    }
    model->layers.push_back(std::move(l));
  }
  return Ok();
}

}  // namespace cxr
