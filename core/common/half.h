// IEEE 754 binary16 conversions (round to nearest even; overflow to infinity):
// how the model file stores f16 weights.
#pragma once
#include <cstdint>

namespace cxr {

uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);

}  // namespace cxr
