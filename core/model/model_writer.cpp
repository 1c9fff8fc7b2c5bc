// The model file's writer (the trainer's and the tests'): the same layout the
// reader checks, version 2 by default.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/model_encoding.h"
#include "model/model_file.h"

namespace cxr {

namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_u32(out, uint32_t(v));
  put_u32(out, uint32_t(v >> 32));
}

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
  size_t offset = (out.size() + table_bytes + kModelDataAlign - 1) / kModelDataAlign * kModelDataAlign;
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
    offset = (offset + bytes + kModelDataAlign - 1) / kModelDataAlign * kModelDataAlign;
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    out.resize(offsets[i], 0);
    append_data(tensors[i], encoded[i], version >= 2, out);
  }
  put_u32(out, crc32(out.data(), out.size()));
  return out;
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
