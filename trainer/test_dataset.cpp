// Unit tests of the patient-level validation split (no data, no LibTorch).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "trainer/dataset.h"

namespace cxr::train {
namespace {

// Two films per patient: pneumonia person1..person20, normal IM-0001..IM-0010
// and NORMAL2-IM-0011..0020, listed out of id order.
std::vector<Sample> samples() {
  std::vector<Sample> out;
  for (int id = 20; id >= 1; --id)
    for (int film = 1; film <= 2; ++film) {
      Sample p;
      p.label = kPneumonia;
      p.patient = "person" + std::to_string(id);
      p.name = "train/PNEUMONIA/" + p.patient + "_bacteria_" + std::to_string(film) + ".jpeg";
      out.push_back(p);
      Sample n;
      n.label = kNormal;
      char id4[8];
      std::snprintf(id4, sizeof id4, "%04d", id);
      n.patient = std::string(id > 10 ? "NORMAL2-IM-" : "IM-") + id4;
      n.name = "train/NORMAL/" + n.patient + "-000" + std::to_string(film) + ".jpeg";
      out.push_back(n);
    }
  return out;
}

std::set<std::string> validation_patients(const std::vector<Sample>& s, const Split& split) {
  std::set<std::string> patients;
  for (size_t i : split.validation) patients.insert(s[i].patient);
  for (size_t i : split.train) EXPECT_EQ(patients.count(s[i].patient), 0u) << s[i].patient << " on both sides";
  return patients;
}

TEST(Split, LowestAndHighestIdsPerClass) {
  const std::vector<Sample> s = samples();
  const Split low = split_by_patient(s, 0.2, 1, SplitOrder::lowest_ids);
  EXPECT_EQ(validation_patients(s, low), (std::set<std::string>{"person1", "person2", "person3", "person4", "IM-0001",
                                                                "IM-0002", "IM-0003", "IM-0004"}));
  EXPECT_EQ(low.validation.size(), 16u);
  EXPECT_EQ(low.train.size() + low.validation.size(), s.size());
  const Split high = split_by_patient(s, 0.2, 1, SplitOrder::highest_ids);
  EXPECT_EQ(validation_patients(s, high),
            (std::set<std::string>{"person17", "person18", "person19", "person20", "NORMAL2-IM-0017", "NORMAL2-IM-0018",
                                   "NORMAL2-IM-0019", "NORMAL2-IM-0020"}));
  EXPECT_NE(low.validation_patients_hash, high.validation_patients_hash);
}

TEST(Split, ShuffleIsSeededAndStratified) {
  const std::vector<Sample> s = samples();
  const Split a = split_by_patient(s, 0.2, 7), b = split_by_patient(s, 0.2, 7), c = split_by_patient(s, 0.2, 8);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation_patients_hash, c.validation_patients_hash);
  size_t normal = 0;
  for (const std::string& p : validation_patients(s, a)) normal += p.find("IM-") != std::string::npos;
  EXPECT_EQ(normal, 4u);
  EXPECT_EQ(a.validation_patients, 8u);
}

TEST(Split, Normal2BatchHoldsOutTheWholeBatch) {
  const std::vector<Sample> s = samples();
  const Split a = split_by_patient(s, 0.2, 3, SplitOrder::normal2_batch);
  const std::set<std::string> held = validation_patients(s, a);
  size_t normal2 = 0, pneumonia = 0;
  for (const std::string& p : held) {
    normal2 += p.rfind("NORMAL2-", 0) == 0;
    pneumonia += p.rfind("person", 0) == 0;
  }
  EXPECT_EQ(normal2, 10u);   // all of them, whatever the fraction
  EXPECT_EQ(pneumonia, 4u);  // 20% of 20
  EXPECT_EQ(held.size(), 14u);
  for (size_t i : a.train) EXPECT_EQ(s[i].patient.rfind("NORMAL2-", 0), std::string::npos);
  EXPECT_EQ(split_by_patient(s, 0.2, 3, SplitOrder::normal2_batch).validation, a.validation);
}

TEST(Split, OrderNamesRoundTrip) {
  for (SplitOrder o :
       {SplitOrder::shuffle, SplitOrder::lowest_ids, SplitOrder::highest_ids, SplitOrder::normal2_batch}) {
    SplitOrder parsed;
    ASSERT_TRUE(parse_split_order(split_order_name(o), &parsed));
    EXPECT_EQ(parsed, o);
  }
  SplitOrder parsed;
  EXPECT_FALSE(parse_split_order("random", &parsed));
}

}  // namespace
}  // namespace cxr::train
