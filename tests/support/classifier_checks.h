// Checks on the public API shared by the gate's tests (test_ood, test_scope).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cxr/cxr.h"

namespace cxr::testing {

// cxr_classify that must succeed.
inline cxr_result classify_ok(cxr_classifier* c, const std::vector<uint8_t>& image) {
  cxr_result r;
  cxr_error e;
  EXPECT_EQ(cxr_classify(c, image.data(), image.size(), nullptr, &r, &e), cxr_status_ok) << e.message;
  return r;
}

// cxr_classifier_create that must refuse the model as invalid, saying `why`.
inline void expect_invalid_model(const std::vector<uint8_t>& bytes, const char* why) {
  cxr_error e;
  cxr_classifier* c = cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &e);
  EXPECT_EQ(c, nullptr);
  cxr_classifier_destroy(c);
  EXPECT_EQ(e.status, cxr_status_invalid_model);
  EXPECT_NE(std::string(e.message).find(why), std::string::npos) << e.message;
}

}  // namespace cxr::testing
