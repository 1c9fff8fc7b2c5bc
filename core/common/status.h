// Internal status type: a code from the public header plus a sentence for the user.
#pragma once
#include <cstddef>
#include <string>

#include "cxr/cxr.h"

namespace cxr {

struct Status {
  cxr_status code = cxr_status_ok;
  std::string message;
  bool ok() const { return code == cxr_status_ok; }
};

inline Status Ok() { return Status{}; }
// printf-style message, whole; the text should tell the user what to do about it.
Status Fail(cxr_status code, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Hands `s` to a C API caller: fills *error (when the caller gave one).
// Returns nullptr, so that a C API function returning a handle refuses in one
// statement: `if (!s.ok()) return to_c_error(s, error);`.
std::nullptr_t to_c_error(const Status& s, cxr_error* error);

// Returns the status of `expr` from the enclosing function unless it is ok.
#define CXR_TRY(expr)          \
  do {                         \
    ::cxr::Status _s = (expr); \
    if (!_s.ok()) return _s;   \
  } while (0)

}  // namespace cxr
