// Highway kernels of the portable backend (see portable_kernels.h). This file
// is compiled once per target by foreach_target.h; everything between
// HWY_BEFORE_NAMESPACE and HWY_AFTER_NAMESPACE exists once per target.
#include "nn/portable_kernels.h"
#include "nn/winograd.h"

#include <algorithm>
#include <cstring>
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

// Rows per GEMM tile: as many as the target's vector registers hold with 2
// B vectors and a broadcast (16 on AVX2, 32 on AVX-512; 4 elsewhere, V8's 15
// for wasm included, so nothing spills).
constexpr size_t kMaxTileRows = HWY_TARGET == HWY_AVX2                                  ? 6
                                : (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) ? 8
                                                                                        : 4;

// A kRows x kVecs-vector tile of C held in registers (kRows up to
// kMaxTileRows). kVecs is 2 for a full panel and 1 for a last panel of at
// most one vector's columns (see GemmArgs), so 24 or 48 channels do not pay
// for 32 or 64.
template <size_t kRows, size_t kVecs>
struct Tile {
  hn::Vec<DF> acc[kRows][kVecs];

  HWY_INLINE explicit Tile(const float* HWY_RESTRICT bias) {
    const DF d;
    for (size_t r = 0; r < kRows; ++r)
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::LoadU(d, bias + v * hn::Lanes(d));
  }

  // Adds A rows a[r][0, depth) times the next `depth` rows of a B panel, and
  // returns where the panel continues.
  HWY_INLINE const float* Accumulate(const float* const (&a)[kRows], const float* HWY_RESTRICT b, size_t depth) {
    const DF d;
    const size_t n = hn::Lanes(d);
    for (size_t k = 0; k < depth; ++k, b += kVecs * n) {
      hn::Vec<DF> bv[kVecs];
      for (size_t v = 0; v < kVecs; ++v) bv[v] = hn::LoadU(d, b + v * n);
      for (size_t r = 0; r < kRows; ++r) {
        const auto x = hn::Set(d, a[r][k]);
        for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::MulAdd(x, bv[v], acc[r][v]);
      }
    }
    return b;
  }

  // Writes the first `cols` columns of each row; a partial row goes through a
  // stack buffer so nothing past `cols` is written.
  HWY_INLINE void Store(size_t cols, float* HWY_RESTRICT c, size_t c_stride, Clamp clamp) const {
    const DF d;
    const size_t n = hn::Lanes(d);
    for (size_t r = 0; r < kRows; ++r, c += c_stride) {
      if (cols == kVecs * n) {
        for (size_t v = 0; v < kVecs; ++v) hn::StoreU(ApplyClamp(d, acc[r][v], clamp), d, c + v * n);
        continue;
      }
      HWY_ALIGN float row[kVecs * HWY_LANES(float)];
      for (size_t v = 0; v < kVecs; ++v) hn::Store(ApplyClamp(d, acc[r][v], clamp), d, row + v * n);
      std::copy(row, row + cols, c);
    }
  }
};

// tile(row, rows) for the last `left` (< kRows) rows, `rows` an integral_constant.
template <size_t kRows, class TileBody>
HWY_INLINE void RemainderRowTile(size_t row, size_t left, const TileBody& tile) {
  if constexpr (kRows > 1) {
    if (left == kRows - 1) return tile(row, std::integral_constant<size_t, kRows - 1>());
    RemainderRowTile<kRows - 1>(row, left, tile);
  }
}

// Runs tile(row, rows) over the rows in tiles of kMaxTileRows and one
// remainder tile, `rows` an integral_constant.
template <class TileBody>
HWY_INLINE void ForEachRowTile(size_t rows, const TileBody& tile) {
  size_t row = 0;
  for (; row + kMaxTileRows <= rows; row += kMaxTileRows) tile(row, std::integral_constant<size_t, kMaxTileRows>());
  RemainderRowTile<kMaxTileRows>(row, rows - row, tile);
}

// Calls panel(b, col, cols, vecs) for each B panel, `vecs` an
// integral_constant (1 for a narrow last panel): panel-outer, so one panel
// (depth x vecs vectors) stays in cache while every row of A passes over it.
template <class PanelBody>
HWY_INLINE void ForEachPanel(const GemmArgs& g, const PanelBody& panel) {
  const size_t n = hn::Lanes(DF());
  for (size_t col = 0; col < g.cols; col += 2 * n) {
    const float* b = g.packed_b + col * g.depth;
    if (g.cols - col <= n) panel(b, col, g.cols - col, std::integral_constant<size_t, 1>());
    else panel(b, col, std::min(2 * n, g.cols - col), std::integral_constant<size_t, 2>());
  }
}

void Gemm(const GemmArgs& g) {
  ForEachPanel(g, [&](const float* b, size_t col, size_t cols, auto vecs) HWY_ATTR {
    ForEachRowTile(g.rows, [&](size_t row, auto rows) HWY_ATTR {
      constexpr size_t kRows = decltype(rows)::value;
      const float* a[kRows];
      for (size_t r = 0; r < kRows; ++r) a[r] = g.a + (row + r) * g.a_stride;
      Tile<kRows, decltype(vecs)::value> tile(g.bias + col);
      tile.Accumulate(a, b, g.depth);
      tile.Store(cols, g.c + row * g.c_stride + col, g.c_stride, g.clamp);
    });
  });
}

// Per tap, the tile's rows point into the input (or at the zeros) and the
// same accumulation runs over that tap's channels.
void IndirectGemm(const GemmArgs& g, const IndirectA& ia) {
  ForEachPanel(g, [&](const float* b, size_t col, size_t cols, auto vecs) HWY_ATTR {
    ForEachRowTile(g.rows, [&](size_t row, auto rows) HWY_ATTR {
      constexpr size_t kRows = decltype(rows)::value;
      const uint32_t* offsets = ia.offsets + row * ia.taps;
      Tile<kRows, decltype(vecs)::value> tile(g.bias + col);
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

HWY_INLINE TapRange ValidTaps(uint32_t out_pos, uint32_t stride, uint32_t pad, uint32_t kernel, uint32_t in_size) {
  const int64_t first = int64_t(out_pos) * stride - pad;
  return {uint32_t(std::max<int64_t>(0, -first)), uint32_t(std::min<int64_t>(kernel, int64_t(in_size) - first)), first};
}

// Calls pixel(out, tap_input, taps_y, taps_x) for every output pixel (or
// those in rows [y_begin, y_end) x columns [x_begin, x_end)), where out points
// at its channels and tap_input(ky, kx) at the input pixel of a tap.
template <class PixelBody>
HWY_INLINE void ForEachOutputPixel(const WindowArgs& w, const PixelBody& pixel, uint32_t y_begin = 0,
                                   uint32_t y_end = UINT32_MAX, uint32_t x_begin = 0, uint32_t x_end = UINT32_MAX) {
  const size_t channels = w.channels;
  for (uint32_t oy = y_begin; oy < std::min(y_end, w.out_h); ++oy) {
    const TapRange ty = ValidTaps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
    for (uint32_t ox = x_begin; ox < std::min(x_end, w.out_w); ++ox) {
      const TapRange tx = ValidTaps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
      const auto tap_input = [&](uint32_t ky, uint32_t kx) HWY_ATTR {
        return w.input + (size_t(ty.first_input + ky) * w.in_w + size_t(tx.first_input + kx)) * channels;
      };
      pixel(w.output + (size_t(oy) * w.out_w + ox) * channels, tap_input, ty, tx);
    }
  }
}

// Any kernel size; taps in the padding are skipped. Pixel by pixel, every
// channel of a pixel in turn: the general case, and the border of a 3x3 one.
void DepthwiseConvPixels(const WindowArgs& w, const float* weights, const float* bias, Clamp clamp, uint32_t y_begin,
                         uint32_t y_end, uint32_t x_begin, uint32_t x_end) {
  ForEachOutputPixel(
      w,
      [&](float* out, const auto& tap_input, TapRange ty, TapRange tx) HWY_ATTR {
        ForEachVector(w.channels, [&](auto d, size_t c) HWY_ATTR {
          auto acc = hn::LoadU(d, bias + c);
          for (uint32_t ky = ty.begin; ky < ty.end; ++ky)
            for (uint32_t kx = tx.begin; kx < tx.end; ++kx) {
              const float* tap_weights = weights + (size_t(ky) * w.kernel_w + kx) * w.channels;
              acc = hn::MulAdd(hn::LoadU(d, tap_input(ky, kx) + c), hn::LoadU(d, tap_weights + c), acc);
            }
          hn::StoreU(ApplyClamp(d, acc, clamp), d, out + c);
        });
      },
      y_begin, y_end, x_begin, x_end);
}

// The output positions [begin, end) along one axis whose 3 taps all land
// inside the input (none in the padding).
struct Interior {
  uint32_t begin, end;
};
HWY_INLINE Interior InteriorOf(uint32_t out_size, uint32_t stride, uint32_t pad, uint32_t in_size) {
  const uint32_t begin = std::min(out_size, (pad + stride - 1) / stride);
  if (in_size + pad < 3) return {begin, begin};
  const uint32_t end = std::min<uint32_t>(out_size, (in_size + pad - 3) / stride + 1);
  return {begin, std::max(begin, end)};
}

// 3x3 depthwise (MobileNetV2's): the interior, where no tap is padding, row by
// row with one channel vector at a time across the whole row, so its 9
// weights stay in registers (each pixel: 9 loads, 9 multiply-adds, in three
// independent chains); the thin border pixel by pixel as above. Pixel by
// pixel everywhere was ~3 multiply-adds/ns in wasm (loads of weights and tap
// addresses per tap, one long dependency chain).
void DepthwiseConv3x3(const WindowArgs& w, const float* weights, const float* bias, Clamp clamp) {
  const Interior iy = InteriorOf(w.out_h, w.stride_h, w.pad_top, w.in_h);
  const Interior ix = InteriorOf(w.out_w, w.stride_w, w.pad_left, w.in_w);
  const size_t channels = w.channels, pixel_step = size_t(w.stride_w) * channels;
  for (uint32_t oy = iy.begin; oy < iy.end; ++oy) {
    const float* row0 =
        w.input +
        ((size_t(oy) * w.stride_h - w.pad_top) * w.in_w + (size_t(ix.begin) * w.stride_w - w.pad_left)) * channels;
    const float* row1 = row0 + size_t(w.in_w) * channels;
    const float* row2 = row1 + size_t(w.in_w) * channels;
    float* out_row = w.output + (size_t(oy) * w.out_w + ix.begin) * channels;
    ForEachVector(channels, [&](auto d, size_t c) HWY_ATTR {
      using V = hn::Vec<decltype(d)>;
      V k[9];
      for (size_t t = 0; t < 9; ++t) k[t] = hn::LoadU(d, weights + t * channels + c);
      const V b = hn::LoadU(d, bias + c);
      const float *r0 = row0 + c, *r1 = row1 + c, *r2 = row2 + c;
      float* out = out_row + c;
      for (uint32_t ox = ix.begin; ox < ix.end;
           ++ox, r0 += pixel_step, r1 += pixel_step, r2 += pixel_step, out += channels) {
        V acc0 = hn::MulAdd(hn::LoadU(d, r0), k[0], b);
        V acc1 = hn::Mul(hn::LoadU(d, r1), k[3]);
        V acc2 = hn::Mul(hn::LoadU(d, r2), k[6]);
        acc0 = hn::MulAdd(hn::LoadU(d, r0 + channels), k[1], acc0);
        acc1 = hn::MulAdd(hn::LoadU(d, r1 + channels), k[4], acc1);
        acc2 = hn::MulAdd(hn::LoadU(d, r2 + channels), k[7], acc2);
        acc0 = hn::MulAdd(hn::LoadU(d, r0 + 2 * channels), k[2], acc0);
        acc1 = hn::MulAdd(hn::LoadU(d, r1 + 2 * channels), k[5], acc1);
        acc2 = hn::MulAdd(hn::LoadU(d, r2 + 2 * channels), k[8], acc2);
        hn::StoreU(ApplyClamp(d, hn::Add(acc0, hn::Add(acc1, acc2)), clamp), d, out);
      }
    });
  }
  // The border: rows above and below the interior, then its left and right ends.
  DepthwiseConvPixels(w, weights, bias, clamp, 0, iy.begin, 0, w.out_w);
  DepthwiseConvPixels(w, weights, bias, clamp, iy.end, w.out_h, 0, w.out_w);
  DepthwiseConvPixels(w, weights, bias, clamp, iy.begin, iy.end, 0, ix.begin);
  DepthwiseConvPixels(w, weights, bias, clamp, iy.begin, iy.end, ix.end, w.out_w);
}

void DepthwiseConv(const WindowArgs& w, const float* weights, const float* bias, Clamp clamp) {
  if (w.kernel_h == 3 && w.kernel_w == 3) return DepthwiseConv3x3(w, weights, bias, clamp);
  DepthwiseConvPixels(w, weights, bias, clamp, 0, w.out_h, 0, w.out_w);
}

void MaxPool(const WindowArgs& w) {
  ForEachOutputPixel(w, [&](float* out, const auto& tap_input, TapRange ty, TapRange tx) HWY_ATTR {
    ForEachVector(w.channels, [&](auto d, size_t c) HWY_ATTR {
      auto best = hn::LoadU(d, tap_input(ty.begin, tx.begin) + c);  // every window has a valid tap
      for (uint32_t ky = ty.begin; ky < ty.end; ++ky)
        for (uint32_t kx = tx.begin; kx < tx.end; ++kx) best = hn::Max(best, hn::LoadU(d, tap_input(ky, kx) + c));
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
        for (uint32_t kx = tx.begin; kx < tx.end; ++kx) sum = hn::Add(sum, hn::LoadU(d, tap_input(ky, kx) + c));
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

// y = B^T x for one 6-vector (see nn/winograd.h), vectorised over channels.
template <class V>
HWY_INLINE void InputTransform6(const V (&x)[6], V (&y)[6]) {
  const V x4_minus_x2 = hn::Sub(x[4], x[2]), x3_minus_x1 = hn::Sub(x[3], x[1]);
  const V x3_plus_x4 = hn::Add(x[3], x[4]), x4_minus_x3 = hn::Sub(x[4], x[3]);
  const V x1_plus_x2 = hn::Add(x[1], x[2]), x1_minus_x2 = hn::Sub(x[1], x[2]);
  const V four = hn::Set(hn::DFromV<V>(), 4.0f), five = hn::Set(hn::DFromV<V>(), 5.0f);
  const V two = hn::Set(hn::DFromV<V>(), 2.0f);
  y[0] = hn::MulAdd(four, x[0], hn::NegMulAdd(five, x[2], x[4]));
  y[1] = hn::NegMulAdd(four, x1_plus_x2, x3_plus_x4);
  y[2] = hn::MulAdd(four, x1_minus_x2, x4_minus_x3);
  y[3] = hn::MulAdd(two, x3_minus_x1, x4_minus_x2);
  y[4] = hn::NegMulAdd(two, x3_minus_x1, x4_minus_x2);
  y[5] = hn::MulAdd(four, x[1], hn::NegMulAdd(five, x[3], x[5]));
}

// y = A^T m for one 6-vector.
template <class V>
HWY_INLINE void OutputTransform6(const V (&m)[6], V (&y)[4]) {
  const V sum12 = hn::Add(m[1], m[2]), diff12 = hn::Sub(m[1], m[2]);
  const V sum34 = hn::Add(m[3], m[4]), diff34 = hn::Sub(m[3], m[4]);
  const auto d = hn::DFromV<V>();
  y[0] = hn::Add(hn::Add(m[0], sum12), sum34);
  y[1] = hn::MulAdd(hn::Set(d, 2.0f), diff34, diff12);
  y[2] = hn::MulAdd(hn::Set(d, 4.0f), sum34, sum12);
  y[3] = hn::Add(hn::MulAdd(hn::Set(d, 8.0f), diff34, diff12), m[5]);
}

// V = B^T d B per tile, vectorised over channels, one tile at a time. Padded
// taps read WinogradArgs::zeros, so the channel loop has no branches.
void WinogradInput(const WinogradArgs& w, size_t first_tile, size_t tiles, float* v) {
  constexpr size_t kTile = winograd::kTile, kPatch = winograd::kPatch;
  const size_t tiles_w = (w.out_w + kTile - 1) / kTile, position_stride = tiles * w.in_c;
  for (size_t t = 0; t < tiles; ++t) {
    const int64_t y0 = int64_t((first_tile + t) / tiles_w * kTile) - w.pad_top;
    const int64_t x0 = int64_t((first_tile + t) % tiles_w * kTile) - w.pad_left;
    const float* patch[kPatch * kPatch];
    for (size_t i = 0; i < kPatch; ++i)
      for (size_t j = 0; j < kPatch; ++j) {
        const int64_t y = y0 + int64_t(i), x = x0 + int64_t(j);
        const bool inside = y >= 0 && y < w.in_h && x >= 0 && x < w.in_w;
        patch[i * kPatch + j] = inside ? w.input + (size_t(y) * w.in_w + size_t(x)) * w.in_c : w.zeros;
      }
    float* out = v + t * w.in_c;
    ForEachVector(w.in_c, [&](auto d, size_t c) HWY_ATTR {
      using V = hn::Vec<decltype(d)>;
      V rows[kPatch][kPatch];  // d B, row by row: rows[i][j] = (B^T d_i)[j]
      for (size_t i = 0; i < kPatch; ++i) {
        V x[kPatch];
        for (size_t j = 0; j < kPatch; ++j) x[j] = hn::LoadU(d, patch[i * kPatch + j] + c);
        InputTransform6(x, rows[i]);
      }
      for (size_t j = 0; j < kPatch; ++j) {  // B^T (d B), column by column
        V x[kPatch], y[kPatch];
        for (size_t i = 0; i < kPatch; ++i) x[i] = rows[i][j];
        InputTransform6(x, y);
        for (size_t i = 0; i < kPatch; ++i) hn::StoreU(y[i], d, out + (i * kPatch + j) * position_stride + c);
      }
    });
  }
}

// Y = A^T M A + bias, clamped; only outputs inside out_h x out_w are written.
void WinogradOutput(const WinogradArgs& w, size_t first_tile, size_t tiles, const float* m, const float* bias,
                    Clamp clamp) {
  constexpr size_t kTile = winograd::kTile, kPatch = winograd::kPatch;
  const size_t tiles_w = (w.out_w + kTile - 1) / kTile, position_stride = tiles * w.out_c;
  for (size_t t = 0; t < tiles; ++t) {
    const size_t oy = (first_tile + t) / tiles_w * kTile, ox = (first_tile + t) % tiles_w * kTile;
    const size_t rows_inside = std::min(kTile, w.out_h - oy), cols_inside = std::min(kTile, w.out_w - ox);
    const float* tile = m + t * w.out_c;
    ForEachVector(w.out_c, [&](auto d, size_t c) HWY_ATTR {
      using V = hn::Vec<decltype(d)>;
      V columns[kPatch][kTile];  // A^T M, column by column: columns[j][r] = (A^T M)[r][j]
      for (size_t j = 0; j < kPatch; ++j) {
        V x[kPatch];
        for (size_t i = 0; i < kPatch; ++i) x[i] = hn::LoadU(d, tile + (i * kPatch + j) * position_stride + c);
        OutputTransform6(x, columns[j]);
      }
      const V b = hn::LoadU(d, bias + c);
      for (size_t r = 0; r < rows_inside; ++r) {  // (A^T M) A, row by row
        V x[kPatch], y[kTile];
        for (size_t j = 0; j < kPatch; ++j) x[j] = columns[j][r];
        OutputTransform6(x, y);
        float* out = w.output + ((oy + r) * w.out_w + ox) * w.out_c + c;
        for (size_t k = 0; k < cols_inside; ++k)
          hn::StoreU(ApplyClamp(d, hn::Add(y[k], b), clamp), d, out + k * w.out_c);
      }
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
#if HWY_ARCH_X86
#include <cpuid.h>
#endif

namespace cxr::portable {

HWY_EXPORT(GetKernels);

#if HWY_ARCH_X86
// AMD family 19h (Zen 3/4) runs 512-bit vectors as two 256-bit halves, so
// AVX-512 computes no faster than AVX2 there while its 32-float GEMM panels
// pad 24- and 48-channel layers more (measured on a Zen 4 EPYC: the shipped
// model ~5% faster on AVX2). Zen 5 (1Ah) and Intel keep AVX-512.
bool avx2_beats_avx3() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  const bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;  // "AuthenticAMD"
  if (!amd || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return ((eax >> 8) & 0xF) + ((eax >> 20) & 0xFF) == 0x19;
}
#endif

const Kernels& best_kernels() {
  static const Kernels* best = [] {
    const Kernels* chosen = HWY_DYNAMIC_DISPATCH(GetKernels)();
#if HWY_ARCH_X86 && (HWY_TARGETS & (HWY_TARGETS - 1)) != 0
    if (std::strncmp(chosen->target, "AVX3", 4) == 0 && avx2_beats_avx3())
      for (const Kernels* k : all_supported_kernels())
        if (std::strcmp(k->target, "AVX2") == 0) return k;
#endif
    return chosen;
  }();
  return *best;
}

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
