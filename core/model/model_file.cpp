#include "model/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cxr {

// Slicing-by-8 (Intel, 2006): eight table lookups per 8 bytes instead of one
// per byte, which matters when a browser verifies a model on its first run
// through not-yet-optimised wasm code.
uint32_t crc32(const uint8_t* data, size_t size) {
  struct Tables {
    uint32_t t[8][256];
    Tables() {
      for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
      }
      for (uint32_t i = 0; i < 256; ++i)
        for (int k = 1; k < 8; ++k) t[k][i] = t[0][t[k - 1][i] & 0xFF] ^ (t[k - 1][i] >> 8);
    }
  };
  static const Tables tables;
  const auto& t = tables.t;
  uint32_t crc = 0xFFFFFFFFu;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const uint32_t lo = crc ^ (uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 | uint32_t(data[i + 2]) << 16 |
                               uint32_t(data[i + 3]) << 24);
    crc = t[7][lo & 0xFF] ^ t[6][lo >> 8 & 0xFF] ^ t[5][lo >> 16 & 0xFF] ^ t[4][lo >> 24] ^ t[3][data[i + 4]] ^
          t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
  }
  for (; i < size; ++i) crc = t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint16_t float_to_half(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  const uint32_t sign = (x >> 16) & 0x8000u, mantissa = x & 0x7FFFFFu;
  const int exponent = int((x >> 23) & 0xFF) - 127 + 15;
  if (((x >> 23) & 0xFF) == 0xFF) return uint16_t(sign | 0x7C00u | (mantissa ? 0x200u : 0));  // inf, NaN
  if (exponent >= 31) return uint16_t(sign | 0x7C00u);                                      // overflow
  if (exponent <= 0) {                                                                     // subnormal or zero
    if (exponent < -10) return uint16_t(sign);
    const uint32_t m = mantissa | 0x800000u, shift = uint32_t(14 - exponent);
    uint32_t half = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1), middle = 1u << (shift - 1);
    if (rest > middle || (rest == middle && (half & 1))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = sign | uint32_t(exponent) << 10 | mantissa >> 13;
  const uint32_t rest = mantissa & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half;  // a carry rounds up into the exponent
  return uint16_t(half);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0) {
    const float magnitude = std::ldexp(float(mantissa), -24);
    std::memcpy(&bits, &magnitude, 4);
    bits |= sign;
  } else if (exponent == 31) {
    bits = sign | 0x7F800000u | mantissa << 13;
  } else {
    bits = sign | (exponent + 112) << 23 | mantissa << 13;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

const ModelTensor* Model::find_tensor(const std::string& name) const {
  for (const ModelTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {

constexpr size_t kHeaderBytes = 16, kTrailerBytes = 4, kDataAlign = 64;
constexpr uint32_t kMaxTensors = 4096, kMaxRank = 4, kMaxNameBytes = 256;

// Bounds-checked little-endian reader over the file.
struct Reader {
  const uint8_t* data;
  size_t size, pos;
  bool u32(uint32_t* v) {
    if (size - pos < 4) return false;
    *v = uint32_t(data[pos]) | uint32_t(data[pos + 1]) << 8 | uint32_t(data[pos + 2]) << 16 | uint32_t(data[pos + 3]) << 24;
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

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_u32(out, uint32_t(v));
  put_u32(out, uint32_t(v >> 32));
}

Status bad(const std::string& why) {
  return Fail(cxr_status_invalid_model, "invalid model file: %s; re-download or re-export the model",
              why.c_str());
}

// Metadata accessors: each refuses a missing or ill-typed field by name.
struct Fields {
  const json::Value& object;
  const char* where;
  Status number(const char* key, double lo, double hi, double* out, bool optional = false) const {
    const json::Value* v = object.find(key);
    if (!v && optional) return Ok();
    if (!v || !v->is_number() || !(v->number >= lo && v->number <= hi))
      return bad(std::string(where) + "." + key + " is missing or out of range");
    *out = v->number;
    return Ok();
  }
  Status u32(const char* key, uint32_t lo, uint32_t hi, uint32_t* out) const {
    double d;
    Status s = number(key, lo, hi, &d);
    if (s.ok() && d != std::floor(d)) return bad(std::string(where) + "." + key + " is not an integer");
    if (s.ok()) *out = uint32_t(d);
    return s;
  }
  Status string(const char* key, std::string* out, bool optional = false) const {
    const json::Value* v = object.find(key);
    if (!v && optional) return Ok();
    if (!v || !v->is_string()) return bad(std::string(where) + "." + key + " is missing or not a string");
    *out = v->string;
    return Ok();
  }
  Status pair(const char* key, uint32_t* a, uint32_t* b, uint32_t deflt) const {
    const json::Value* v = object.find(key);
    if (!v) return *a = *b = deflt, Ok();
    if (!v->is_array() || v->array.size() != 2) return bad(std::string(where) + "." + key + " must be [a, b]");
    for (int i = 0; i < 2; ++i) {
      const json::Value& x = v->array[i];
      if (!x.is_number() || x.number < 0 || x.number > 4096 || x.number != std::floor(x.number))
        return bad(std::string(where) + "." + key + " has a bad value");
      (i ? *b : *a) = uint32_t(x.number);
    }
    return Ok();
  }
};

template <typename Enum, size_t N>
Status parse_enum(const Fields& f, const char* key, const char* const (&names)[N], Enum deflt, Enum* out,
                  bool optional = true) {
  std::string name;
  CXR_TRY(f.string(key, &name, optional));
  if (name.empty()) return *out = deflt, Ok();
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) return *out = Enum(i), Ok();
  return bad(std::string(f.where) + "." + key + " has unknown value '" + name + "'");
}

const char* const kLayerTypes[] = {"conv2d", "max_pool", "avg_pool", "global_avg_pool", "dense", "add", "softmax"};
const char* const kActivations[] = {"none", "relu", "relu6"};
const char* const kResizePolicies[] = {"stretch", "letterbox", "center_crop"};
const char* const kNormalizations[] = {"unit", "fixed", "per_image"};

Status parse_layer(const json::Value& v, size_t index, LayerDesc* l) {
  if (!v.is_object()) return bad("layer " + std::to_string(index) + " is not an object");
  const std::string where = "layers[" + std::to_string(index) + "]";
  Fields f{v, where.c_str()};
  CXR_TRY(f.string("name", &l->name));
  CXR_TRY(parse_enum(f, "type", kLayerTypes, LayerType::conv2d, &l->type, /*optional=*/false));
  CXR_TRY(parse_enum(f, "activation", kActivations, Activation::none, &l->activation));
  if (const json::Value* in = v.find("inputs")) {
    if (!in->is_array()) return bad(where + ".inputs must be a list of layer names");
    for (const json::Value& name : in->array) {
      if (!name.is_string()) return bad(where + ".inputs must be a list of layer names");
      l->inputs.push_back(name.string);
    }
  }
  CXR_TRY(f.pair("kernel", &l->kernel_h, &l->kernel_w, 1));
  CXR_TRY(f.pair("stride", &l->stride_h, &l->stride_w, 1));
  if (const json::Value* pad = v.find("padding")) {
    uint32_t p[4];
    if (!pad->is_array() || pad->array.size() != 4) return bad(where + ".padding must be [top, left, bottom, right]");
    for (int i = 0; i < 4; ++i) {
      const json::Value& x = pad->array[i];
      if (!x.is_number() || x.number < 0 || x.number > 64 || x.number != std::floor(x.number))
        return bad(where + ".padding has a bad value");
      p[i] = uint32_t(x.number);
    }
    l->pad_top = p[0], l->pad_left = p[1], l->pad_bottom = p[2], l->pad_right = p[3];
  }
  if (v.find("groups")) CXR_TRY(f.u32("groups", 1, 1u << 16, &l->groups));
  if (l->type == LayerType::conv2d || l->type == LayerType::dense)
    CXR_TRY(f.u32(l->type == LayerType::conv2d ? "filters" : "units", 1, 1u << 16, &l->out_channels));
  return Ok();
}

Status parse_info(const json::Value& meta, ModelInfo* info) {
  Fields top{meta, "metadata"};
  CXR_TRY(top.string("name", &info->name));
  CXR_TRY(top.string("version", &info->version));
  const json::Value* input = meta.find("input");
  if (!input || !input->is_object()) return bad("metadata.input is missing");
  Fields in{*input, "input"};
  CXR_TRY(in.u32("height", 1, 4096, &info->input.h));
  CXR_TRY(in.u32("width", 1, 4096, &info->input.w));
  CXR_TRY(in.u32("channels", 1, 4, &info->input.c));

  const json::Value* pre = meta.find("preprocess");
  if (!pre || !pre->is_object()) return bad("metadata.preprocess is missing");
  Fields p{*pre, "preprocess"};
  PreprocessSpec& spec = info->preprocess;
  CXR_TRY(p.u32("width", 1, 4096, &spec.width));
  CXR_TRY(p.u32("height", 1, 4096, &spec.height));
  CXR_TRY(p.u32("channels", 1, 4, &spec.channels));
  CXR_TRY(parse_enum(p, "resize", kResizePolicies, ResizePolicy::stretch, &spec.resize));
  CXR_TRY(parse_enum(p, "normalize", kNormalizations, Normalization::unit, &spec.normalize));
  if (const json::Value* eq = pre->find("equalize")) {
    if (eq->type != json::Value::Type::boolean) return bad("preprocess.equalize must be true or false");
    spec.equalize = eq->boolean;
  }
  double mean = 0, std = 1;
  CXR_TRY(p.number("mean", -1e6, 1e6, &mean, true));
  CXR_TRY(p.number("std", 1e-12, 1e6, &std, true));
  spec.mean = float(mean), spec.std = float(std);
  if (const json::Value* pre_scale = pre->find("prescale")) {  // preprocess.h: the train-serve match
    const json::Value* w = pre_scale->is_object() ? pre_scale->find("width") : nullptr;
    const json::Value* h = pre_scale->is_object() ? pre_scale->find("height") : nullptr;
    const json::Value* filter = pre_scale->is_object() ? pre_scale->find("filter") : nullptr;
    if (!w || !h || !w->is_number() || !h->is_number() || !(w->number >= 1 && w->number <= 4096) ||
        !(h->number >= 1 && h->number <= 4096) || w->number != std::floor(w->number) || h->number != std::floor(h->number))
      return bad("preprocess.prescale must be {width, height, filter} with sides in 1..4096");
    if (!filter || !filter->is_string() || filter->string != "triangle")
      return bad("preprocess.prescale.filter is unknown (this core knows \"triangle\")");
    spec.prescale_width = uint32_t(w->number), spec.prescale_height = uint32_t(h->number);
  }
  CXR_TRY(validate_spec(spec));
  if (spec.width != info->input.w || spec.height != info->input.h || spec.channels != info->input.c)
    return bad("preprocess output size does not match the network input");

  const json::Value* classes = meta.find("classes");
  if (!classes || !classes->is_array() || classes->array.size() < 2 || classes->array.size() > CXR_MAX_CLASSES)
    return bad("metadata.classes must list 2 to " + std::to_string(CXR_MAX_CLASSES) + " class names");
  for (const json::Value& c : classes->array) {
    if (!c.is_string() || c.string.empty() || c.string.size() > 64) return bad("a class name is empty or not a string");
    info->classes.push_back(c.string);
  }
  CXR_TRY(top.u32("positive_class", 0, uint32_t(info->classes.size() - 1), &info->positive_class));
  double temperature = 1;
  CXR_TRY(top.number("temperature", 1e-3, 1e3, &temperature));
  info->temperature = float(temperature);
  const json::Value* threshold = meta.find("threshold");
  if (!threshold || !threshold->is_object()) return bad("metadata.threshold is missing");
  Fields t{*threshold, "threshold"};
  double prob = 0.5, sens = -1, spec_ = -1;
  CXR_TRY(t.number("probability", 0, 1, &prob));
  CXR_TRY(t.number("validation_sensitivity", 0, 1, &sens, true));
  CXR_TRY(t.number("validation_specificity", 0, 1, &spec_, true));
  double low = prob, high = prob;  // no band unless the model has one
  CXR_TRY(t.number("uncertain_low", 0, prob, &low, true));
  CXR_TRY(t.number("uncertain_high", prob, 1, &high, true));
  info->threshold = float(prob);
  info->validation_sensitivity = float(sens), info->validation_specificity = float(spec_);
  info->uncertain_low = float(low), info->uncertain_high = float(high);
  return Ok();
}

// How a tensor's dtype stores it: bytes per element, whether only the upper
// triangle of a square matrix is stored, and whether a scale precedes it.
struct Encoding {
  uint32_t element_bytes;
  bool triangle, scaled;
};
Encoding encoding_of(uint32_t dtype) {
  return {dtype == kModelDTypeF16 || dtype == kModelDTypeF16Symmetric ? 2u : 4u,
          dtype == kModelDTypeF32Symmetric || dtype == kModelDTypeF16Symmetric, dtype == kModelDTypeF16Symmetric};
}

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
      return bad("tensor record " + std::to_string(i) + " is cut short or has a bad name");
    if (dtype < kModelDTypeF32 || dtype > kModelDTypeF16Symmetric)
      return bad("tensor '" + t.name + "' has type " + std::to_string(dtype) + ", which this version of cxr cannot read");
    if (dtype > kModelDTypeF16 && version < 2)
      return bad("tensor '" + t.name + "' has type " + std::to_string(dtype) + ", which a version 1 file cannot hold");
    if (rank == 0 || rank > kMaxRank) return bad("tensor '" + t.name + "' has rank " + std::to_string(rank));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint32_t dim;
      if (!r.u32(&dim) || dim == 0) return bad("tensor '" + t.name + "' has a bad dimension");
      t.dims.push_back(dim);
      elements *= dim;
      if (elements > kMaxModelBytes) return bad("tensor '" + t.name + "' is too large");
    }
    const Encoding e = encoding_of(dtype);
    if (e.triangle && (rank != 2 || t.dims[0] != t.dims[1]))
      return bad("tensor '" + t.name + "' is stored as a symmetric matrix but is not square");
    const uint64_t stored = e.triangle ? uint64_t(t.dims[0]) * (t.dims[0] + 1) / 2 : elements;
    if (!r.u64(&offset) || !r.u64(&length)) return bad("tensor record '" + t.name + "' is cut short");
    if (length != (e.scaled ? 4 : 0) + stored * e.element_bytes || offset % kDataAlign || offset < previous_end ||
        offset > data_end || length > data_end - offset)
      return bad("tensor '" + t.name + "' lies outside the data area or has the wrong size");
    if (model->find_tensor(t.name)) return bad("tensor '" + t.name + "' appears twice");
    if (i == 0) first_offset = offset;
    previous_end = offset + length;
    t.count = size_t(elements);
    t.f16 = e.element_bytes == 2;
    total += elements;
    placed.push_back({e, offset, stored});
    model->tensors.push_back(std::move(t));
  }
  if (!model->tensors.empty() && first_offset < r.pos) return bad("tensor data overlaps the tensor table");
  if (total > kMaxModelBytes / sizeof(float)) return bad("the tensors are too large");
  model->values.resize(size_t(total));
  float* next = model->values.data();
  for (size_t i = 0; i < placed.size(); ++i) {
    ModelTensor& t = model->tensors[i];
    const Placed& p = placed[i];
    const uint8_t* bytes = r.data + p.offset;
    float scale = 1;
    if (p.encoding.scaled) {
      decode_elements(bytes, 4, 1, false, 1, &scale);
      if (!(scale > 0 && std::isfinite(scale))) return bad("tensor '" + t.name + "' has a bad scale");
      bytes += 4;
    }
    decode_elements(bytes, p.encoding.element_bytes, p.stored, version >= 2, scale, next);
    if (p.encoding.triangle) expand_triangle(next, t.dims[0]);
    for (size_t k = 0; k < t.count; ++k)
      if (!std::isfinite(next[k])) return bad("tensor '" + t.name + "' holds NaN or infinity");
    t.data = next;
    next += t.count;
  }
  return Ok();
}

}  // namespace

Status read_model(const uint8_t* data, size_t size, Model* model) {
  *model = Model{};
  if (data == nullptr) return Fail(cxr_status_invalid_argument, "no model bytes given");
  if (size < kHeaderBytes + kTrailerBytes) {
    if (size >= 4 && std::memcmp(data, "CXRM", 4) != 0)
      return Fail(cxr_status_invalid_model, "not a cxr model file (no CXRM signature); pick a .cxrm model");
    return bad("file is too short (" + std::to_string(size) + " bytes)");
  }
  if (std::memcmp(data, "CXRM", 4) != 0)
    return Fail(cxr_status_invalid_model, "not a cxr model file (no CXRM signature); pick a .cxrm model");
  if (size > kMaxModelBytes) return bad("file is larger than 512 MiB");
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
  Reader{data, size, size - kTrailerBytes}.u32(&stored_crc);
  const uint32_t actual_crc = crc32(data, size - kTrailerBytes);
  if (stored_crc != actual_crc)
    return bad("checksum mismatch (the file is truncated or damaged)");
  r.u32(&meta_len);
  r.u32(&tensor_count);
  if (tensor_count > kMaxTensors) return bad("too many tensors");
  std::string meta_text;
  if (!r.bytes(meta_len, &meta_text)) return bad("metadata runs past the end of the file");

  model->checksum = actual_crc;
  CXR_TRY(parse_tensors(r, version, tensor_count, size - kTrailerBytes, model));

  CXR_TRY(json::parse(meta_text, &model->metadata));
  if (!model->metadata.is_object()) return bad("metadata is not a JSON object");
  model->metadata_json = std::move(meta_text);
  CXR_TRY(parse_info(model->metadata, &model->info));

  const json::Value* layers = model->metadata.find("layers");
  if (!layers || !layers->is_array() || layers->array.empty()) return bad("metadata.layers is missing or empty");
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

namespace {

// Exactly symmetric (bit for bit) and square: stored as its upper triangle.
bool is_symmetric(const TensorRecord& t) {
  if (t.dims.size() != 2 || t.dims[0] != t.dims[1] || t.dims[0] < 2) return false;
  const size_t n = t.dims[0];
  for (size_t row = 0; row < n; ++row)
    for (size_t col = row + 1; col < n; ++col)
      if (std::memcmp(&t.values[row * n + col], &t.values[col * n + row], 4) != 0) return false;
  return true;
}

// A tensor as the file stores it: dtype, stored element count, the scale (f16 matrices).
struct Encoded {
  uint32_t dtype;
  Encoding encoding;
  size_t stored;
  float scale = 1;
};

Encoded encode(const TensorRecord& t, uint32_t version) {
  const bool triangle = version >= 2 && is_symmetric(t);
  Encoded e;
  e.dtype = triangle ? (t.f16 ? kModelDTypeF16Symmetric : kModelDTypeF32Symmetric)
                     : (t.f16 ? kModelDTypeF16 : kModelDTypeF32);
  e.encoding = encoding_of(e.dtype);
  e.stored = triangle ? size_t(t.dims[0]) * (t.dims[0] + 1) / 2 : t.values.size();
  if (e.encoding.scaled) {  // a power of two that brings the largest entry to [2^14, 2^15]: exact to apply
    float largest = 0;
    for (float v : t.values) largest = std::max(largest, std::fabs(v));
    int exponent = 0;
    std::frexp(largest, &exponent);
    e.scale = largest > 0 ? std::ldexp(1.0f, exponent - 15) : 1.0f;
  }
  return e;
}

// The tensor's data as stored: the scale, then the elements (the upper
// triangle of a symmetric matrix) as f32 bits or halves, byte-planar in
// version 2. Written straight into `out`: no copy of a large tensor.
void append_data(const TensorRecord& t, const Encoded& e, bool planar, std::vector<uint8_t>& out) {
  if (e.encoding.scaled) {
    uint32_t scale;
    std::memcpy(&scale, &e.scale, 4);
    put_u32(out, scale);
  }
  auto bits = [&](float f) {
    uint32_t b;
    f /= e.scale;
    std::memcpy(&b, &f, 4);
    return t.f16 ? uint32_t(float_to_half(f)) : b;
  };
  auto each = [&](auto&& emit) {  // the stored elements in file order
    if (!e.encoding.triangle) {
      for (float f : t.values) emit(bits(f));
      return;
    }
    const size_t n = t.dims[0];
    for (size_t row = 0; row < n; ++row)
      for (size_t col = row; col < n; ++col) emit(bits(t.values[row * n + col]));
  };
  const uint32_t element_bytes = e.encoding.element_bytes;
  if (planar) {  // the most significant bytes first
    for (uint32_t b = element_bytes; b-- > 0;) each([&](uint32_t v) { out.push_back(uint8_t(v >> (8 * b))); });
  } else {
    each([&](uint32_t v) {
      for (uint32_t b = 0; b < element_bytes; ++b) out.push_back(uint8_t(v >> (8 * b)));
    });
  }
}

}  // namespace

std::vector<uint8_t> write_model(const json::Value& metadata, const std::vector<TensorRecord>& tensors,
                                 uint32_t version) {
  const std::string meta = json::serialize(metadata);
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), "CXRM", 4);
  put_u32(out, version);
  put_u32(out, uint32_t(meta.size()));
  put_u32(out, uint32_t(tensors.size()));
  out.insert(out.end(), meta.begin(), meta.end());
  size_t table_bytes = 0;
  for (const TensorRecord& t : tensors) table_bytes += 4 + t.name.size() + 8 + 4 * t.dims.size() + 16;
  size_t offset = (out.size() + table_bytes + kDataAlign - 1) / kDataAlign * kDataAlign;
  std::vector<size_t> offsets;
  std::vector<Encoded> encoded;
  for (const TensorRecord& t : tensors) {
    encoded.push_back(encode(t, version));
    const Encoded& e = encoded.back();
    put_u32(out, uint32_t(t.name.size()));
    out.insert(out.end(), t.name.begin(), t.name.end());
    put_u32(out, e.dtype);
    put_u32(out, uint32_t(t.dims.size()));
    for (uint32_t d : t.dims) put_u32(out, d);
    put_u64(out, offset);
    const size_t bytes = (e.encoding.scaled ? 4 : 0) + e.stored * e.encoding.element_bytes;
    put_u64(out, bytes);
    offsets.push_back(offset);
    offset = (offset + bytes + kDataAlign - 1) / kDataAlign * kDataAlign;
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    out.resize(offsets[i], 0);
    append_data(tensors[i], encoded[i], version >= 2, out);
  }
  put_u32(out, crc32(out.data(), out.size()));
  return out;
}

json::Value layers_to_json(const std::vector<LayerDesc>& layers) {
  json::Value list = json::Value::make_array();
  auto pair = [](uint32_t a, uint32_t b) {
    json::Value v = json::Value::make_array();
    v.push(json::Value::of(a));
    v.push(json::Value::of(b));
    return v;
  };
  for (const LayerDesc& l : layers) {
    json::Value o = json::Value::make_object();
    o.set("name", json::Value::of(l.name));
    o.set("type", json::Value::of(layer_type_name(l.type)));
    if (!l.inputs.empty()) {
      json::Value in = json::Value::make_array();
      for (const std::string& name : l.inputs) in.push(json::Value::of(name));
      o.set("inputs", std::move(in));
    }
    const bool windowed = l.type == LayerType::conv2d || l.type == LayerType::max_pool || l.type == LayerType::avg_pool;
    if (l.type == LayerType::conv2d) o.set("filters", json::Value::of(l.out_channels));
    if (l.type == LayerType::dense) o.set("units", json::Value::of(l.out_channels));
    if (windowed) {
      o.set("kernel", pair(l.kernel_h, l.kernel_w));
      o.set("stride", pair(l.stride_h, l.stride_w));
      json::Value pad = json::Value::make_array();
      for (uint32_t p : {l.pad_top, l.pad_left, l.pad_bottom, l.pad_right}) pad.push(json::Value::of(p));
      o.set("padding", std::move(pad));
    }
    if (l.type == LayerType::conv2d) o.set("groups", json::Value::of(l.groups));
    if (l.activation != Activation::none) o.set("activation", json::Value::of(activation_name(l.activation)));
    list.push(std::move(o));
  }
  return list;
}

json::Value preprocess_to_json(const PreprocessSpec& spec) {
  json::Value o = json::Value::make_object();
  o.set("width", json::Value::of(spec.width));
  o.set("height", json::Value::of(spec.height));
  o.set("channels", json::Value::of(spec.channels));
  o.set("resize", json::Value::of(kResizePolicies[int(spec.resize)]));
  o.set("equalize", json::Value::of_bool(spec.equalize));
  o.set("normalize", json::Value::of(kNormalizations[int(spec.normalize)]));
  o.set("mean", json::Value::of(spec.mean));
  o.set("std", json::Value::of(spec.std));
  if (spec.prescale_width) {
    json::Value pre_scale = json::Value::make_object();
    pre_scale.set("width", json::Value::of(spec.prescale_width));
    pre_scale.set("height", json::Value::of(spec.prescale_height));
    pre_scale.set("filter", json::Value::of("triangle"));
    o.set("prescale", std::move(pre_scale));
  }
  return o;
}

json::Value make_metadata(const ModelInfo& info, const std::vector<LayerDesc>& layers) {
  json::Value m = json::Value::make_object();
  m.set("name", json::Value::of(info.name));
  m.set("version", json::Value::of(info.version));
  json::Value input = json::Value::make_object();
  input.set("height", json::Value::of(info.input.h));
  input.set("width", json::Value::of(info.input.w));
  input.set("channels", json::Value::of(info.input.c));
  m.set("input", std::move(input));
  m.set("preprocess", preprocess_to_json(info.preprocess));
  json::Value classes = json::Value::make_array();
  for (const std::string& c : info.classes) classes.push(json::Value::of(c));
  m.set("classes", std::move(classes));
  m.set("positive_class", json::Value::of(info.positive_class));
  m.set("temperature", json::Value::of(info.temperature));
  json::Value threshold = json::Value::make_object();
  threshold.set("probability", json::Value::of(info.threshold));
  if (info.validation_sensitivity >= 0)
    threshold.set("validation_sensitivity", json::Value::of(info.validation_sensitivity));
  if (info.validation_specificity >= 0)
    threshold.set("validation_specificity", json::Value::of(info.validation_specificity));
  if (info.uncertain_low < info.uncertain_high) {
    threshold.set("uncertain_low", json::Value::of(info.uncertain_low));
    threshold.set("uncertain_high", json::Value::of(info.uncertain_high));
  }
  m.set("threshold", std::move(threshold));
  m.set("layers", layers_to_json(layers));
  return m;
}

std::vector<TensorRecord> layer_tensors(const std::vector<LayerDesc>& layers) {
  std::vector<TensorRecord> out;
  for (const LayerDesc& l : layers)
    for (const TensorView* view : {&l.weight, &l.bias}) {
      if (!view->data) continue;
      size_t n = 1;
      for (uint32_t d : view->dims) n *= d;
      out.push_back({l.name + (view == &l.weight ? ".weight" : ".bias"), view->dims,
                     std::vector<float>(view->data, view->data + n)});
    }
  return out;
}

}  // namespace cxr
