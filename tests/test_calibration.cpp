// Site calibration (cxr/calibration.h): each measure against a naive version,
// the record's round trip and refusals, and a classifier applying it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "calibrate/measures.h"
#include "calibrate/record.h"
#include "cxr/calibration.h"
#include "model/model_file.h"
#include "support/reference_nets.h"
#include "support/site_record.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using calibrate::Film;

std::vector<Film> random_films(uint32_t seed, size_t n, int distinct_scores) {
  std::mt19937 rng(seed);
  std::vector<Film> films(n);
  for (Film& f : films) {
    f.positive = rng() % 3 != 0;
    // Few distinct scores: ties on purpose; positives a little higher.
    const int level = int(rng() % distinct_scores);
    f.score = float(level + (f.positive ? int(rng() % 3) : 0)) / float(distinct_scores + 2);
  }
  films[0].positive = true;
  films[1].positive = false;
  return films;
}

TEST(Calibration, AucIsThePairCount) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const auto films = random_films(seed, 50 + seed * 7, seed % 2 ? 5 : 1000);
    double wins = 0, pairs = 0;
    for (const Film& p : films)
      for (const Film& n : films)
        if (p.positive && !n.positive) {
          pairs += 1;
          wins += p.score > n.score ? 1 : p.score == n.score ? 0.5 : 0;
        }
    EXPECT_NEAR(calibrate::auc(films), wins / pairs, 1e-12) << "seed " << seed;
  }
}

TEST(Calibration, AucIntervalIsDeterministicAndBracketsTheAuc) {
  const auto films = random_films(7, 300, 50);
  double low, high, low2, high2;
  calibrate::auc_interval(films, 2000, 42, &low, &high);
  calibrate::auc_interval(films, 2000, 42, &low2, &high2);
  EXPECT_EQ(low, low2);
  EXPECT_EQ(high, high2);
  const double a = calibrate::auc(films);
  EXPECT_LT(low, a);
  EXPECT_GT(high, a);
  EXPECT_LT(high - low, 0.2);
}

TEST(Calibration, WilsonMatchesPublishedValues) {
  // Newcombe (1998), table I, and the closed forms at 0 and n.
  cxr_proportion p = calibrate::wilson(81, 263);
  EXPECT_NEAR(p.low, 0.2553, 5e-5);
  EXPECT_NEAR(p.high, 0.3662, 5e-5);
  p = calibrate::wilson(5, 10);
  EXPECT_NEAR(p.low, 0.2366, 5e-5);
  EXPECT_NEAR(p.high, 0.7634, 5e-5);
  p = calibrate::wilson(0, 10);
  EXPECT_EQ(p.low, 0.0);
  EXPECT_NEAR(p.high, 0.2775, 5e-5);
  p = calibrate::wilson(10, 10);
  EXPECT_NEAR(p.low, 0.7225, 5e-5);
  EXPECT_NEAR(p.high, 1.0, 1e-12);
}

std::vector<Film> films_of(const std::vector<float>& pos, const std::vector<float>& neg) {
  std::vector<Film> films;
  for (float s : pos) films.push_back({s, true});
  for (float s : neg) films.push_back({s, false});
  return films;
}

TEST(Calibration, ThresholdRuleOnHandMadeFilms) {
  // 10 positives: sensitivity >= 0.95 needs all 10, >= 0.8 needs 8.
  const std::vector<float> pos = {0.95f, 0.9f, 0.85f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f};
  const std::vector<float> neg = {0.1f, 0.2f, 0.25f, 0.3f, 0.35f, 0.45f, 0.55f, 0.65f, 0.75f, 0.9f};
  const auto films = films_of(pos, neg);
  EXPECT_EQ(calibrate::threshold_for(films, cxr_target_sensitivity, 0.95), 0.2f);
  EXPECT_EQ(calibrate::threshold_for(films, cxr_target_sensitivity, 0.8), 0.4f);
  EXPECT_EQ(calibrate::threshold_for(films, cxr_target_sensitivity, 0.1), 0.95f);
  // Specificity >= 0.8: 8 negatives below; the 8th lowest is 0.65, the next score above is 0.7.
  EXPECT_EQ(calibrate::threshold_for(films, cxr_target_specificity, 0.8), 0.7f);
  const cxr_operating_point op = calibrate::operating_point(films, 0.7f);
  EXPECT_EQ(op.specificity.count, 8u);
  EXPECT_EQ(op.sensitivity.count, 5u);
}

TEST(Calibration, ThresholdRuleMatchesBruteForce) {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    const auto films = random_films(seed, 40 + seed, seed % 3 ? 7 : 500);
    for (double target : {0.5, 0.8, 0.9, 0.95, 0.99}) {
      // Every candidate threshold: each score and the float just above it.
      std::vector<float> candidates;
      for (const Film& f : films) candidates.push_back(f.score), candidates.push_back(std::nextafter(f.score, 2.0f));
      float best_sens = -1, best_spec = 3;
      for (float t : candidates) {
        const cxr_operating_point op = calibrate::operating_point(films, t);
        if (op.sensitivity.value >= target - 1e-12) best_sens = std::max(best_sens, t);
        if (op.specificity.value >= target - 1e-12) best_spec = std::min(best_spec, t);
      }
      EXPECT_EQ(calibrate::threshold_for(films, cxr_target_sensitivity, target), best_sens) << seed << " " << target;
      // Lowest threshold reaching the specificity, taken at a film's score when one lies above.
      const float spec = calibrate::threshold_for(films, cxr_target_specificity, target);
      EXPECT_GE(calibrate::operating_point(films, spec).specificity.value, target - 1e-12);
      EXPECT_EQ(calibrate::operating_point(films, spec).sensitivity.count,
                calibrate::operating_point(films, best_spec).sensitivity.count)
          << seed << " " << target;
    }
  }
}

TEST(Calibration, RocAndReliability) {
  const auto films = films_of({0.95f, 0.8f, 0.8f}, {0.8f, 0.15f, 0.05f});
  const auto points = calibrate::roc(films);
  ASSERT_EQ(points.size(), 5u);  // (0,0), 0.95, 0.8, 0.15, 0.05
  EXPECT_EQ(points[0].true_positive_rate, 0.0);
  EXPECT_DOUBLE_EQ(points[2].true_positive_rate, 1.0);
  EXPECT_DOUBLE_EQ(points[2].false_positive_rate, 1.0 / 3);
  EXPECT_EQ(points.back().false_positive_rate, 1.0);
  cxr_reliability_bin bins[CXR_RELIABILITY_BINS];
  calibrate::reliability(films, bins);
  EXPECT_EQ(bins[8].count, 3u);
  EXPECT_DOUBLE_EQ(bins[8].observed_rate, 2.0 / 3);
  EXPECT_NEAR(bins[8].mean_predicted, 0.8, 1e-7);
  EXPECT_EQ(bins[9].count, 1u);
  EXPECT_EQ(bins[0].count, 1u);
  EXPECT_EQ(bins[1].count, 1u);
}

TEST(Calibration, TemperatureFitIsTheMaximumLikelihood) {
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0, 3);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<double> z(4000);
  std::vector<bool> y(z.size());
  for (size_t i = 0; i < z.size(); ++i) {
    z[i] = normal(rng);
    y[i] = uniform(rng) < 1 / (1 + std::exp(-(z[i] / 2.0 - 0.5)));  // true temperature 2, bias -0.5
  }
  double t, b;
  calibrate::fit_temperature(z, y, &t, &b);
  EXPECT_NEAR(t, 2.0, 0.2);
  EXPECT_NEAR(b, -0.5, 0.15);
  // At the optimum the likelihood's gradient vanishes.
  double ga = 0, gb = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double r = 1 / (1 + std::exp(-(z[i] / t + b))) - y[i];
    ga += r * z[i];
    gb += r;
  }
  EXPECT_NEAR(ga / z.size(), 0, 1e-6);
  EXPECT_NEAR(gb / z.size(), 0, 1e-6);
}

using testing::example_site_record;

TEST(Calibration, RecordRoundTripsAndNamesItself) {
  calibrate::SiteRecord r = example_site_record(), back;
  r.has_temperature = true;
  r.temperature = 1.5;
  r.bias = -0.25;
  const std::string text = calibrate::write_record(r);
  ASSERT_TRUE(calibrate::parse_record(text, &back).ok()) << calibrate::parse_record(text, &back).message;
  EXPECT_EQ(back.threshold, r.threshold);
  EXPECT_EQ(back.temperature, 1.5);
  EXPECT_EQ(back.model.crc32, 0xdeadbeefu);
  EXPECT_EQ(calibrate::write_record(back), text);
  EXPECT_EQ(calibrate::label(back), "site calibration of 2026-12-07, 412 films");
  EXPECT_NE(text.find("\"schema\":\"cxr-site-calibration\""), std::string::npos);
}

TEST(Calibration, MalformedNewerAndForeignRecordsAreRefused) {
  const std::string good = calibrate::write_record(example_site_record());
  calibrate::SiteRecord r;
  auto message = [&](const std::string& text) { return calibrate::parse_record(text, &r).message; };
  EXPECT_NE(message("{").find("not a valid site calibration file"), std::string::npos);
  EXPECT_NE(message("[]").find("not a valid site calibration file"), std::string::npos);
  std::string edited = good;
  edited.replace(edited.find("\"version\":1"), 11, "\"version\":2");
  EXPECT_NE(message(edited).find("update cxr"), std::string::npos);
  edited = good;
  edited.replace(edited.find("\"threshold\":"), 12, "\"threshold\":7");
  EXPECT_NE(message(edited).find("\"threshold\" is out of range"), std::string::npos) << message(edited);
  edited = good;
  edited.replace(edited.find("\"date\""), 6, "\"when\"");
  EXPECT_NE(message(edited).find("\"date\" is missing"), std::string::npos);
  ASSERT_TRUE(calibrate::parse_record(good, &r).ok());
  const Status s = calibrate::check_model(r, {"other", "1.0.0", 0x12345678});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("pneumonia 2.0.0 (crc32 deadbeef)"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("other 1.0.0 (crc32 12345678)"), std::string::npos) << s.message;
}

TEST(Calibration, FilmsHashIsOrderFree) {
  const std::string a(64, '1'), b(64, 'F');
  std::string h1, h2;
  ASSERT_TRUE(calibrate::films_hash({a, b}, &h1).ok());
  ASSERT_TRUE(calibrate::films_hash({std::string(64, 'f'), a}, &h2).ok());
  EXPECT_EQ(h1, h2);
  EXPECT_EQ(h1.size(), 64u);
  EXPECT_FALSE(calibrate::films_hash({"abc"}, &h1).ok());
}

// A tiny random model with an uncertain band 0.2..0.8 around 0.5.
testing::ClassifierPtr banded_classifier() {
  const auto net = testing::make_reference_net("tiny", 5);
  Model base;
  auto bytes = testing::make_test_model_file(net);
  EXPECT_TRUE(read_model(bytes.data(), bytes.size(), &base).ok());
  json::Value meta = base.metadata;
  meta.find("threshold")->set("uncertain_low", json::Value::of(0.2));
  meta.find("threshold")->set("uncertain_high", json::Value::of(0.8));
  return testing::make_classifier(write_model(meta, layer_tensors(net.layers)));
}

TEST(Calibration, ClassifierAppliesTheSiteAndReturnsToDefault) {
  auto c = banded_classifier();
  cxr_model_info info;
  cxr_classifier_info(c.get(), &info);
  // Films the model scores, labelled so that the calibration is meaningful.
  std::vector<float> p, z;
  std::vector<uint8_t> y;
  std::vector<std::string> digests;
  for (uint32_t i = 0; i < 60; ++i) {
    const auto png = testing::chest_like_png(64 + int(i % 7), 64, i + 1);
    cxr_result r;
    ASSERT_EQ(cxr_classify(c.get(), png.data(), png.size(), nullptr, &r, nullptr), cxr_status_ok);
    EXPECT_STREQ(r.calibration, "model default");
    p.push_back(r.probabilities[1]);
    z.push_back(r.positive_log_odds);
    y.push_back(i % 2);
    digests.push_back(std::string(63, '0') + char('a' + i % 6));
  }
  std::vector<const char*> hex;
  for (const auto& d : digests) hex.push_back(d.c_str());
  const cxr_calibration_films films{p.size(), p.data(), z.data(), y.data(), hex.data()};
  cxr_calibration_options options{cxr_target_sensitivity, 0.9, 1, 200, 0, 0};
  cxr_error e;
  cxr_calibration* cal = cxr_calibration_create(c.get(), &films, &options, &e);
  ASSERT_NE(cal, nullptr) << e.message;
  const cxr_calibration_report* rep = cxr_calibration_get_report(cal);
  EXPECT_EQ(rep->num_positive, 30u);
  EXPECT_TRUE(rep->few_films);
  EXPECT_GE(rep->site.sensitivity.value, 0.9);
  const char* json = cxr_calibration_record_json(cal, "2026-12-07", &e);
  ASSERT_NE(json, nullptr) << e.message;
  ASSERT_EQ(cxr_classifier_set_site_calibration(c.get(), json, std::strlen(json), &e), cxr_status_ok) << e.message;
  EXPECT_STREQ(cxr_classifier_calibration_label(c.get()), "site calibration of 2026-12-07, 60 films");
  // The same films, classified under the site, decide as the report said.
  uint32_t caught = 0;
  for (uint32_t i = 0; i < 60; ++i) {
    const auto png = testing::chest_like_png(64 + int(i % 7), 64, i + 1);
    cxr_result r;
    ASSERT_EQ(cxr_classify(c.get(), png.data(), png.size(), nullptr, &r, nullptr), cxr_status_ok);
    EXPECT_STREQ(r.calibration, "site calibration of 2026-12-07, 60 films");
    EXPECT_EQ(r.threshold, rep->site.threshold);
    EXPECT_EQ(r.probabilities[1], calibrate::site_probability(z[i], rep->temperature, rep->bias));
    EXPECT_LE(r.uncertain_low, r.threshold);
    EXPECT_GE(r.uncertain_high, r.threshold);
    // The band keeps its width in log-odds (0.2..0.8 around 0.5: 1.386 each side).
    if (r.uncertain_low > 0) {
      EXPECT_NEAR(std::log(r.threshold / (1 - r.threshold)) - std::log(r.uncertain_low / (1 - r.uncertain_low)),
                  std::log(4.0), 1e-4);
    }
    caught += y[i] && r.decision_class == 1;
  }
  EXPECT_EQ(caught, rep->site.sensitivity.count);
  // Another model refuses it and keeps its default.
  auto other = testing::make_classifier(testing::make_test_model_file("tiny", 6));
  EXPECT_EQ(cxr_classifier_set_site_calibration(other.get(), json, std::strlen(json), &e), cxr_status_invalid_argument);
  EXPECT_NE(std::string(e.message).find("made for the model"), std::string::npos) << e.message;
  EXPECT_STREQ(cxr_classifier_calibration_label(other.get()), "model default");
  ASSERT_EQ(cxr_classifier_set_site_calibration(c.get(), nullptr, 0, &e), cxr_status_ok);
  EXPECT_STREQ(cxr_classifier_calibration_label(c.get()), "model default");
  cxr_calibration_destroy(cal);
}

TEST(Calibration, TooFewFilmsOfAClassAreRefused) {
  auto c = testing::make_classifier(testing::make_test_model_file("tiny", 5));
  std::vector<float> p(50, 0.5f);
  std::vector<uint8_t> y(50, 1);
  for (int i = 0; i < 19; ++i) y[i] = 0;
  const cxr_calibration_films films{p.size(), p.data(), nullptr, y.data(), nullptr};
  const cxr_calibration_options options{cxr_target_sensitivity, 0.95, 0, 0, 0, 0};
  cxr_error e;
  EXPECT_EQ(cxr_calibration_create(c.get(), &films, &options, &e), nullptr);
  EXPECT_NE(std::string(e.message).find("only 19 NORMAL film(s)"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace cxr
