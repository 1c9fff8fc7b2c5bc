// The out-of-scope check (core/classify/scope.h): the adult check's score
// against a naive dot product, its verdict and reason through the public API,
// the DICOM age against the model's intended range (never printed), and
// inconsistent model files refused with a reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "model/model_file.h"
#include "support/classifier_checks.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using json::Value;
using testing::make_classifier;

// The tiny network with a fitted distance gate that every film passes
// (threshold 1e5), plus `edit` applied to its metadata and extra tensors.
std::vector<uint8_t> tiny_with(void (*edit)(Value* metadata, std::vector<TensorRecord>* tensors)) {
  auto zero_means = [](size_t, uint32_t c) { return std::vector<float>(2 * c, 0.0f); };
  const std::vector<uint8_t> gated =
      testing::with_ood_section(testing::make_test_model_file("tiny", 5), {"residual", "gap"}, zero_means, 1e5);
  Model model;
  EXPECT_TRUE(read_model(gated.data(), gated.size(), &model).ok());
  std::vector<TensorRecord> tensors;
  for (const ModelTensor& t : model.tensors) tensors.push_back({t.name, t.dims, {t.data, t.data + t.count}});
  Value metadata = model.metadata;
  edit(&metadata, &tensors);
  return write_model(metadata, tensors);
}

// Adult weights w_i = 0.01 (i + 1) - 0.1 over the 28 features, bias 0.3.
constexpr uint32_t kFeatures = 16 + 12;
float g_threshold = 0;
void add_adult(Value* metadata, std::vector<TensorRecord>* tensors) {
  Value adult = Value::make_object();
  adult.set("method", Value::of("logistic"));
  adult.set("threshold", Value::of(double(g_threshold)));
  metadata->find("ood")->set("adult", adult);
  std::vector<float> w(kFeatures);
  for (uint32_t i = 0; i < kFeatures; ++i) w[i] = 0.01f * float(i + 1) - 0.1f;
  tensors->push_back({"ood.adult.weights", {kFeatures}, w});
  tensors->push_back({"ood.adult.bias", {1}, {0.3f}});
}

using testing::classify_ok;

// metadata.intended_use with an age range in completed years.
void set_age_range(Value* metadata, double from, double to) {
  Value ages = Value::make_object();
  ages.set("from", Value::of(from));
  ages.set("to", Value::of(to));
  Value use = Value::make_object();
  use.set("age_years", ages);
  metadata->set("intended_use", use);
}

TEST(AdultCheck, ScoresTheGateFeaturesAndWithholdsAboveItsThresholdWithItsOwnReason) {
  const auto film = testing::chest_like_png(300, 280, 7);
  g_threshold = 1e5f;
  auto lenient = make_classifier(tiny_with(add_adult));
  ASSERT_TRUE(lenient);
  const cxr_result r = classify_ok(lenient.get(), film);
  ASSERT_EQ(r.num_features, kFeatures);
  double naive = 0.3;
  for (uint32_t i = 0; i < kFeatures; ++i) naive += (0.01 * (i + 1) - 0.1) * r.features[i];
  EXPECT_EQ(r.ood.adult_check_available, 1);
  EXPECT_NEAR(r.ood.adult_score, naive, 1e-5 * std::max(1.0, std::fabs(naive)));
  EXPECT_EQ(r.ood.out_of_scope, 0);
  EXPECT_EQ(r.ood.flagged, 0);

  g_threshold = r.ood.adult_score - 0.01f;  // just under this film's score
  auto strict = make_classifier(tiny_with(add_adult));
  const cxr_result s = classify_ok(strict.get(), film);
  EXPECT_EQ(s.ood.out_of_scope, 1);
  EXPECT_EQ(s.ood.flagged, 1);
  EXPECT_EQ(s.ood.age_outside_range, 0);
  ASSERT_GE(s.ood.num_reasons, 1u);
  EXPECT_NE(std::string(s.ood.reasons[0]).find("looks like an adult chest X-ray"), std::string::npos)
      << s.ood.reasons[0];
  EXPECT_GT(s.probabilities[0] + s.probabilities[1], 0.99f);  // the output is still there; the front end decides
  cxr_model_info info;
  cxr_classifier_info(strict.get(), &info);
  EXPECT_EQ(info.adult_check_available, 1);
  EXPECT_FLOAT_EQ(info.adult_threshold, g_threshold);
  EXPECT_STREQ(info.intended_population, "children");  // the model does not say more
}

TEST(AdultCheck, InconsistentModelFilesAreRefusedWithAReason) {
  const auto expect_refused = testing::expect_invalid_model;
  expect_refused(tiny_with([](Value* m, std::vector<TensorRecord>* t) {
                   add_adult(m, t);
                   t->back().dims = {1}, t->end()[-2].dims = {kFeatures + 1}, t->end()[-2].values.push_back(0);
                 }),
                 "do not match the gate's features");
  expect_refused(tiny_with([](Value* m, std::vector<TensorRecord>* t) {
                   add_adult(m, t);
                   m->find("ood")->find("adult")->set("method", Value::of("forest"));
                 }),
                 "unknown method");
  expect_refused(tiny_with([](Value* m, std::vector<TensorRecord>* t) {
                   add_adult(m, t);
                   t->pop_back();
                 }),
                 "tensors are missing");
  expect_refused(tiny_with([](Value* m, std::vector<TensorRecord>*) { set_age_range(m, 5, 1); }), "age range");
}

// A bare implicit-VR DICOM dataset: a textured 160x160 8-bit film with the
// given (group, element, text) elements, in ascending tag order.
std::vector<uint8_t> dicom_with(std::vector<std::pair<uint32_t, std::string>> texts) {
  std::vector<uint8_t> pixels(160 * 160);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(60 + (i * 7919) % 120);
  auto u16 = [](uint32_t v) { return std::string{char(v & 0xFF), char(v >> 8)}; };
  std::vector<std::pair<uint32_t, std::string>> all = {{0x00080060, "DX"}};
  all.insert(all.end(), texts.begin(), texts.end());
  for (auto [tag, value] :
       std::vector<std::pair<uint32_t, std::string>>{{0x00280002, u16(1)},
                                                     {0x00280004, "MONOCHROME2 "},
                                                     {0x00280010, u16(160)},
                                                     {0x00280011, u16(160)},
                                                     {0x00280100, u16(8)},
                                                     {0x00280101, u16(8)},
                                                     {0x00280102, u16(7)},
                                                     {0x00280103, u16(0)},
                                                     {0x7FE00010, std::string(pixels.begin(), pixels.end())}})
    all.push_back({tag, value});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint8_t> out;
  for (auto& [tag, value] : all) {
    if (value.size() % 2) value += ' ';
    const uint32_t head[2] = {(tag >> 16) | (tag & 0xFFFF) << 16, uint32_t(value.size())};
    out.insert(out.end(), reinterpret_cast<const uint8_t*>(head), reinterpret_cast<const uint8_t*>(head) + 8);
    out.insert(out.end(), value.begin(), value.end());
  }
  return out;
}

void intended_1_to_5(Value* metadata, std::vector<TensorRecord>*) { set_age_range(metadata, 1, 5); }

TEST(AgeCheck, AStatedAgeOutsideTheIntendedRangeWithholdsWithoutPrintingIt) {
  auto c = make_classifier(tiny_with(intended_1_to_5));
  ASSERT_TRUE(c);
  cxr_model_info info;
  cxr_classifier_info(c.get(), &info);
  EXPECT_STREQ(info.intended_population, "children aged about 1 to 5");
  const uint32_t kAge = 0x00101010, kBirth = 0x00100030, kStudy = 0x00080020;
  struct Case {
    std::vector<std::pair<uint32_t, std::string>> elements;
    bool outside;
  };
  const Case cases[] = {
      {{}, false},  // no age: nothing to say
      {{{kAge, "003Y"}}, false},
      {{{kAge, "018M"}}, false},  // 1.5 years
      {{{kAge, "011M"}}, true},   // under one
      {{{kAge, "006Y"}}, true},
      {{{kAge, "047Y"}}, true},
      {{{kStudy, "20210509"}, {kBirth, "20180510"}}, false},  // a day short of 3
      {{{kStudy, "20210228"}, {kBirth, "20200229"}}, true},   // a day short of 1, over a leap day
      {{{kStudy, "20210509"}, {kBirth, "19800101"}}, true},
      {{{kStudy, "2021-05"}, {kBirth, "19800101"}}, false},  // no readable date: unknown
  };
  for (const Case& k : cases) {
    const cxr_result r = classify_ok(c.get(), dicom_with(k.elements));
    const std::string what = k.elements.empty() ? "none" : k.elements.back().second;
    EXPECT_EQ(r.ood.age_outside_range, int(k.outside)) << what;
    EXPECT_EQ(r.ood.out_of_scope, int(k.outside)) << what;
    if (!k.outside) continue;
    ASSERT_GE(r.ood.num_reasons, 1u);
    const std::string reason = r.ood.reasons[0];
    EXPECT_NE(reason.find("outside the model's intended range (children aged about 1 to 5)"), std::string::npos)
        << reason;
    for (uint32_t i = 0; i < r.ood.num_reasons; ++i)
      for (const char* age : {"47", "11 month", "1980", "2021"})
        EXPECT_EQ(std::string(r.ood.reasons[i]).find(age), std::string::npos);
  }
}

TEST(AgeCheck, AModelWithoutARangeDoesNotWithholdByAge) {
  auto c = make_classifier(testing::make_test_model_file("tiny", 5));
  const cxr_result r = classify_ok(c.get(), dicom_with({{0x00101010, "047Y"}}));
  EXPECT_EQ(r.ood.age_outside_range, 0);
  EXPECT_EQ(r.ood.out_of_scope, 0);
  EXPECT_EQ(r.ood.adult_check_available, 0);
}

}  // namespace
}  // namespace cxr
