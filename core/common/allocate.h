// The one way the core grows a buffer whose size comes from its input (an
// image's header, a model's layers): a Status, never an abort.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include "common/status.h"

namespace cxr {

// The largest single buffer the core allocates: half of what the wasm module
// may ever hold (-sMAXIMUM_MEMORY, 2 GiB). The documented limits keep every
// buffer far below it (a 16384 x 2441 film is 80 MB of u16); a size past it is
// a bug or a hostile input, and on wasm32 (4-byte size_t) it would overflow.
constexpr size_t kMaxBufferBytes = size_t(1) << 30;

// Resizes *v to n elements, or answers, with `refusal` as the sentence
// ("not enough memory for a 4000x3000 image"):
//   - cxr_status_too_large when n elements are over kMaxBufferBytes, before
//     anything is allocated (both builds);
//   - cxr_status_out_of_memory when the allocation fails. Natively operator
//     new throws std::bad_alloc, caught here. In wasm the module is built with
//     -sDISABLE_EXCEPTION_CATCHING: a failing operator new cannot be caught
//     and aborts the module, so malloc is asked first (-sABORTING_MALLOC=0:
//     it returns NULL when memory cannot grow) and the vector allocates only
//     after malloc found the block; the module is single-threaded, so the
//     block it just freed is there for the vector.
// *v keeps its contents up to min(size, n), as std::vector::resize.
template <typename T>
Status try_resize(std::vector<T>* v, size_t n, const char* refusal) {
  if (n > kMaxBufferBytes / sizeof(T))
    return Fail(cxr_status_too_large, "%s: it needs %zu MiB in one buffer, over the %zu MiB limit", refusal,
                n / ((size_t(1) << 20) / sizeof(T)), kMaxBufferBytes >> 20);
  if (n <= v->capacity()) {
    v->resize(n);
    return Ok();
  }
#if defined(__EMSCRIPTEN__) || !defined(__cpp_exceptions)
  // volatile: a malloc whose block is only freed may otherwise be elided,
  // the compiler assuming it succeeds.
  void* volatile probe = std::malloc(n * sizeof(T));
  if (!probe) return Fail(cxr_status_out_of_memory, "%s", refusal);
  std::free(probe);
  v->reserve(n);  // exactly n: the block malloc just found
  v->resize(n);
#else
  try {
    v->resize(n);
  } catch (const std::bad_alloc&) {
    return Fail(cxr_status_out_of_memory, "%s", refusal);
  }
#endif
  return Ok();
}

}  // namespace cxr
