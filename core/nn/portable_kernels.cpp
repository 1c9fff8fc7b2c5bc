// Highway kernels of the portable backend (see portable_kernels.h). This file
// is compiled once per target by foreach_target.h; everything between
// HWY_BEFORE_NAMESPACE and HWY_AFTER_NAMESPACE exists once per target.
#include "nn/portable_kernels.h"

#include <algorithm>
#include <type_traits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "nn/portable_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace cxr::portable {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using D1 = hn::CappedTag<float, 1>;  // one lane, for remainders

template <class D>
HWY_INLINE hn::Vec<D> ApplyClamp(D d, hn::Vec<D> v, Clamp clamp) {
  return hn::Min(hn::Max(v, hn::Set(d, clamp.lo)), hn::Set(d, clamp.hi));
}

// Calls body(d, i) for i in [0, count): full vectors first, then the
// remainder one lane at a time with a 1-lane tag, so the same body serves
// both and nothing outside [0, count) is touched.
template <class Body>
HWY_INLINE void ForEachVector(size_t count, const Body& body) {
  const DF d;
  const D1 d1;
  size_t i = 0;
  for (; i + hn::Lanes(d) <= count; i += hn::Lanes(d)) body(d, i);
  for (; i < count; ++i) body(d1, i);
}

// ---------------------------------------------------------------- GEMM

// Writes the first `cols` floats of a 2-vector row; a partial row goes through
// a stack buffer so nothing past `cols` is written.
template <class D>
HWY_INLINE void StoreRow(D d, hn::Vec<D> v0, hn::Vec<D> v1, size_t cols, float* HWY_RESTRICT c) {
  const size_t n = hn::Lanes(d);
  if (cols >= 2 * n) {
    hn::StoreU(v0, d, c);
    hn::StoreU(v1, d, c + n);
    return;
  }
  HWY_ALIGN float row[2 * HWY_LANES(float)];
  hn::Store(v0, d, row);
  hn::Store(v1, d, row + n);
  std::copy(row, row + cols, c);
}

// A kRows x (2 vectors) tile of C held in registers: 4 x 2 accumulators + 2 B
// vectors + 1 broadcast fit every target's register file (V8's 15 for wasm
// included, so nothing spills).
template <size_t kRows>
struct Tile {
  hn::Vec<DF> acc[kRows][2];

  HWY_INLINE explicit Tile(const float* HWY_RESTRICT bias) {
    const DF d;
    for (size_t r = 0; r < kRows; ++r) {
      acc[r][0] = hn::LoadU(d, bias);
      acc[r][1] = hn::LoadU(d, bias + hn::Lanes(d));
    }
  }

  // Adds A rows a[r][0, depth) times the next `depth` rows of a B panel, and
  // returns where the panel continues.
  HWY_INLINE const float* Accumulate(const float* const (&a)[kRows], const float* HWY_RESTRICT b, size_t depth) {
    const DF d;
    const size_t n = hn::Lanes(d);
    for (size_t k = 0; k < depth; ++k, b += 2 * n) {
      const auto b0 = hn::LoadU(d, b), b1 = hn::LoadU(d, b + n);
      for (size_t r = 0; r < kRows; ++r) {
        const auto x = hn::Set(d, a[r][k]);
        acc[r][0] = hn::MulAdd(x, b0, acc[r][0]);
        acc[r][1] = hn::MulAdd(x, b1, acc[r][1]);
      }
    }
    return b;
  }

  HWY_INLINE void Store(size_t cols, float* HWY_RESTRICT c, size_t c_stride, Clamp clamp) const {
    const DF d;
    for (size_t r = 0; r < kRows; ++r)
      StoreRow(d, ApplyClamp(d, acc[r][0], clamp), ApplyClamp(d, acc[r][1], clamp), cols, c + r * c_stride);
  }
};

// Runs tile(row, Tile<kRows>) over the rows in tiles of 4 and one remainder tile.
template <class TileBody>
HWY_INLINE void ForEachRowTile(size_t rows, const TileBody& tile) {
  size_t row = 0;
  for (; row + 4 <= rows; row += 4) tile(row, std::integral_constant<size_t, 4>());
  switch (rows - row) {
    case 3: return tile(row, std::integral_constant<size_t, 3>());
    case 2: return tile(row, std::integral_constant<size_t, 2>());
    case 1: return tile(row, std::integral_constant<size_t, 1>());
    default: return;
  }
}

// Calls tile(b, col, cols) for each B panel: panel-outer, so one panel
// (depth x 2 vectors) stays in cache while every row of A passes over it.
template <class PanelBody>
HWY_INLINE void ForEachPanel(const GemmArgs& g, const PanelBody& panel) {
  const size_t panel_width = 2 * hn::Lanes(DF());
  for (size_t col = 0; col < g.cols; col += panel_width)
    panel(g.packed_b + col * g.depth, col, std::min(panel_width, g.cols - col));
}

void Gemm(const GemmArgs& g) {
  ForEachPanel(g, [&](const float* b, size_t col, size_t cols) HWY_ATTR {
    ForEachRowTile(g.rows, [&](size_t row, auto rows) HWY_ATTR {
      constexpr size_t kRows = decltype(rows)::value;
      const float* a[kRows];
      for (size_t r = 0; r < kRows; ++r) a[r] = g.a + (row + r) * g.a_stride;
      Tile<kRows> tile(g.bias + col);
      tile.Accumulate(a, b, g.depth);
      tile.Store(cols, g.c + row * g.c_stride + col, g.c_stride, g.clamp);
    });
  });
}

// Per tap, the tile's rows point into the input (or at the zeros) and the
// same accumulation runs over that tap's channels.
void IndirectGemm(const GemmArgs& g, const IndirectA& ia) {
  ForEachPanel(g, [&](const float* b, size_t col, size_t cols) HWY_ATTR {
    ForEachRowTile(g.rows, [&](size_t row, auto rows) HWY_ATTR {
      constexpr size_t kRows = decltype(rows)::value;
      const uint32_t* offsets = ia.offsets + row * ia.taps;
      Tile<kRows> tile(g.bias + col);
      const float* tap_b = b;
      for (size_t t = 0; t < ia.taps; ++t) {
        const float* a[kRows];
        for (size_t r = 0; r < kRows; ++r) {
          const uint32_t offset = offsets[r * ia.taps + t];
          a[r] = offset == kPaddedTap ? ia.zeros : ia.input + offset;
        }
        tap_b = tile.Accumulate(a, tap_b, ia.channels);
      }
      tile.Store(cols, g.c + row * g.c_stride + col, g.c_stride, g.clamp);
    });
  });
}

// ---------------------------------------------------------- window ops

// The taps [begin, end) of a window along one axis that land inside the input.
struct TapRange {
  uint32_t begin, end;
  int64_t first_input;  // input coordinate of tap 0 (may be negative)
};

HWY_INLINE TapRange ValidTaps(uint32_t out_pos, uint32_t stride, uint32_t pad, uint32_t kernel,
                              uint32_t in_size) {
  const int64_t first = int64_t(out_pos) * stride - pad;
  return {uint32_t(std::max<int64_t>(0, -first)),
          uint32_t(std::min<int64_t>(kernel, int64_t(in_size) - first)), first};
}

// Calls pixel(out, tap_input, taps_y, taps_x) for every output pixel, where
// out points at its channels and tap_input(ky, kx) at the input pixel of a tap.
template <class PixelBody>
HWY_INLINE void ForEachOutputPixel(const WindowArgs& w, const PixelBody& pixel) {
  const size_t channels = w.channels;
  for (uint32_t oy = 0; oy < w.out_h; ++oy) {
    const TapRange ty = ValidTaps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
    for (uint32_t ox = 0; ox < w.out_w; ++ox) {
      const TapRange tx = ValidTaps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
      const auto tap_input = [&](uint32_t ky, uint32_t kx) HWY_ATTR {
        return w.input + (size_t(ty.first_input + ky) * w.in_w + size_t(tx.first_input + kx)) * channels;
      };
      pixel(w.output + (size_t(oy) * w.out_w + ox) * channels, tap_input, ty, tx);
    }
  }
}

void DepthwiseConv(const WindowArgs& w, const float* weights, const float* bias, Clamp clamp) {
  ForEachOutputPixel(w, [&](float* out, const auto& tap_input, TapRange ty, TapRange tx) HWY_ATTR {
    ForEachVector(w.channels, [&](auto d, size_t c) HWY_ATTR {
      auto acc = hn::LoadU(d, bias + c);
      for (uint32_t ky = ty.begin; ky < ty.end; ++ky)
        for (uint32_t kx = tx.begin; kx < tx.end; ++kx) {
          const float* tap_weights = weights + (size_t(ky) * w.kernel_w + kx) * w.channels;
          acc = hn::MulAdd(hn::LoadU(d, tap_input(ky, kx) + c), hn::LoadU(d, tap_weights + c), acc);
        }
      hn::StoreU(ApplyClamp(d, acc, clamp), d, out + c);
    });
  });
}

void MaxPool(const WindowArgs& w) {
  ForEachOutputPixel(w, [&](float* out, const auto& tap_input, TapRange ty, TapRange tx) HWY_ATTR {
    ForEachVector(w.channels, [&](auto d, size_t c) HWY_ATTR {
      auto best = hn::LoadU(d, tap_input(ty.begin, tx.begin) + c);  // every window has a valid tap
      for (uint32_t ky = ty.begin; ky < ty.end; ++ky)
        for (uint32_t kx = tx.begin; kx < tx.end; ++kx)
          best = hn::Max(best, hn::LoadU(d, tap_input(ky, kx) + c));
      hn::StoreU(best, d, out + c);
    });
  });
}

void AvgPool(const WindowArgs& w) {
  ForEachOutputPixel(w, [&](float* out, const auto& tap_input, TapRange ty, TapRange tx) HWY_ATTR {
    const float scale = 1.0f / float((ty.end - ty.begin) * (tx.end - tx.begin));
    ForEachVector(w.channels, [&](auto d, size_t c) HWY_ATTR {
      auto sum = hn::Zero(d);
      for (uint32_t ky = ty.begin; ky < ty.end; ++ky)
        for (uint32_t kx = tx.begin; kx < tx.end; ++kx)
          sum = hn::Add(sum, hn::LoadU(d, tap_input(ky, kx) + c));
      hn::StoreU(hn::Mul(sum, hn::Set(d, scale)), d, out + c);
    });
  });
}

// ------------------------------------------------------------ the rest

void GlobalAvgPool(size_t pixels, size_t channels, const float* input, float* output) {
  const float scale = 1.0f / float(pixels);
  ForEachVector(channels, [&](auto d, size_t c) HWY_ATTR {
    // Two partial sums: halves the dependency chain.
    auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
    size_t p = 0;
    for (; p + 2 <= pixels; p += 2) {
      sum0 = hn::Add(sum0, hn::LoadU(d, input + p * channels + c));
      sum1 = hn::Add(sum1, hn::LoadU(d, input + (p + 1) * channels + c));
    }
    if (p < pixels) sum0 = hn::Add(sum0, hn::LoadU(d, input + p * channels + c));
    hn::StoreU(hn::Mul(hn::Add(sum0, sum1), hn::Set(d, scale)), d, output + c);
  });
}

void AddClamped(size_t count, const float* a, const float* b, float* output, Clamp clamp) {
  ForEachVector(count, [&](auto d, size_t i) HWY_ATTR {
    hn::StoreU(ApplyClamp(d, hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), clamp), d, output + i);
  });
}

// ------------------------------------------------------------ Winograd

// See nn/winograd.h for B^T and A^T; vectorised over channels, one tile at a
// time. Padded taps read WinogradArgs::zeros, so the channel loop has no
// branches.
void WinogradInput(const WinogradArgs& w, size_t first_tile, size_t tiles, float* v) {
  const size_t tiles_w = (w.out_w + 1) / 2, position_stride = tiles * w.in_c;
  for (size_t t = 0; t < tiles; ++t) {
    const int64_t y0 = int64_t((first_tile + t) / tiles_w * 2) - w.pad_top;
    const int64_t x0 = int64_t((first_tile + t) % tiles_w * 2) - w.pad_left;
    const float* patch[16];
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        const int64_t y = y0 + i, x = x0 + j;
        const bool inside = y >= 0 && y < w.in_h && x >= 0 && x < w.in_w;
        patch[i * 4 + j] = inside ? w.input + (size_t(y) * w.in_w + size_t(x)) * w.in_c : w.zeros;
      }
    float* out = v + t * w.in_c;
    ForEachVector(w.in_c, [&](auto d, size_t c) HWY_ATTR {
      hn::Vec<decltype(d)> r[16];  // d B, row by row
      for (int i = 0; i < 4; ++i) {
        const auto d0 = hn::LoadU(d, patch[i * 4] + c), d1 = hn::LoadU(d, patch[i * 4 + 1] + c);
        const auto d2 = hn::LoadU(d, patch[i * 4 + 2] + c), d3 = hn::LoadU(d, patch[i * 4 + 3] + c);
        r[i * 4] = hn::Sub(d0, d2);
        r[i * 4 + 1] = hn::Add(d1, d2);
        r[i * 4 + 2] = hn::Sub(d2, d1);
        r[i * 4 + 3] = hn::Sub(d1, d3);
      }
      for (int j = 0; j < 4; ++j) {  // B^T (d B), column by column
        hn::StoreU(hn::Sub(r[j], r[8 + j]), d, out + j * position_stride + c);
        hn::StoreU(hn::Add(r[4 + j], r[8 + j]), d, out + (4 + j) * position_stride + c);
        hn::StoreU(hn::Sub(r[8 + j], r[4 + j]), d, out + (8 + j) * position_stride + c);
        hn::StoreU(hn::Sub(r[4 + j], r[12 + j]), d, out + (12 + j) * position_stride + c);
      }
    });
  }
}

void WinogradOutput(const WinogradArgs& w, size_t first_tile, size_t tiles, const float* m, const float* bias,
                    Clamp clamp) {
  const size_t tiles_w = (w.out_w + 1) / 2, position_stride = tiles * w.out_c;
  for (size_t t = 0; t < tiles; ++t) {
    const size_t oy = (first_tile + t) / tiles_w * 2, ox = (first_tile + t) % tiles_w * 2;
    const bool second_row = oy + 1 < w.out_h, second_col = ox + 1 < w.out_w;  // odd sizes
    float* y0 = w.output + (oy * w.out_w + ox) * w.out_c;
    float* y1 = y0 + size_t(w.out_w) * w.out_c;
    const float* tile = m + t * w.out_c;
    ForEachVector(w.out_c, [&](auto d, size_t c) HWY_ATTR {
      hn::Vec<decltype(d)> s[8];  // A^T M: 2 rows of 4
      for (int j = 0; j < 4; ++j) {
        const auto m0 = hn::LoadU(d, tile + j * position_stride + c);
        const auto m1 = hn::LoadU(d, tile + (4 + j) * position_stride + c);
        const auto m2 = hn::LoadU(d, tile + (8 + j) * position_stride + c);
        const auto m3 = hn::LoadU(d, tile + (12 + j) * position_stride + c);
        s[j] = hn::Add(hn::Add(m0, m1), m2);
        s[4 + j] = hn::Sub(hn::Sub(m1, m2), m3);
      }
      const auto b = hn::LoadU(d, bias + c);
      const auto store = [&](const auto* row, float* y) HWY_ATTR {  // (A^T M) A
        hn::StoreU(ApplyClamp(d, hn::Add(hn::Add(hn::Add(row[0], row[1]), row[2]), b), clamp), d, y + c);
        if (second_col)
          hn::StoreU(ApplyClamp(d, hn::Add(hn::Sub(hn::Sub(row[1], row[2]), row[3]), b), clamp), d,
                     y + w.out_c + c);
      };
      store(s, y0);
      if (second_row) store(s + 4, y1);
    });
  }
}

const Kernels* GetKernels() {
  static const Kernels kernels = {hwy::TargetName(HWY_TARGET),
                                  2 * hn::Lanes(DF()),
                                  &Gemm,
                                  &IndirectGemm,
                                  &DepthwiseConv,
                                  &MaxPool,
                                  &AvgPool,
                                  &GlobalAvgPool,
                                  &AddClamped,
                                  &WinogradInput,
                                  &WinogradOutput};
  return &kernels;
}

}  // namespace HWY_NAMESPACE
}  // namespace cxr::portable
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cxr::portable {

HWY_EXPORT(GetKernels);

const Kernels& best_kernels() { return *HWY_DYNAMIC_DISPATCH(GetKernels)(); }

std::vector<const Kernels*> all_supported_kernels() {
#if (HWY_TARGETS & (HWY_TARGETS - 1)) == 0
  return {&best_kernels()};  // one compiled target (wasm): static dispatch
#else
  std::vector<const Kernels*> tables;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    tables.push_back(HWY_DYNAMIC_DISPATCH(GetKernels)());
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the CPU's own choice
  return tables;
#endif
}

}  // namespace cxr::portable
#endif  // HWY_ONCE
