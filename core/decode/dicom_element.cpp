// Element headers, value readers and the shared refusals (dicom_element.h).
#include "decode/dicom_element.h"

#include <string>

namespace cxr::dicom {

bool known_vr(uint8_t a, uint8_t b) {
  static const char kVrs[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
  for (size_t i = 0; i + 1 < sizeof kVrs; i += 2)
    if (kVrs[i] == a && kVrs[i + 1] == b) return true;
  return false;
}

namespace {

// VRs whose explicit header has 2 reserved bytes and a 32-bit length.
bool long_vr(uint8_t a, uint8_t b) {
  static const char kLong[] = "OBODOFOLOVOWSQSVUCUNURUTUV";
  for (size_t i = 0; i + 1 < sizeof kLong; i += 2)
    if (kLong[i] == a && kLong[i + 1] == b) return true;
  return false;
}

}  // namespace

bool read_header(const uint8_t* d, size_t size, size_t pos, bool implicit, Header* h) {
  if (pos > size || size - pos < 8) return false;
  *h = Header{};
  const uint32_t group = le16(d + pos);
  h->tag = tag(group, le16(d + pos + 2));
  if (group == 0xFFFE) {
    h->length = le32(d + pos + 4);
    h->value = pos + 8;
    return true;
  }
  const uint8_t a = d[pos + 4], b = d[pos + 5];
  if ((!implicit || group == 0x0002) && is_upper(a) && is_upper(b) && known_vr(a, b)) {
    h->vr[0] = char(a);
    h->vr[1] = char(b);
    if (long_vr(a, b)) {
      if (size - pos < 12) return false;
      h->length = le32(d + pos + 8);
      h->value = pos + 12;
    } else {
      h->length = le16(d + pos + 6);
      h->value = pos + 8;
    }
    return true;
  }
  h->length = le32(d + pos + 4);
  h->value = pos + 8;
  return true;
}

Status corrupt(const char* what) {
  return Fail(cxr_status_corrupt_input, "corrupt DICOM: %s; re-export or copy it again", what);
}

Status truncated_file() {
  return Fail(cxr_status_corrupt_input,
              "truncated DICOM (the file ends inside its header); re-export or copy it again");
}

Status truncated_pixels() {
  return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (the file ends before the image does); "
                                        "re-export or copy it again");
}

// ------------------------------------------------------------ value readers

bool read_u16(View v, uint32_t* out) {
  if (!v.present() || v.size < 2) return false;
  *out = le16(v.data);
  return true;
}

namespace {
// The first value of a multi-valued string, without padding.
View first_string_value(View v) {
  size_t b = 0, e = 0;
  while (e < v.size && v.data[e] != '\\') ++e;
  while (b < e && (v.data[b] == ' ' || v.data[b] == '\0')) ++b;
  while (e > b && (v.data[e - 1] == ' ' || v.data[e - 1] == '\0')) --e;
  return View{v.data + b, e - b};
}
}  // namespace

// Locale-independent: [+-]digits[.digits][(e|E)[+-]digits].
bool read_ds(View v, double* out) {
  if (!v.present()) return false;
  const View s = first_string_value(v);
  if (s.size == 0 || s.size > 64) return false;
  size_t i = 0;
  bool negative = false;
  if (s.data[i] == '+' || s.data[i] == '-') negative = s.data[i++] == '-';
  double mantissa = 0;
  int digits = 0, scale = 0;
  for (; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++digits)
    mantissa = mantissa * 10 + (s.data[i] - '0');
  if (i < s.size && s.data[i] == '.') {
    for (++i; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++digits, --scale)
      mantissa = mantissa * 10 + (s.data[i] - '0');
  }
  if (digits == 0) return false;
  if (i < s.size && (s.data[i] == 'e' || s.data[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < s.size && (s.data[i] == '+' || s.data[i] == '-')) negative_exponent = s.data[i++] == '-';
    int exponent = 0, exponent_digits = 0;
    for (; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++exponent_digits)
      exponent = exponent < 1000 ? exponent * 10 + (s.data[i] - '0') : exponent;
    if (exponent_digits == 0) return false;
    scale += negative_exponent ? -exponent : exponent;
  }
  if (i != s.size) return false;
  // One multiplication or division by an exact power of ten (up to 1e22) is
  // correctly rounded for the usual DS values; beyond that, repeated scaling.
  static const double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double value = mantissa;
  for (; scale > 22; scale -= 22) value *= kPowers[22];
  for (; scale < -22; scale += 22) value /= kPowers[22];
  value = scale >= 0 ? value * kPowers[scale] : value / kPowers[-scale];
  if (!(value == value) || value > 1e300 || value < -1e300) return false;
  *out = negative ? -value : value;
  return true;
}

bool read_is(View v, uint64_t* out) {
  if (!v.present()) return false;
  const View s = first_string_value(v);
  size_t i = 0;
  if (i < s.size && s.data[i] == '+') ++i;
  if (i == s.size) return false;
  uint64_t value = 0;
  for (; i < s.size; ++i) {
    if (s.data[i] < '0' || s.data[i] > '9') return false;
    value = value * 10 + uint64_t(s.data[i] - '0');
    if (value > (uint64_t(1) << 32)) value = uint64_t(1) << 32;
  }
  *out = value;
  return true;
}

std::string read_code(View v) {
  std::string code;
  if (!v.present()) return code;
  const View s = first_string_value(v);
  for (size_t i = 0; i < s.size && code.size() < 64; ++i) {
    uint8_t c = s.data[i];
    if (c >= 'a' && c <= 'z') c = uint8_t(c - 32);
    code.push_back(c >= 0x20 && c < 0x7F ? char(c) : '?');
  }
  return code;
}

}  // namespace cxr::dicom
