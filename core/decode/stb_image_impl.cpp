// The one translation unit that compiles stb_image (Debian's libstb-dev, v2.27),
// configured for untrusted bytes, natively and in wasm:
//  - memory only (no stdio), JPEG and PNG only, no HDR/float paths;
//  - STBI_MAX_DIMENSIONS equal to our side limit, so stb itself refuses
//    oversized headers before allocating (decode.cpp checks first anyway);
//  - STBI_ASSERT never aborts. stb's asserts are internal invariants, but they
//    sit on paths that hostile input reaches, and an abort kills the wasm
//    module. A failed invariant is counted instead; decode.cpp refuses any
//    image whose decode tripped one.
// stb's SIMD kernels (SSE2 natively) are documented as bit-identical to its
// scalar code, which is what wasm runs, so native and browser decode agree.
#include "cxr/cxr.h"

namespace cxr::detail {
// Per thread, like stb's own failure reason. Read through a function: an
// extern thread_local trips GCC's TLS wrapper under the sanitizers.
static thread_local unsigned invariant_failures = 0;
unsigned stb_invariant_failures() { return invariant_failures; }
}  // namespace cxr::detail

#define STBI_ASSERT(condition)                             \
  do {                                                     \
    if (!(condition)) ++::cxr::detail::invariant_failures; \
  } while (0)

#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_MAX_DIMENSIONS CXR_MAX_IMAGE_SIDE
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
