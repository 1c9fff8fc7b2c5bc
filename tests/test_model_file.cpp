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

// Recomputes the CRC-32 trailer after an edit.
std::vector<uint8_t> with_crc(std::vector<uint8_t> bytes) {
  const uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
  for (int k = 0; k < 4; ++k) bytes[bytes.size() - 4 + k] = uint8_t(crc >> (8 * k));
  return bytes;
}

// The record fields (dtype, rank, dims...) right after a tensor's name.
std::vector<uint8_t>::iterator after_name(std::vector<uint8_t>& bytes, const std::string& name) {
  return std::search(bytes.begin(), bytes.end(), name.begin(), name.end()) + name.size();
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
  // The prescale step survives the writer and the reader.
  PreprocessSpec spec = model.info.preprocess;
  spec.prescale_width = 224, spec.prescale_height = 200;
  Model again;
  json::Value metadata = model.metadata;
  metadata.set("preprocess", preprocess_to_json(spec));
  const auto rewritten = write_model(metadata, layer_tensors(model.layers));
  ASSERT_TRUE(read_model(rewritten.data(), rewritten.size(), &again).ok());
  EXPECT_EQ(again.info.preprocess.prescale_width, 224u);
  EXPECT_EQ(again.info.preprocess.prescale_height, 200u);
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
  future[4] = 3;
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
      {[](json::Value& m) {
         m.object.erase(
             std::find_if(m.object.begin(), m.object.end(), [](const auto& kv) { return kv.first == "name"; }));
       },
       "name"},
      {[](json::Value& m) { m.find("preprocess")->set("std", json::Value::of(0.0)); }, "std"},
      {[](json::Value& m) { m.find("preprocess")->set("resize", json::Value::of("zoom")); }, "zoom"},
      {[](json::Value& m) { m.find("input")->set("width", json::Value::of(31.0)); }, "does not match"},
      {[](json::Value& m) { m.find("layers")->array[0].set("type", json::Value::of("lstm")); }, "lstm"},
      {[](json::Value& m) { m.find("preprocess")->set("prescale", json::Value::of(224.0)); }, "prescale"},
      {[](json::Value& m) {
         json::Value p = json::Value::make_object();
         p.set("width", json::Value::of(224.0)), p.set("height", json::Value::of(224.0));
         p.set("filter", json::Value::of("lanczos"));
         m.find("preprocess")->set("prescale", p);
       },
       "triangle"},
  };
  for (const Case& c : cases) {
    const auto bytes = with_metadata_edit(c.edit);
    Model model;
    Status s = read_model(bytes.data(), bytes.size(), &model);
    EXPECT_EQ(s.code, cxr_status_invalid_model) << c.fragment;
    EXPECT_NE(s.message.find(c.fragment), std::string::npos) << s.message;
  }
}

// The metadata's layout has its own number (docs/DESIGN.md, "Metadata
// schema"): written first; absent in files made before it existed, which
// read as schema 1; a newer one is refused as a version, with what to do.
TEST(MetadataSchema, WrittenFirstAndReadBack) {
  const auto bytes = make_test_model_file("tiny", 2);
  Model model;
  ASSERT_TRUE(read_model(bytes.data(), bytes.size(), &model).ok());
  ASSERT_FALSE(model.metadata.object.empty());
  EXPECT_EQ(model.metadata.object.front().first, "metadata_schema");
  EXPECT_EQ(model.metadata.object.front().second.number, double(kMetadataSchema));
  EXPECT_EQ(model.metadata_json.rfind("{\"metadata_schema\":1,", 0), 0u) << model.metadata_json.substr(0, 40);
}

TEST(MetadataSchema, AFileWithoutItIsSchema1) {
  const auto bytes =
      with_metadata_edit([](json::Value& m) { m.object.erase(m.object.begin()); });  // as written before it existed
  Model model;
  const Status s = read_model(bytes.data(), bytes.size(), &model);
  EXPECT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(model.metadata.find("metadata_schema"), nullptr);
  EXPECT_EQ(create_status(bytes).code, cxr_status_ok);
}

TEST(MetadataSchema, TheShippedModelPredatesItAndStillLoads) {
  const auto bytes = testing::read_file(CXR_SOURCE_DIR "/models/pneumonia.cxrm");
  if (bytes.empty()) GTEST_SKIP() << "no models/pneumonia.cxrm in this checkout";
  Model model;
  const Status s = read_model(bytes.data(), bytes.size(), &model);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(model.metadata.find("metadata_schema"), nullptr) << "the shipped file is not to be rewritten for this";
}

TEST(MetadataSchema, ANewerSchemaIsRefusedWithWhatToDo) {
  const auto bytes = with_metadata_edit([](json::Value& m) {
    m.set("metadata_schema", json::Value::of(double(kMetadataSchema + 2)));
    m.set("threshold", json::Value::of("laid out some other way"));  // the schema, not this, is what is named
  });
  Model model;
  const Status s = read_model(bytes.data(), bytes.size(), &model);
  EXPECT_EQ(s.code, cxr_status_unsupported_model_version);
  const std::string expected = "this model file's metadata is schema " + std::to_string(kMetadataSchema + 2) +
                               "; this cxr reads up to " + std::to_string(kMetadataSchema) + ": update cxr";
  EXPECT_NE(s.message.find(expected), std::string::npos) << s.message;
  const Status created = create_status(bytes);
  EXPECT_EQ(created.code, cxr_status_unsupported_model_version);
  EXPECT_NE(created.message.find(expected), std::string::npos) << created.message;
}

TEST(MetadataSchema, RefusesAValueThatIsNotASchemaNumber) {
  static const json::Value kBad[] = {json::Value::of(0.0), json::Value::of(-1.0), json::Value::of(1.5),
                                     json::Value::of("1"), json::Value::make_array()};
  for (const json::Value& bad : kBad) {
    static const json::Value* current;
    current = &bad;
    const auto bytes = with_metadata_edit([](json::Value& m) { m.set("metadata_schema", *current); });
    Model model;
    const Status s = read_model(bytes.data(), bytes.size(), &model);
    EXPECT_EQ(s.code, cxr_status_invalid_model) << json::serialize(bad);
    EXPECT_NE(s.message.find("metadata_schema"), std::string::npos) << s.message;
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
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);               // largest finite
  // Halfway between 1 and the next half (1 + 2^-10): ties go to the even one.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);               // rounds past the largest finite: infinity
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
  EXPECT_GT(widened, 0u);
  size_t decoded = 0;
  for (const ModelTensor& t : f16.tensors) decoded += t.count;
  EXPECT_EQ(f16.values.size(), decoded);
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
  after_name(other, name)[0] = 9;  // the dtype field follows the name
  other = with_crc(other);
  EXPECT_NE(read_model(other.data(), other.size(), &m).message.find("type 9, which this version of cxr cannot read"),
            std::string::npos);
}

// Format version 2: exactly symmetric f32 matrices as upper triangles, every
// tensor byte-planar; version 1 files (interleaved) still read, to the same values.
TEST(ModelFile, Version2StoresSymmetricTrianglesAndPlanarBytesLosslessly) {
  const auto bytes = make_test_model_file("tiny", 5);
  Model base;  // its metadata and tensors, stored again with two matrices and a probe
  ASSERT_TRUE(read_model(bytes.data(), bytes.size(), &base).ok());
  std::vector<TensorRecord> tensors = layer_tensors(base.layers);
  tensors[0].f16 = true;
  const uint32_t n = 7;
  TensorRecord sym{"stats.symmetric", {n, n}, std::vector<float>(n * n)}, square{"stats.square", {n, n}, {}};
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j <= i; ++j)
      sym.values[i * n + j] = sym.values[j * n + i] = 1e5f / float(1 + i + j) - float(i);
  square.values = sym.values;
  square.values[1] = std::nextafter(square.values[1], 1e9f);  // one ulp off: not symmetric
  TensorRecord sym16 = sym;
  sym16.name = "stats.symmetric16", sym16.f16 = true;
  sym16.values[2] = sym16.values[2 * n] = -204800.0f;  // beyond the half range: the scale brings it in
  tensors.push_back(sym);
  tensors.push_back(square);
  tensors.push_back(sym16);
  tensors.push_back({"probe", {3}, {1.0f, -2.0f, 0.5f}, true});  // halves 3C00 C000 3800

  auto v2 = write_model(base.metadata, tensors);
  std::vector<TensorRecord> without16 = tensors;  // version 1 has no scale: -204800 would become infinity
  without16.erase(without16.begin() + ptrdiff_t(tensors.size()) - 2);
  auto v1 = write_model(base.metadata, without16, 1);
  EXPECT_EQ(v2[4], 2);
  EXPECT_EQ(v1[4], 1);
  EXPECT_EQ(after_name(v2, "stats.symmetric")[0], kModelDTypeF32Symmetric);
  EXPECT_EQ(after_name(v2, "stats.square")[0], kModelDTypeF32);
  EXPECT_EQ(after_name(v2, "stats.symmetric16")[0], kModelDTypeF16Symmetric);
  EXPECT_EQ(after_name(v1, "stats.symmetric")[0], kModelDTypeF32);
  const uint8_t planar[] = {0x3C, 0xC0, 0x38, 0x00, 0x00, 0x00}, interleaved[] = {0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38};
  EXPECT_NE(std::search(v2.begin(), v2.end(), std::begin(planar), std::end(planar)), v2.end());
  EXPECT_NE(std::search(v1.begin(), v1.end(), std::begin(interleaved), std::end(interleaved)), v1.end());
  for (const auto* file : {&v1, &v2}) {
    Model m;
    const Status s = read_model(file->data(), file->size(), &m);
    ASSERT_TRUE(s.ok()) << s.message;
    for (const TensorRecord& t : file == &v1 ? without16 : tensors) {
      const ModelTensor* read = m.find_tensor(t.name);
      ASSERT_NE(read, nullptr) << t.name;
      EXPECT_EQ(read->dims, t.dims);
      ASSERT_EQ(read->count, t.values.size());
      for (size_t k = 0; k < read->count; ++k) {
        const float want = t.f16 ? half_to_float(float_to_half(t.values[k])) : t.values[k];
        if (t.name == "stats.symmetric16" && file == &v2)  // scaled by a power of two: the same 11 significant bits
          ASSERT_NEAR(read->data[k], t.values[k], std::abs(t.values[k]) * std::ldexp(1.0, -11)) << k;
        else ASSERT_EQ(0, std::memcmp(&read->data[k], &want, 4)) << t.name << "[" << k << "]";
      }
    }
  }
  Model m;
  ASSERT_TRUE(read_model(v2.data(), v2.size(), &m).ok());
  const ModelTensor* sym16_read = m.find_tensor("stats.symmetric16");
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) ASSERT_EQ(sym16_read->data[i * n + j], sym16_read->data[j * n + i]);
  EXPECT_EQ(sym16_read->data[2], -204800.0f);  // / 2^3 = 25600, a half exactly
  // The records' byte lengths (after dtype, rank, two dims and the offset): the triangles only.
  auto stored_bytes = [](std::vector<uint8_t>& file, const std::string& name) {
    return uint32_t(after_name(file, name)[24]) | uint32_t(after_name(file, name)[25]) << 8;
  };
  EXPECT_EQ(stored_bytes(v1, "stats.symmetric"), n * n * 4);
  EXPECT_EQ(stored_bytes(v2, "stats.symmetric"), n * (n + 1) / 2 * 4);
  EXPECT_EQ(stored_bytes(v2, "stats.symmetric16"), 4 + n * (n + 1) / 2 * 2);  // the scale, then the halves

  auto old = v2;
  old[4] = 1;  // a version 1 file cannot hold the new type
  old = with_crc(old);
  EXPECT_NE(read_model(old.data(), old.size(), &m).message.find("'stats.symmetric' has type 3, which a version 1 file"),
            std::string::npos);
  auto oblong = v2;
  after_name(oblong, "stats.symmetric")[12] = n - 1;  // dims [7, 6]
  oblong = with_crc(oblong);
  EXPECT_NE(read_model(oblong.data(), oblong.size(), &m).message.find("symmetric matrix but is not square"),
            std::string::npos);
  for (size_t size = 0; size < v2.size(); size += 5) ASSERT_FALSE(read_model(v2.data(), size, &m).ok()) << size;
}

}  // namespace
}  // namespace cxr
