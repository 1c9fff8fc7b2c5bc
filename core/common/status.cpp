#include "common/status.h"

#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>

namespace cxr {

Status Fail(cxr_status code, const char* format, ...) {
  // The whole sentence (a path can be long); the C API's cxr_error keeps the
  // first CXR_MESSAGE_CAPACITY bytes of it (to_c_error).
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  char buffer[CXR_MESSAGE_CAPACITY];
  const int length = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  std::string message = buffer;
  if (length >= int(sizeof buffer)) {
    message.resize(size_t(length) + 1);
    std::vsnprintf(message.data(), message.size(), format, again);
    message.resize(size_t(length));
  }
  va_end(again);
  return Status{code, std::move(message)};
}

std::nullptr_t to_c_error(const Status& s, cxr_error* error) {
  if (error) {
    error->status = s.code;
    std::snprintf(error->message, sizeof error->message, "%s", s.message.c_str());
  }
  return nullptr;
}

}  // namespace cxr
