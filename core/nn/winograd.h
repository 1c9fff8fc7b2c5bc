// Winograd F(2x2, 3x3) (Lavin & Gray, 2015) for 3x3 stride-1 convolutions.
// Each 2x2 block of outputs (a "tile") comes from its 4x4 input patch d as
//   Y = A^T [ sum over input channels of (G g G^T) . (B^T d B) ] A
// where . is the element-wise product: 16 multiplies per tile and channel
// pair instead of 36. The sum over channels at each of the 16 positions is a
// GEMM (tiles x in_c) * (in_c x out_c), so the portable backend runs it on its
// ordinary GEMM kernel: input transform, 16 GEMMs, output transform (the two
// transforms are kernels in portable_kernels.cpp). Only additions and exact
// halvings are added, so the error stays a small multiple of direct
// convolution's (the kernel tests check it against the naive reference).
//
//   B^T = | 1  0 -1  0 |   G = | 1    0    0  |   A^T = | 1  1  1  0 |
//         | 0  1  1  0 |       | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
//         | 0 -1  1  0 |       | 1/2 -1/2  1/2 |
//         | 0  1  0 -1 |       | 0    0    1  |
#pragma once
#include <cstddef>

namespace cxr::winograd {

constexpr size_t kPositions = 16;  // of the 4x4 transformed tile

// Transforms 3x3 weights [out_c][3][3][in_c] (OHWI) into U = G g G^T,
// writing U at position p for output o and input i to u(p, o, i) (a float&:
// straight into the packed GEMM weights, no temporary copy).
template <class U>
void transform_weights(const float* ohwi, size_t out_c, size_t in_c, const U& u) {
  const double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  for (size_t o = 0; o < out_c; ++o)
    for (size_t i = 0; i < in_c; ++i) {
      double gw[4][3] = {};  // G w, in double: U is rounded once
      for (size_t r = 0; r < 4; ++r)
        for (size_t ky = 0; ky < 3; ++ky)
          for (size_t kx = 0; kx < 3; ++kx) gw[r][kx] += g[r][ky] * ohwi[((o * 3 + ky) * 3 + kx) * in_c + i];
      for (size_t r = 0; r < 4; ++r)
        for (size_t c = 0; c < 4; ++c)  // (G w) G^T
          u(r * 4 + c, o, i) = float(gw[r][0] * g[c][0] + gw[r][1] * g[c][1] + gw[r][2] * g[c][2]);
    }
}

}  // namespace cxr::winograd
