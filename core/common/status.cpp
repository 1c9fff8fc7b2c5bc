#include "common/status.h"

#include <cstdarg>
#include <cstdio>

namespace cxr {

Status Fail(cxr_status code, const char* format, ...) {
  char buffer[CXR_MESSAGE_CAPACITY];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return Status{code, buffer};
}

std::nullptr_t to_c_error(const Status& s, cxr_error* error) {
  if (error) {
    error->status = s.code;
    std::snprintf(error->message, sizeof error->message, "%s", s.message.c_str());
  }
  return nullptr;
}

}  // namespace cxr
