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

}  // namespace cxr
