// The result schema (cxr.h: cxr_verdict, cxr_outcome_json): the verdict under
// each policy, what a withheld result leaves out, the failure form, and the
// snprintf-like buffer contract. Results are read back with the core's strict
// JSON reader, so a malformed line fails here too.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "model/json.h"
#include "support/classifier_checks.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using json::Value;

std::string outcome_json(const cxr_classifier* c, cxr_status status, const cxr_result* r, const cxr_error* e,
                         const cxr_outcome_json_options& options) {
  std::string text(cxr_outcome_json(c, status, r, e, &options, nullptr, 0), '\0');
  EXPECT_EQ(cxr_outcome_json(c, status, r, e, &options, text.data(), text.size() + 1), text.size());
  return text;
}

Value parsed(const std::string& text) {
  Value v;
  const Status s = json::parse(text, &v);
  EXPECT_TRUE(s.ok()) << s.message << "\n" << text;
  return v;
}

// A two-class result as cxr_classify fills it.
cxr_result two_class(float p_positive, float threshold) {
  static const char* kNames[] = {"NORMAL", "PNEUMONIA"};
  cxr_result r{};
  r.num_classes = 2;
  r.class_names[0] = kNames[0];
  r.class_names[1] = kNames[1];
  r.probabilities[0] = 1 - p_positive;
  r.probabilities[1] = p_positive;
  r.positive_class = 1;
  r.predicted_class = p_positive >= 0.5f ? 1 : 0;
  r.decision_class = p_positive >= threshold ? 1 : 0;
  r.threshold = threshold;
  r.uncertain_low = r.uncertain_high = threshold;
  r.calibration = "model default";
  return r;
}

TEST(Verdict, FollowsTheGateTheBandAndThePolicy) {
  cxr_result r = two_class(0.9f, 0.5f);
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_withhold), "PNEUMONIA");
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_warn), "PNEUMONIA");
  r.uncertain = 1;
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_withhold), "UNCERTAIN");
  r.ood.flagged = 1;
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_withhold), "WITHHELD");
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_warn), "UNCERTAIN");
  r.uncertain = 0;
  EXPECT_STREQ(cxr_verdict(&r, cxr_ood_warn), "PNEUMONIA");
  cxr_result none{};
  EXPECT_STREQ(cxr_verdict(&none, cxr_ood_warn), "");
  EXPECT_STREQ(cxr_verdict(nullptr, cxr_ood_warn), "");
}

TEST(OutcomeJson, AWithheldResultLeavesOutTheModelsOutput) {
  cxr_result r = two_class(0.8f, 0.5f);
  r.ood.flagged = 1;
  r.ood.num_reasons = 1;
  r.ood.reasons[0] = "it is a colour image (X-rays are gray)";
  float heat[4] = {0, 0.5f, 1, 0.25f};
  r.heatmap = heat;
  r.heatmap_width = r.heatmap_height = 2;

  const Value withheld = parsed(outcome_json(nullptr, cxr_status_ok, &r, nullptr, {cxr_ood_withhold, 1, "a.png"}));
  EXPECT_EQ(withheld.object.front().first, "file");
  EXPECT_EQ(withheld.find("verdict")->string, "WITHHELD");
  EXPECT_EQ(withheld.find("verdicts")->find("warn")->string, "PNEUMONIA");
  EXPECT_EQ(withheld.find("decision")->type, Value::Type::null);
  for (const char* hidden : {"class", "probabilities", "positive_probability", "logits", "heatmap"})
    EXPECT_EQ(withheld.find(hidden), nullptr) << hidden;
  EXPECT_EQ(withheld.find("model"), nullptr);  // no classifier given
  EXPECT_EQ(withheld.find("ood")->find("reasons")->array.at(0).string, r.ood.reasons[0]);

  const Value shown = parsed(outcome_json(nullptr, cxr_status_ok, &r, nullptr, {cxr_ood_warn, 1, nullptr}));
  EXPECT_EQ(shown.find("file"), nullptr);
  EXPECT_EQ(shown.find("verdict")->string, "PNEUMONIA");
  EXPECT_EQ(shown.find("decision")->string, "PNEUMONIA");
  EXPECT_FLOAT_EQ(float(shown.find("positive_probability")->number), 0.8f);
  EXPECT_FLOAT_EQ(float(shown.find("probabilities")->find("NORMAL")->number), 1 - 0.8f);
  const Value* heatmap = shown.find("heatmap");
  ASSERT_NE(heatmap, nullptr);
  ASSERT_EQ(heatmap->find("values")->array.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(float(heatmap->find("values")->array[i].number), heat[i]);
  const Value sized = parsed(outcome_json(nullptr, cxr_status_ok, &r, nullptr, {cxr_ood_warn, 0, nullptr}));
  EXPECT_EQ(sized.find("heatmap")->find("values"), nullptr);
  EXPECT_EQ(sized.find("heatmap")->find("width")->number, 2);
}

TEST(OutcomeJson, NumbersThatAreNotFiniteBecomeNull) {
  cxr_result r = two_class(0.3f, 0.5f);
  r.timings.total_ms = std::numeric_limits<double>::infinity();
  r.positive_log_odds = std::nanf("");
  const Value v = parsed(outcome_json(nullptr, cxr_status_ok, &r, nullptr, {cxr_ood_warn, 0, nullptr}));
  EXPECT_EQ(v.find("timings_ms")->find("total")->type, Value::Type::null);
  EXPECT_EQ(v.find("positive_log_odds")->type, Value::Type::null);
}

TEST(OutcomeJson, AFailureSaysWhyAndNothingElse) {
  cxr_error e{cxr_status_unsupported_format, "not an image: PDF document"};
  const Value v =
      parsed(outcome_json(nullptr, cxr_status_unsupported_format, nullptr, &e, {cxr_ood_withhold, 0, "r.pdf"}));
  ASSERT_EQ(v.object.size(), 4u);
  EXPECT_EQ(v.find("ok")->boolean, false);
  EXPECT_EQ(v.find("status")->string, "unsupported_format");
  EXPECT_EQ(v.find("error")->string, e.message);
}

TEST(OutcomeJson, WritesLikeSnprintf) {
  cxr_error e{cxr_status_corrupt_input, "truncated"};
  const size_t n = cxr_outcome_json(nullptr, cxr_status_corrupt_input, nullptr, &e, nullptr, nullptr, 0);
  std::string small(8, 'x');
  EXPECT_EQ(cxr_outcome_json(nullptr, cxr_status_corrupt_input, nullptr, &e, nullptr, small.data(), small.size()), n);
  EXPECT_EQ(std::string(small.c_str()), std::string("{\"ok\":f"));  // 7 bytes and the NUL
}

TEST(OutcomeJson, ARealClassificationNamesItsModel) {
  auto c = testing::make_classifier(testing::make_test_model_file("tiny", 5));
  cxr_result r = testing::classify_ok(c.get(), testing::chest_like_png(96, 80, 3));
  const Value v = parsed(outcome_json(c.get(), cxr_status_ok, &r, nullptr, {cxr_ood_withhold, 0, "film.png"}));
  cxr_model_info info;
  cxr_classifier_info(c.get(), &info);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", info.checksum);
  EXPECT_EQ(v.find("model")->find("name")->string, info.name);
  EXPECT_EQ(v.find("model")->find("crc32")->string, crc);
  EXPECT_EQ(v.find("verdict")->string, cxr_verdict(&r, cxr_ood_withhold));
  EXPECT_EQ(v.find("image")->find("width")->number, 96);
  EXPECT_EQ(v.find("threshold")->number, double(r.threshold));
}

}  // namespace
}  // namespace cxr
