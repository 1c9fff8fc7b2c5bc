// wasm only: Highway's header-only static dispatch still references
// hwy::Abort (its internal asserts), which natively lives in libhwy. An abort
// here is an internal invariant broken inside a kernel, never a reaction to
// input; the message is Highway's assert text and source line, never image data.
#ifdef __EMSCRIPTEN__  // natively libhwy defines it; keeps a core/nn/*.cpp glob safe

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "hwy/base.h"

namespace hwy {

HWY_NORETURN void HWY_FORMAT(3, 4) Abort(const char* file, int line, const char* format, ...) {
  char message[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof message, format, args);
  va_end(args);
  std::fprintf(stderr, "cxr: internal error in SIMD kernels at %s:%d: %s\n", file, line, message);
  std::abort();
}

}  // namespace hwy

#endif  // __EMSCRIPTEN__
