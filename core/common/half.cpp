#include "common/half.h"

#include <cmath>
#include <cstring>

namespace cxr {

uint16_t float_to_half(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  const uint32_t sign = (x >> 16) & 0x8000u, mantissa = x & 0x7FFFFFu;
  const int exponent = int((x >> 23) & 0xFF) - 127 + 15;
  if (((x >> 23) & 0xFF) == 0xFF) return uint16_t(sign | 0x7C00u | (mantissa ? 0x200u : 0));  // inf, NaN
  if (exponent >= 31) return uint16_t(sign | 0x7C00u);                                        // overflow
  if (exponent <= 0) {                                                                        // subnormal or zero
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

}  // namespace cxr
