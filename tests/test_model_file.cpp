#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "cxr/cxr.h"
#include "model/model_file.h"
#include "support/reference_nets.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

using testing::make_reference_net;
using testing::make_test_model_file;

// Re-serialises a test model after editing its metadata (checksum stays valid).
std::vector<uint8_t> with_metadata_edit(void (*edit)(json::Value&)) {
  const auto net = make_reference_net("tiny", 3);
  Model model;
  const auto bytes = make_test_model_file(net);
  EXPECT_TRUE(read_model(bytes.data(), bytes.size(), &model).ok());
  json::Value meta = model.metadata;
  edit(meta);
  return write_model(meta, layer_tensors(net.layers));
}

Status create_status(const std::vector<uint8_t>& bytes) {
  cxr_error error;
  cxr_classifier* c = cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &error);
  cxr_classifier_destroy(c);
  return Status{error.status, error.message};
}

TEST(ModelFile, RoundTripKeepsEveryTensorAndField) {
  const auto net = make_reference_net("tiny", 7);
  const auto bytes = make_test_model_file(net);
  Model model;
  Status s = read_model(bytes.data(), bytes.size(), &model);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(model.info.name, "random-tiny");
  EXPECT_EQ(model.info.classes, (std::vector<std::string>{"NORMAL", "PNEUMONIA"}));
  EXPECT_EQ(model.info.preprocess.normalize, Normalization::per_image);
  EXPECT_TRUE(model.info.preprocess.equalize);
  ASSERT_EQ(model.layers.size(), net.layers.size());
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerDesc &a = net.layers[i], &b = model.layers[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.groups, b.groups);
    EXPECT_EQ(a.activation, b.activation);
    EXPECT_EQ(a.pad_bottom, b.pad_bottom);
    EXPECT_EQ(a.weight.dims, b.weight.dims);
    if (a.weight.data) {
      size_t n = 1;
      for (uint32_t d : a.weight.dims) n *= d;
      EXPECT_EQ(0, std::memcmp(a.weight.data, b.weight.data, n * 4)) << a.name;
    }
  }
  EXPECT_NE(model.metadata.find("provenance"), nullptr);
}

TEST(ModelFile, RefusesTruncationAtEveryOffset) {
  const auto bytes = make_test_model_file("tiny", 1);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Model model;
    Status s = read_model(bytes.data(), n, &model);
    ASSERT_EQ(s.code, cxr_status_invalid_model) << "truncated to " << n;
    ASSERT_FALSE(s.message.empty());
  }
}

TEST(ModelFile, RefusesEveryFlippedByte) {
  const auto good = make_test_model_file("tiny", 1);
  for (size_t i = 0; i < good.size(); i += 7) {
    auto bytes = good;
    bytes[i] ^= 0x5A;
    Model model;
    Status s = read_model(bytes.data(), bytes.size(), &model);
    ASSERT_FALSE(s.ok()) << "byte " << i;
  }
}

TEST(ModelFile, NamesTheProblem) {
  auto bytes = make_test_model_file("tiny", 1);
  Model model;
  auto message = [&](const std::vector<uint8_t>& b) { return read_model(b.data(), b.size(), &model).message; };

  auto pdf = bytes;
  std::memcpy(pdf.data(), "%PDF", 4);
  EXPECT_NE(message(pdf).find("not a cxr model"), std::string::npos);

  auto future = bytes;
  future[4] = 2;
  EXPECT_EQ(read_model(future.data(), future.size(), &model).code, cxr_status_unsupported_model_version);
  EXPECT_NE(message(future).find("update cxr"), std::string::npos);
  future[4] = 0;
  EXPECT_NE(message(future).find("re-export"), std::string::npos);

  auto damaged = bytes;
  damaged[damaged.size() / 2] ^= 1;
  EXPECT_NE(message(damaged).find("checksum"), std::string::npos);
}

TEST(ModelFile, RefusesBadMetadata) {
  struct Case {
    void (*edit)(json::Value&);
    const char* fragment;
  };
  const Case cases[] = {
      {[](json::Value& m) { m.set("classes", json::Value::make_array()); }, "classes"},
      {[](json::Value& m) { m.set("temperature", json::Value::of(-1.0)); }, "temperature"},
      {[](json::Value& m) { m.set("positive_class", json::Value::of(5.0)); }, "positive_class"},
      {[](json::Value& m) { m.object.erase(m.object.begin()); }, "name"},
      {[](json::Value& m) { m.find("preprocess")->set("std", json::Value::of(0.0)); }, "std"},
      {[](json::Value& m) { m.find("preprocess")->set("resize", json::Value::of("zoom")); },
       "zoom"},
      {[](json::Value& m) { m.find("input")->set("width", json::Value::of(31.0)); },
       "does not match"},
      {[](json::Value& m) { m.find("layers")->array[0].set("type", json::Value::of("lstm")); }, "lstm"},
  };
  for (const Case& c : cases) {
    const auto bytes = with_metadata_edit(c.edit);
    Model model;
    Status s = read_model(bytes.data(), bytes.size(), &model);
    EXPECT_EQ(s.code, cxr_status_invalid_model) << c.fragment;
    EXPECT_NE(s.message.find(c.fragment), std::string::npos) << s.message;
  }
}

TEST(ModelFile, ClassifierRefusesShapesThatDoNotMatchTheLayers) {
  auto net = make_reference_net("tiny", 1);
  net.tensors[0].dims = {8, 3, 3, 2};  // conv1.weight claims 2 input channels
  net.tensors[0].values.resize(8 * 9 * 2);
  net.layers[0].weight = TensorView{net.tensors[0].values.data(), net.tensors[0].dims};
  Status s = create_status(make_test_model_file(net));
  EXPECT_EQ(s.code, cxr_status_invalid_model);
  EXPECT_NE(s.message.find("conv1"), std::string::npos) << s.message;

  net = make_reference_net("tiny", 1);
  net.layers.pop_back();  // no logits layer: 12 outputs for 2 classes
  s = create_status(make_test_model_file(net));
  EXPECT_NE(s.message.find("12 outputs for 2 classes"), std::string::npos) << s.message;
}

TEST(ModelFile, RefusesNonFiniteWeights) {
  auto net = make_reference_net("tiny", 1);
  net.tensors[1].values[0] = std::numeric_limits<float>::quiet_NaN();
  const auto bytes = make_test_model_file(net);
  Model model;
  Status s = read_model(bytes.data(), bytes.size(), &model);
  EXPECT_NE(s.message.find("NaN"), std::string::npos) << s.message;
}

TEST(ModelFile, Crc32MatchesTheBitwiseDefinition) {
  const char* check = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(check), 9), 0xCBF43926u);  // the standard check value
  std::mt19937 rng(testing::test_seed());
  std::vector<uint8_t> bytes(1000);
  for (uint8_t& b : bytes) b = uint8_t(rng());
  for (size_t start : {0, 1, 3, 7}) {
    for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 990}) {
      uint32_t bitwise = 0xFFFFFFFFu;
      for (size_t i = start; i < start + n; ++i) {
        bitwise ^= bytes[i];
        for (int k = 0; k < 8; ++k) bitwise = (bitwise >> 1) ^ (0xEDB88320u & (0u - (bitwise & 1)));
      }
      ASSERT_EQ(crc32(bytes.data() + start, n), ~bitwise) << start << "+" << n;
    }
  }
}

TEST(HalfFloat, EveryHalfRoundTripsAndFloatsRoundToNearestEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(uint16_t(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), h) << std::hex << h;
  }
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);                // largest finite
  // Halfway between 1 and the next half (1 + 2^-10): ties go to the even one.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);  // rounds past the largest finite: infinity
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -26)), 0x0000);  // below half the smallest subnormal
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(ModelFile, HalfPrecisionWeightsLoadWidenedAndClassifyAlike) {
  const auto net = make_reference_net("tiny", 4);
  Model f32;
  const auto full = make_test_model_file(net);
  ASSERT_TRUE(read_model(full.data(), full.size(), &f32).ok());
  std::vector<TensorRecord> tensors = layer_tensors(net.layers);
  for (TensorRecord& t : tensors) t.f16 = t.name.size() > 7 && t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
  const auto half = write_model(f32.metadata, tensors);
  EXPECT_LT(half.size(), full.size());
  Model f16;
  Status s = read_model(half.data(), half.size(), &f16);
  ASSERT_TRUE(s.ok()) << s.message;
  size_t widened = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ModelTensor* t = f16.find_tensor(tensors[i].name);
    ASSERT_NE(t, nullptr);
    widened += tensors[i].f16 ? t->count : 0;
    for (size_t k = 0; k < t->count; ++k) {
      const float v = tensors[i].values[k];
      // Half keeps 11 significant bits: relative error <= 2^-11 (normal range).
      if (tensors[i].f16) ASSERT_NEAR(t->data[k], v, std::abs(v) * std::ldexp(1.0, -11) + 1e-7) << tensors[i].name;
      else ASSERT_EQ(t->data[k], v);
    }
  }
  EXPECT_EQ(f16.expanded.size(), widened);
  // Same film, both files: the rounding moves the probabilities a little.
  const auto film = testing::chest_like_png(300, 280, 9);
  auto a = testing::make_classifier(full), b = testing::make_classifier(half);
  ASSERT_TRUE(a && b);
  cxr_result ra, rb;
  cxr_error e;
  ASSERT_EQ(cxr_classify(a.get(), film.data(), film.size(), nullptr, &ra, &e), cxr_status_ok);
  ASSERT_EQ(cxr_classify(b.get(), film.data(), film.size(), nullptr, &rb, &e), cxr_status_ok);
  EXPECT_NEAR(ra.probabilities[1], rb.probabilities[1], 1e-2);
  // Every truncation of the f16 file is refused too.
  for (size_t n = 0; n < half.size(); n += 3) {
    Model m;
    ASSERT_FALSE(read_model(half.data(), n, &m).ok()) << n;
  }
  // A type this core does not know is named.
  auto other = half;
  Model m;
  const std::string name = tensors[0].name;
  auto at = std::search(other.begin(), other.end(), name.begin(), name.end()) + name.size();
  at[0] = 9;  // the dtype field follows the name
  std::vector<uint8_t> body(other.begin(), other.end() - 4);
  const uint32_t crc = crc32(body.data(), body.size());
  for (int k = 0; k < 4; ++k) other[other.size() - 4 + k] = uint8_t(crc >> (8 * k));
  EXPECT_NE(read_model(other.data(), other.size(), &m).message.find("type 9, which this version of cxr cannot read"),
            std::string::npos);
}

}  // namespace
}  // namespace cxr
