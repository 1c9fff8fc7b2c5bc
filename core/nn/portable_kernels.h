// The SIMD kernels of the portable backend, written once over Google Highway
// (portable_kernels.cpp) and compiled for every target Highway offers here:
// natively SSE4/AVX2/AVX-512 behind dynamic dispatch, in wasm SIMD128 only
// (HWY_COMPILE_ONLY_STATIC). This header is target-independent: the backend
// picks one target's table at prepare and uses only it, so packing and running
// always agree on the vector width.
//
// Memory contract: kernels read and write only the elements they are given (no
// reliance on the arena's slack) and never allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/layers.h"

namespace cxr::portable {

// A fused activation as the range outputs are clamped to.
using Clamp = ActivationRange;

// C = clamp(A * B + bias). A is rows x depth (row stride a_stride), B is
// depth x cols packed in panels of `panel_width` columns (see
// Kernels::panel_width): panel p starts at float p*panel_width*depth and
// holds, for every k, the floats B[k][p*panel_width ...] contiguously,
// zero-padded past `cols` — except a last panel of at most panel_width/2
// columns, which is packed panel_width/2 wide (half the work for e.g. 24
// columns in 16-wide panels). Only the first `cols` columns of each C row
// are written.
struct GemmArgs {
  size_t rows = 0, depth = 0, cols = 0;
  const float* a = nullptr;
  size_t a_stride = 0;
  const float* packed_b = nullptr;
  const float* bias = nullptr;  // panels * panel_width floats, zero-padded
  float* c = nullptr;
  size_t c_stride = 0;
  Clamp clamp{};
};

// Where an indirect GEMM (XNNPACK's IGEMM: a convolution without copying its
// im2col matrix) reads A: row r is the concatenation over `taps` of `channels`
// floats at input + offsets[r * taps + t], or at `zeros` where that offset is
// kPaddedTap. The GEMM's depth is taps * channels.
struct IndirectA {
  size_t taps = 0, channels = 0;
  const float* input = nullptr;
  const float* zeros = nullptr;  // `channels` zeros
  const uint32_t* offsets = nullptr;
};
constexpr uint32_t kPaddedTap = UINT32_MAX;

// A window op over NHWC (batch 1) data with `channels` channels in and out.
struct WindowArgs {
  uint32_t in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
  uint32_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_top = 0, pad_left = 0;
  const float* input = nullptr;
  float* output = nullptr;
};

// The transforms of a Winograd F(4x4, 3x3) conv (nn/winograd.h) over NHWC
// (batch 1) data, stride 1. Output tiles are numbered row-major over
// ceil(out_h/4) x ceil(out_w/4); a batch of `tiles` of them starting at
// `first_tile` is transformed into / out of the 36 GEMM matrices, position p
// at [p][tile][channel] (row stride in_c for V, out_c for M).
struct WinogradArgs {
  uint32_t in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0, pad_top = 0, pad_left = 0;
  const float* input = nullptr;
  const float* zeros = nullptr;  // in_c zeros: what taps in the padding read
  float* output = nullptr;
};

// One target's kernels.
struct Kernels {
  const char* target;  // Highway's name for it, e.g. "AVX2", "WASM"
  size_t panel_width;  // GEMM B panel columns
  void (*gemm)(const GemmArgs& args);
  // Kernels::gemm with A read through `a` (args.a and a_stride unused).
  void (*indirect_gemm)(const GemmArgs& args, const IndirectA& a);
  // Depthwise (multiplier 1) conv; weights [kernel_h*kernel_w][channels],
  // bias [channels].
  void (*depthwise_conv)(const WindowArgs& args, const float* weights, const float* bias, Clamp clamp);
  void (*max_pool)(const WindowArgs& args);
  // Divides by the count of valid (non-padded) elements, like XNNPACK.
  void (*avg_pool)(const WindowArgs& args);
  void (*global_avg_pool)(size_t pixels, size_t channels, const float* input, float* output);
  void (*add)(size_t count, const float* a, const float* b, float* output, Clamp clamp);
  // V = B^T d B for each tile's 6x6 input patch (zeros outside the input).
  void (*winograd_input)(const WinogradArgs& args, size_t first_tile, size_t tiles, float* v);
  // Y = A^T M A + bias, clamped; writes only outputs inside out_h x out_w.
  void (*winograd_output)(const WinogradArgs& args, size_t first_tile, size_t tiles, const float* m, const float* bias,
                          Clamp clamp);
};

// The best target this CPU supports (in wasm: the one compiled, SIMD128):
// Highway's choice, except AVX2 over AVX-512 on AMD Zen 3/4 (see the .cpp).
const Kernels& best_kernels();

// Every compiled target this CPU can run, best first; for tests that check
// each target natively. Not thread-safe: it briefly changes Highway's global
// target choice (and restores it).
std::vector<const Kernels*> all_supported_kernels();

}  // namespace cxr::portable
