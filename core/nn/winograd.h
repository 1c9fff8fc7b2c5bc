// Winograd F(4x4, 3x3) (Lavin & Gray, 2015) for 3x3 stride-1 convolutions.
// Each 4x4 block of outputs (a "tile") comes from its 6x6 input patch d as
//   Y = A^T [ sum over input channels of (G g G^T) . (B^T d B) ] A
// where . is the element-wise product: 36 multiplies per tile and channel
// pair instead of 144 (F(2x2, 3x3) needs 64 for the same 16 outputs). The sum
// over channels at each of the 36 positions is a GEMM (tiles x in_c) *
// (in_c x out_c), so the portable backend runs it on its ordinary GEMM kernel:
// input transform, 36 GEMMs, output transform (the two transforms are kernels
// in portable_kernels.cpp). The interpolation points 0, +-1, +-2 keep every
// coefficient small (|B| <= 5, |A| <= 8); the rounding error is proportional
// to the magnitudes inside the transforms, which the kernel tests bound by
// running the same pipeline on absolute values.
//
//   B^T = | 4  0 -5  0  1  0 |   G = |  1/4    0     0   |   A^T = | 1  1  1  1  1  0 |
//         | 0 -4 -4  1  1  0 |       | -1/6  -1/6  -1/6  |         | 0  1 -1  2 -2  0 |
//         | 0  4 -4 -1  1  0 |       | -1/6   1/6  -1/6  |         | 0  1  1  4  4  0 |
//         | 0 -2 -1  2  1  0 |       |  1/24  1/12  1/6  |         | 0  1 -1  8 -8  1 |
//         | 0  2 -1 -2  1  0 |       |  1/24 -1/12  1/6  |
//         | 0  4  0 -5  0  1 |       |  0      0     1   |
#pragma once
#include <cstddef>

namespace cxr::winograd {

constexpr size_t kTile = 4;        // outputs per tile side
constexpr size_t kPatch = 6;       // inputs per tile side (kTile + 2)
constexpr size_t kPositions = 36;  // of the 6x6 transformed tile

// The matrices above (the kernels spell B^T and A^T out as additions).
constexpr double kBt[kPatch][kPatch] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                        {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr double kG[kPatch][3] = {{1.0 / 4, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
constexpr double kAt[kTile][kPatch] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

// The portable backend takes Winograd for maps of at least this many tiles:
// the transformed weights are 4x the direct ones and each is used once per
// tile, so on small maps streaming them costs more than the multiplies saved
// (measured on the shipped model: 6x6x192, 4 tiles, 0.26 ms direct vs 0.30
// Winograd; 12x12x96, 9 tiles, 0.22 direct vs 0.13 Winograd).
constexpr size_t kMinTiles = 8;

// Output tiles covering an out_h x out_w map (partial ones at the bottom/right).
inline size_t tiles(size_t out_h, size_t out_w) { return (out_h + kTile - 1) / kTile * ((out_w + kTile - 1) / kTile); }

// Transforms 3x3 weights [out_c][3][3][in_c] (OHWI) into U = G g G^T,
// writing U at position p for output o and input i to u(p, o, i) (a float&:
// straight into the packed GEMM weights, no temporary copy).
template <class U>
void transform_weights(const float* ohwi, size_t out_c, size_t in_c, const U& u) {
  for (size_t o = 0; o < out_c; ++o)
    for (size_t i = 0; i < in_c; ++i) {
      double gw[kPatch][3] = {};  // G w, in double: U is rounded once
      for (size_t r = 0; r < kPatch; ++r)
        for (size_t ky = 0; ky < 3; ++ky)
          for (size_t kx = 0; kx < 3; ++kx) gw[r][kx] += kG[r][ky] * ohwi[((o * 3 + ky) * 3 + kx) * in_c + i];
      for (size_t r = 0; r < kPatch; ++r)
        for (size_t c = 0; c < kPatch; ++c)  // (G w) G^T
          u(r * kPatch + c, o, i) = float(gw[r][0] * kG[c][0] + gw[r][1] * kG[c][1] + gw[r][2] * kG[c][2]);
    }
}

}  // namespace cxr::winograd
