// core/decode DICOM: every supported combination cross-checked against
// pydicom's pipeline, every refusal with its status and words, safety
// warnings, the same film as JPEG and as DICOM through cxr_classify, and
// hostile structure (truncations, mutations, deep nesting, random bytes).
// Hand-built hostile structure and sniffing: test_dicom_structure.cpp.
//
// The files come from tests/dicom/make_dicom_fixtures.py (pydicom), run by
// ctest's cxr_dicom_fixtures step into the build folder, or from here when
// the folder is missing (native only). Each decodable case has the expected
// display image beside it as float32 in [0, 1].
//
// Tolerance: the core computes each display value in double and stores
// round(65535 y), so it is within 0.5/65535 of the exact value; pydicom's
// value (float64, the same formulas) is stored as float32 (relative error
// 6e-8, i.e. < 0.004/65535). 1/65535 therefore bounds every uncompressed case
// with room to spare, and any real pipeline error (a missed mask, slope, -0.5
// or inversion) is hundreds of levels. JPEG cases compare two different
// decoders (stb here, libjpeg-turbo in Pillow: at most 1 level of 255 apart
// on these files) and carry 2-3 levels in the manifest, plus a bound on the
// mean difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "cxr/cxr.h"
#include "decode/dicom.h"
#include "decode/image.h"
#include "model/json.h"
#include "support/test_data.h"
#include "support/test_model.h"

namespace cxr {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------- fixtures

struct Fixtures {
  std::string dir;
  std::string missing;  // why there are none
  json::Value manifest;
};

Fixtures load_fixtures() {
  Fixtures f;
  f.dir = CXR_DICOM_FIXTURES;
  const std::string manifest_path = f.dir + "/manifest.json";
#if !defined(__EMSCRIPTEN__)
  if (!fs::exists(manifest_path) && fs::exists("/usr/bin/python3")) {
    const std::string command = std::string("/usr/bin/python3 '") + CXR_DICOM_GENERATOR + "' '" + f.dir + "' '" +
                                testing::shared_data_dir() + "'";
    (void)std::system(command.c_str());
  }
#endif
  const Bytes text = testing::read_file(manifest_path);
  if (text.empty()) {
    f.missing = "DICOM fixtures not found in " + f.dir +
                ": /usr/bin/python3 needs pydicom, numpy and PIL (make deps installs python3-pydicom "
                "python3-numpy python3-pil), then run ctest (its cxr_dicom_fixtures step) or "
                "tests/dicom/make_dicom_fixtures.py " +
                f.dir;
    return f;
  }
  Status s = json::parse(std::string(text.begin(), text.end()), &f.manifest);
  if (!s.ok()) f.missing = "DICOM fixture manifest unreadable: " + s.message;
  return f;
}

const Fixtures& fixtures() {
  static const Fixtures f = load_fixtures();
  return f;
}

#define CXR_REQUIRE_DICOM_FIXTURES()                                     \
  do {                                                                   \
    if (!fixtures().missing.empty()) GTEST_SKIP() << fixtures().missing; \
  } while (0)

const json::Value* find_case(const std::string& name) {
  const json::Value* cases = fixtures().manifest.find("cases");
  if (!cases || !cases->is_array()) return nullptr;
  for (const json::Value& c : cases->array) {
    const json::Value* n = c.find("name");
    if (n && n->string == name) return &c;
  }
  return nullptr;
}

std::string text(const json::Value& c, const char* key) {
  const json::Value* v = c.find(key);
  return v && v->is_string() ? v->string : "";
}

double number(const json::Value& c, const char* key, double fallback) {
  const json::Value* v = c.find(key);
  return v && v->is_number() ? v->number : fallback;
}

Bytes case_bytes(const json::Value& c) { return testing::read_file(fixtures().dir + "/" + text(c, "file")); }

// Words that only the fixtures' patient identifiers contain.
void expect_no_identifiers(const std::string& said) {
  const json::Value* ids = fixtures().manifest.find("patient_identifiers");
  if (!ids) return;
  for (const json::Value& id : ids->array)
    EXPECT_EQ(said.find(id.string), std::string::npos) << "a patient identifier leaked: " << said;
}

std::vector<float> read_floats(const std::string& path) {
  const Bytes raw = testing::read_file(path);
  std::vector<float> v(raw.size() / 4);
  std::memcpy(v.data(), raw.data(), v.size() * 4);
  return v;
}

bool has_warning(const Image& image, const std::string& words) {
  return std::any_of(image.warnings.begin(), image.warnings.end(),
                     [&](const std::string& w) { return w.find(words) != std::string::npos; });
}

// Case `name` from the manifest, which must expect `expect` ("ok" or
// "error"), and its file, which must sniff as DICOM.
void read_case(const std::string& name, const char* expect, const json::Value** c, Bytes* bytes) {
  *c = find_case(name);
  ASSERT_TRUE(*c) << "case " << name << " is missing from the fixture manifest";
  ASSERT_EQ(text(**c, "expect"), expect);
  *bytes = case_bytes(**c);
  ASSERT_FALSE(bytes->empty());
  EXPECT_EQ(sniff_format(bytes->data(), bytes->size(), nullptr), ImageFormat::dicom);
}

// A case the core must decode to pydicom's display image.
void check_decodes(const std::string& name) {
  if (!find_case(name) && name.rfind("real_", 0) == 0)
    GTEST_SKIP() << "../shared/data was absent when the fixtures were made";
  const json::Value* c = nullptr;
  Bytes bytes;
  ASSERT_NO_FATAL_FAILURE(read_case(name, "ok", &c, &bytes));

  Image image;
  const Status s = decode_image(bytes.data(), bytes.size(), &image);
  ASSERT_TRUE(s.ok()) << s.message;
  expect_no_identifiers(s.message);
  EXPECT_EQ(image.format, ImageFormat::dicom);
  EXPECT_EQ(image.bit_depth, 16u);
  EXPECT_EQ(image.max_value, 65535u);
  ASSERT_EQ(image.width, uint32_t(number(*c, "width", 0)));
  ASSERT_EQ(image.height, uint32_t(number(*c, "height", 0)));
  ASSERT_EQ(image.pixels.size(), size_t(image.width) * image.height);

  const std::vector<float> expected = read_floats(fixtures().dir + "/" + text(*c, "expected"));
  ASSERT_EQ(expected.size(), image.pixels.size());
  const double tolerance = number(*c, "tolerance", 1.0 / 65535) + 1e-7;
  double worst = 0, total = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double d = std::abs(image.pixels[i] / 65535.0 - double(expected[i]));
    total += d;
    if (d > worst) worst = d, worst_at = i;
  }
  ::testing::Test::RecordProperty("worst_of_65535", std::to_string(worst * 65535));
  ::testing::Test::RecordProperty("mean_of_65535", std::to_string(total / expected.size() * 65535));
  EXPECT_LE(worst, tolerance) << "worst pixel (" << worst_at % image.width << ", " << worst_at / image.width
                              << "): core " << image.pixels[worst_at] / 65535.0 << ", pydicom " << expected[worst_at]
                              << " (" << worst * 65535 << " of 65535)";
  if (const json::Value* mean = c->find("mean_tolerance")) {
    EXPECT_LE(total / expected.size(), mean->number) << "mean difference from pydicom";
  }

  const json::Value* warnings = c->find("warnings");
  if (warnings) {
    for (const json::Value& w : warnings->array)
      EXPECT_TRUE(has_warning(image, w.string)) << "no warning: " << w.string;
  }
  const json::Value* exact = c->find("exact_warnings");
  if (exact && exact->boolean && warnings) {
    EXPECT_EQ(image.warnings.size(), warnings->array.size());
    for (const std::string& w : image.warnings) ADD_FAILURE() << "unexpected warning: " << w;
  }
  for (const std::string& w : image.warnings) expect_no_identifiers(w);
}

cxr_status status_named(const std::string& name) {
  if (name == "unsupported_format") return cxr_status_unsupported_format;
  if (name == "corrupt_input") return cxr_status_corrupt_input;
  if (name == "too_large") return cxr_status_too_large;
  return cxr_status_internal;
}

// A case the core must refuse, with that status and words in the message.
void check_refuses(const std::string& name) {
  SCOPED_TRACE(name);
  const json::Value* c = nullptr;
  Bytes bytes;
  ASSERT_NO_FATAL_FAILURE(read_case(name, "error", &c, &bytes));
  Image image;
  const Status s = decode_image(bytes.data(), bytes.size(), &image);
  EXPECT_EQ(s.code, status_named(text(*c, "status"))) << s.message;
  EXPECT_NE(s.message.find(text(*c, "message")), std::string::npos)
      << "message \"" << s.message << "\" lacks \"" << text(*c, "message") << "\"";
  EXPECT_LT(s.message.size(), size_t(CXR_MESSAGE_CAPACITY - 1)) << "message cut short: " << s.message;
  EXPECT_TRUE(image.pixels.empty());
  EXPECT_EQ(image.width, 0u);
  expect_no_identifiers(s.message);
}

#define DICOM_DECODES(suite, test, name) \
  TEST(suite, test) {                    \
    CXR_REQUIRE_DICOM_FIXTURES();        \
    check_decodes(name);                 \
  }

#define DICOM_REFUSES(suite, test, name) \
  TEST(suite, test) {                    \
    CXR_REQUIRE_DICOM_FIXTURES();        \
    check_refuses(name);                 \
  }

// ---------------------------------------------------------------- the matrix

DICOM_DECODES(DicomSyntax, Mono16ExplicitPart10, "mono16_explicit_part10")
DICOM_DECODES(DicomSyntax, Mono16ImplicitPart10, "mono16_implicit_part10")
DICOM_DECODES(DicomSyntax, Mono16ImplicitBare, "mono16_implicit_bare")
DICOM_DECODES(DicomSyntax, Mono16ExplicitBare, "mono16_explicit_bare")
DICOM_DECODES(DicomSyntax, Mono8ExplicitPart10, "mono8_explicit_part10")
DICOM_DECODES(DicomSyntax, Mono8ImplicitBare, "mono8_implicit_bare")

DICOM_DECODES(DicomStoredValue, Bits12UnsignedMasksAboveHighBit, "bits12_unsigned_masked")
DICOM_DECODES(DicomStoredValue, Bits12SignedMasksAndSignExtends, "bits12_signed_masked")
DICOM_DECODES(DicomStoredValue, Signed16, "signed16")

DICOM_DECODES(DicomPadding, ValueIsBlackAndOutOfTheMinMax, "padding_value")
DICOM_DECODES(DicomPadding, RangeLimitWithMonochrome1StaysBlack, "padding_range_monochrome1")
DICOM_DECODES(DicomPadding, SignedPaddingWithWindow, "padding_signed_window")

DICOM_DECODES(DicomModalityLut, SlopeHalfNonIntegerIntercept, "rescale_half_window")
DICOM_DECODES(DicomModalityLut, SlopeQuarterMinMax, "rescale_quarter_minmax")
DICOM_DECODES(DicomModalityLut, NegativeSlopeIsNotInverted, "rescale_negative_window")
DICOM_DECODES(DicomModalityLut, NegativeSlopeSignedMinMax, "rescale_negative_signed_minmax")
DICOM_DECODES(DicomModalityLut, ModalityLutSequence, "modality_lut_sequence")

DICOM_DECODES(DicomVoi, WindowLinear, "window_linear")
DICOM_DECODES(DicomVoi, WindowMultiValuedUsesTheFirst, "window_multivalued")
DICOM_DECODES(DicomVoi, WindowLinearExact, "window_linear_exact")
DICOM_DECODES(DicomVoi, WindowSigmoid, "window_sigmoid")
DICOM_DECODES(DicomVoi, WindowWidthOne, "window_width_one")
DICOM_DECODES(DicomVoi, Monochrome1InvertsAfterTheWindow, "monochrome1_window")
DICOM_DECODES(DicomVoi, Monochrome1MinMax, "monochrome1_minmax")
DICOM_DECODES(DicomVoi, VoiLutSequenceWinsOverTheWindow, "voi_lut_sequence_16bit")
DICOM_DECODES(DicomVoi, VoiLutSequence8BitImplicit, "voi_lut_sequence_8bit_implicit")

DICOM_DECODES(DicomColour, RgbInterleaved, "rgb_interleaved")
DICOM_DECODES(DicomColour, RgbPlanar, "rgb_planar")
DICOM_DECODES(DicomColour, GrayContentInRgbHasNoWarning, "rgb_gray_content_planar")
DICOM_DECODES(DicomColour, YbrFullUsesY, "ybr_full")

DICOM_DECODES(DicomMultiFrame, NativeFirstFrameWithWarning, "multiframe_native")

DICOM_DECODES(DicomJpeg, GrayEncapsulated, "jpeg_gray_encapsulated")
DICOM_DECODES(DicomJpeg, ColourEncapsulated, "jpeg_colour_encapsulated")
DICOM_DECODES(DicomJpeg, MultiFrameMonochrome1WithOffsetTable, "jpeg_multiframe_monochrome1")

DICOM_DECODES(DicomRle, Mono16, "rle_mono16")
DICOM_DECODES(DicomRle, Mono8, "rle_mono8")
DICOM_DECODES(DicomRle, Signed12, "rle_signed12")
DICOM_DECODES(DicomRle, Rgb, "rle_rgb")
DICOM_DECODES(DicomRle, MultiFrame, "rle_multiframe")

DICOM_DECODES(DicomStructure, NestedSequencesAndIconImplicit, "nested_sequences_and_icon")
DICOM_DECODES(DicomStructure, NestedSequencesAndIconExplicit, "nested_sequences_and_icon_explicit")

DICOM_DECODES(DicomMetadata, LateralViewPosition, "meta_lateral_view")
DICOM_DECODES(DicomMetadata, LateralSeriesDescription, "meta_lateral_series")
DICOM_DECODES(DicomMetadata, AdultPatient, "meta_adult")
DICOM_DECODES(DicomMetadata, BodyPartOtherThanChest, "meta_body_part")
DICOM_DECODES(DicomMetadata, ModalityCt, "meta_ct")
DICOM_DECODES(DicomMetadata, ChildInMonthsNoWarning, "meta_child_months_no_warning")

TEST(DicomRefusal, UnsupportedTransferSyntaxesNameThemselvesAndAConversion) {
  CXR_REQUIRE_DICOM_FIXTURES();
  for (const char* name :
       {"syntax_jpeg2000", "syntax_jpeg2000_lossless", "syntax_jpeg_lossless", "syntax_jpeg_lossless_57",
        "syntax_jpeg_extended", "syntax_jpeg_ls", "syntax_jpeg_ls_near", "syntax_htj2k", "syntax_mpeg4", "syntax_hevc",
        "syntax_unknown", "syntax_big_endian", "syntax_deflated"})
    check_refuses(name);
}

TEST(DicomRefusal, JpegFamilyMessageSaysHowToConvert) {
  CXR_REQUIRE_DICOM_FIXTURES();
  const json::Value* c = find_case("syntax_jpeg2000");
  ASSERT_TRUE(c);
  const Bytes bytes = case_bytes(*c);
  Image image;
  const Status s = decode_image(bytes.data(), bytes.size(), &image);
  EXPECT_NE(s.message.find("DICOM compressed with JPEG 2000 is not supported"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("gdcmconv --raw in.dcm out.dcm"), std::string::npos) << s.message;
}

DICOM_REFUSES(DicomRefusal, TruncatedNativePixelData, "truncated_native")
DICOM_REFUSES(DicomRefusal, PixelDataShorterThanTheImage, "short_native")
DICOM_REFUSES(DicomRefusal, TruncatedJpegFragment, "truncated_jpeg")
DICOM_REFUSES(DicomRefusal, TruncatedRleFragment, "truncated_rle")
DICOM_REFUSES(DicomRefusal, OversizedSide, "oversized_side")
DICOM_REFUSES(DicomRefusal, OversizedPixelCount, "oversized_pixels")
DICOM_REFUSES(DicomRefusal, FrameCountThatWouldOverflow, "overflowing_frames")
DICOM_REFUSES(DicomRefusal, BitsAllocated32, "bits_allocated_32")
DICOM_REFUSES(DicomRefusal, PaletteColour, "palette_colour")
DICOM_REFUSES(DicomRefusal, NoPixelData, "no_pixel_data")

// ---------------------------------------------------------------- real films

using testing::ClassifierPtr;

struct Outcome {
  bool ok = false;
  std::string error;
  float probabilities[CXR_MAX_CLASSES] = {};
  uint32_t predicted = 0, decision = 0, bit_depth = 0;
  float threshold = 0;
};

Outcome classify(cxr_classifier* c, const Bytes& bytes) {
  Outcome o;
  cxr_result r;
  cxr_error e;
  cxr_classify_options options{0};
  o.ok = cxr_classify(c, bytes.data(), bytes.size(), &options, &r, &e) == cxr_status_ok;
  if (!o.ok) {
    o.error = e.message;
    return o;
  }
  std::copy(r.probabilities, r.probabilities + r.num_classes, o.probabilities);
  o.predicted = r.predicted_class;
  o.decision = r.decision_class;
  o.bit_depth = r.image_bit_depth;
  o.threshold = r.threshold;
  return o;
}

// The same X-ray as its JPEG and as DICOM gives the same answer. Encapsulated:
// the same bytes through the same decoder, so the same pixels (8-bit v and
// 16-bit 257 v normalise to the same float) and the same probabilities.
// Uncompressed: Pillow's decode of the JPEG, a level or two from stb's here
// and there, so probabilities within 0.02 and the same class unless the
// positive probability sits within that distance of the threshold.
void check_same_as_jpeg(const std::string& name) {
  check_decodes(name);
  if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure()) return;
  const json::Value* c = find_case(name);
  const Bytes jpeg = testing::read_file(text(*c, "same_as"));
  ASSERT_FALSE(jpeg.empty()) << text(*c, "same_as");
  const Bytes dicom = case_bytes(*c);
  const Bytes model = testing::make_test_model_file("tiny", 5);
  cxr_error error;
  ClassifierPtr classifier(cxr_classifier_create(model.data(), model.size(), cxr_backend_portable, &error));
  ASSERT_TRUE(classifier) << error.message;
  const Outcome a = classify(classifier.get(), jpeg), b = classify(classifier.get(), dicom);
  ASSERT_TRUE(a.ok) << a.error;
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.bit_depth, 16u);
  const json::Value* exactly = c->find("same_exactly");
  const double tolerance = exactly && exactly->boolean ? 1e-6 : 0.02;
  for (int k = 0; k < 2; ++k) EXPECT_NEAR(a.probabilities[k], b.probabilities[k], tolerance) << "class " << k;
  if (std::abs(a.probabilities[1] - a.threshold) > tolerance) {
    EXPECT_EQ(a.predicted, b.predicted);
    EXPECT_EQ(a.decision, b.decision);
  }
}

#define DICOM_SAME_AS_JPEG(test, name) \
  TEST(DicomRealFilm, test) {          \
    CXR_REQUIRE_DICOM_FIXTURES();      \
    check_same_as_jpeg(name);          \
  }

DICOM_SAME_AS_JPEG(NormalJpegEncapsulated, "real_normal_jpeg_encapsulated")
DICOM_SAME_AS_JPEG(NormalUncompressed8, "real_normal_uncompressed8")
DICOM_SAME_AS_JPEG(NormalMonochrome1Sixteen, "real_normal_monochrome1_16bit")
DICOM_SAME_AS_JPEG(PneumoniaJpegEncapsulated, "real_pneumonia_jpeg_encapsulated")
DICOM_SAME_AS_JPEG(PneumoniaUncompressed8, "real_pneumonia_uncompressed8")
DICOM_SAME_AS_JPEG(PneumoniaMonochrome1Sixteen, "real_pneumonia_monochrome1_16bit")

TEST(DicomRealFilm, WarningsReachTheResult) {
  CXR_REQUIRE_DICOM_FIXTURES();
  const json::Value* c = find_case("meta_lateral_view");
  ASSERT_TRUE(c);
  const Bytes bytes = case_bytes(*c);
  const Bytes model = testing::make_test_model_file("tiny", 5);
  cxr_error error;
  ClassifierPtr classifier(cxr_classifier_create(model.data(), model.size(), cxr_backend_portable, &error));
  ASSERT_TRUE(classifier) << error.message;
  cxr_result r;
  ASSERT_EQ(cxr_classify(classifier.get(), bytes.data(), bytes.size(), nullptr, &r, &error), cxr_status_ok)
      << error.message;
  bool lateral = false;
  for (uint32_t i = 0; i < r.num_warnings; ++i) lateral |= std::strstr(r.warnings[i], "lateral view") != nullptr;
  EXPECT_TRUE(lateral);
}

// Everything the generator writes has a test above (this list is theirs).
TEST(DicomManifest, EveryCaseHasATest) {
  CXR_REQUIRE_DICOM_FIXTURES();
  const json::Value* cases = fixtures().manifest.find("cases");
  ASSERT_TRUE(cases);
  EXPECT_GE(cases->array.size(), 60u);
  // Filled lines, not one name per line.
  // clang-format off
  static const std::set<std::string> known = {
      "mono16_explicit_part10", "mono16_implicit_part10", "mono16_implicit_bare", "mono16_explicit_bare",
      "mono8_explicit_part10", "mono8_implicit_bare", "bits12_unsigned_masked", "bits12_signed_masked", "signed16",
      "padding_value", "padding_range_monochrome1", "padding_signed_window", "rescale_half_window",
      "rescale_quarter_minmax", "rescale_negative_window", "rescale_negative_signed_minmax",
      "modality_lut_sequence", "window_linear", "window_multivalued", "window_linear_exact", "window_sigmoid",
      "window_width_one", "monochrome1_window", "monochrome1_minmax", "voi_lut_sequence_16bit",
      "voi_lut_sequence_8bit_implicit", "rgb_interleaved", "rgb_planar", "rgb_gray_content_planar", "ybr_full",
      "multiframe_native", "jpeg_gray_encapsulated", "jpeg_colour_encapsulated", "jpeg_multiframe_monochrome1",
      "rle_mono16", "rle_mono8", "rle_signed12", "rle_rgb", "rle_multiframe", "nested_sequences_and_icon",
      "nested_sequences_and_icon_explicit", "meta_lateral_view", "meta_lateral_series", "meta_adult",
      "meta_body_part", "meta_ct", "meta_child_months_no_warning", "syntax_jpeg2000", "syntax_jpeg2000_lossless",
      "syntax_jpeg_lossless", "syntax_jpeg_lossless_57", "syntax_jpeg_extended", "syntax_jpeg_ls",
      "syntax_jpeg_ls_near", "syntax_htj2k", "syntax_mpeg4", "syntax_hevc", "syntax_unknown", "syntax_big_endian",
      "syntax_deflated", "truncated_native", "short_native", "truncated_jpeg", "truncated_rle", "oversized_side",
      "oversized_pixels", "overflowing_frames", "bits_allocated_32", "palette_colour", "no_pixel_data",
      "real_normal_jpeg_encapsulated", "real_normal_uncompressed8", "real_normal_monochrome1_16bit",
      "real_pneumonia_jpeg_encapsulated", "real_pneumonia_uncompressed8", "real_pneumonia_monochrome1_16bit"};
  // clang-format on
  for (const json::Value& c : cases->array)
    EXPECT_TRUE(known.count(text(c, "name"))) << "fixture " << text(c, "name") << " has no test";
}

// Every prefix of valid files, and random mutations of them: a status, never
// a crash (the sanitizer build runs this too).
TEST(DicomRobustness, EveryTruncationAndRandomMutationsAreHandled) {
  CXR_REQUIRE_DICOM_FIXTURES();
  const uint32_t seed = testing::test_seed();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (const char* name : {"mono8_implicit_bare", "jpeg_gray_encapsulated", "rle_rgb", "voi_lut_sequence_16bit",
                           "nested_sequences_and_icon", "modality_lut_sequence", "jpeg_multiframe_monochrome1"}) {
    const json::Value* c = find_case(name);
    ASSERT_TRUE(c) << name;
    const Bytes file = case_bytes(*c);
    Image image;
    const size_t step = file.size() > 4000 ? 7 : 1;
    for (size_t n = 0; n < file.size(); n += step) {
      const Status s = decode_image(file.data(), n, &image);
      if (s.ok()) {
        EXPECT_EQ(image.pixels.size(), size_t(image.width) * image.height);
      }
    }
    for (int round = 0; round < 300; ++round) {
      Bytes m = file;
      const int flips = 1 + int(rng() % 8);
      for (int k = 0; k < flips; ++k) m[rng() % m.size()] = uint8_t(rng());
      const Status s = decode_image(m.data(), m.size(), &image);
      if (s.ok()) {
        EXPECT_EQ(image.pixels.size(), size_t(image.width) * image.height);
      }
    }
  }
}

}  // namespace
}  // namespace cxr
