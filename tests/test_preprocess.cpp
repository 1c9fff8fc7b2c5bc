// core/preprocess against an independent reference written here in doubles:
// a shrinking axis integrates the piecewise-constant image over each output
// pixel's footprint, a growing axis samples it with the linear "hat" kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "preprocess/preprocess.h"
#include "support/test_data.h"

namespace cxr {
namespace {

Image random_image(uint32_t width, uint32_t height, uint32_t bit_depth, std::mt19937& rng) {
  Image image;
  image.width = width;
  image.height = height;
  image.bit_depth = bit_depth;
  image.max_value = bit_depth == 16 ? 65535 : 255;
  image.pixels.resize(size_t(width) * height);
  std::uniform_int_distribution<uint32_t> sample(0, image.max_value);
  for (uint16_t& p : image.pixels) p = uint16_t(sample(rng));
  return image;
}

PreprocessSpec make_spec(uint32_t width, uint32_t height, ResizePolicy resize = ResizePolicy::stretch) {
  PreprocessSpec spec;
  spec.width = width;
  spec.height = height;
  spec.resize = resize;
  return spec;
}

std::vector<float> run(const Image& image, const PreprocessSpec& spec, PreprocessScratch* scratch = nullptr) {
  std::vector<float> out(size_t(spec.width) * spec.height * spec.channels, -123.0f);
  const Status status = preprocess(image, spec, scratch, out.data());
  EXPECT_TRUE(status.ok()) << status.message;
  return out;
}

// ---- reference resampler

using Taps = std::vector<std::pair<uint32_t, double>>;  // (source index, weight)

// Weights of every source pixel for output index i, found by scanning all of
// them (no floor/ceil bookkeeping), normalised to sum 1.
Taps reference_taps(uint32_t src, double start, double length, uint32_t dst, uint32_t i) {
  Taps taps;
  const double step = length / dst;
  const double lo = start + i * step, hi = start + (i + 1) * step;
  const double centre = std::clamp(start + (i + 0.5) * step - 0.5, 0.0, src - 1.0);
  for (uint32_t k = 0; k < src; ++k) {
    const double w = length >= dst ? std::max(0.0, std::min(hi, k + 1.0) - std::max(lo, double(k)))  // overlap
                                   : std::max(0.0, 1.0 - std::abs(centre - k));                      // hat
    if (w > 0) taps.emplace_back(k, w);
  }
  double total = 0;
  for (auto& t : taps) total += t.second;
  for (auto& t : taps) t.second /= total;
  return taps;
}

struct Window {
  double x0, width, y0, height;
};

// Resamples `window` of the image to out_w x out_h, in [0, 1].
std::vector<double> reference_resample(const Image& image, const Window& window, uint32_t out_w, uint32_t out_h) {
  std::vector<Taps> xs(out_w), ys(out_h);
  for (uint32_t i = 0; i < out_w; ++i) xs[i] = reference_taps(image.width, window.x0, window.width, out_w, i);
  for (uint32_t j = 0; j < out_h; ++j) ys[j] = reference_taps(image.height, window.y0, window.height, out_h, j);
  std::vector<double> out(size_t(out_w) * out_h);
  for (uint32_t j = 0; j < out_h; ++j)
    for (uint32_t i = 0; i < out_w; ++i) {
      double sum = 0;
      for (const auto& [row, wy] : ys[j])
        for (const auto& [col, wx] : xs[i]) sum += wy * wx * image.pixels[size_t(row) * image.width + col];
      out[size_t(j) * out_w + i] = sum / image.max_value;
    }
  return out;
}

Window whole(const Image& image) { return {0, double(image.width), 0, double(image.height)}; }

void expect_near_all(const std::vector<float>& actual, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < actual.size(); ++i)
    if (std::abs(actual[i] - expected[i]) > worst) worst = std::abs(actual[i] - expected[i]), worst_at = i;
  EXPECT_LE(worst, tolerance) << "at index " << worst_at << ": " << actual[worst_at] << " vs " << expected[worst_at];
}

// Rows [y0, y0 + h) and columns [x0, x0 + w) of an HWC single-channel output.
std::vector<float> crop_rect(const std::vector<float>& out, uint32_t out_w, uint32_t x0, uint32_t y0, uint32_t w,
                             uint32_t h) {
  std::vector<float> rect;
  for (uint32_t y = y0; y < y0 + h; ++y)
    for (uint32_t x = x0; x < x0 + w; ++x) rect.push_back(out[size_t(y) * out_w + x]);
  return rect;
}

// ---- resampling

struct ResizeCase {
  uint32_t src_w, src_h, out_w, out_h, bit_depth;
};

TEST(Preprocess, StretchMatchesReferenceForShrinkGrowAndMixedAxes) {
  const uint32_t seed = testing::test_seed();
  std::mt19937 rng(seed);
  const ResizeCase cases[] = {
      {2000, 2000, 224, 224, 16},  // a full-size film
      {37, 37, 224, 224, 8},       // large upscale
      {300, 97, 64, 200, 8},       // x shrinks, y grows
      {1000, 3, 7, 11, 16},        // extreme factors
      {1, 1, 5, 3, 8},             // single pixel
      {225, 223, 224, 224, 8},     // nearly identity
  };
  for (const ResizeCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << ": " << c.src_w << "x" << c.src_h << " -> " << c.out_w
                                      << "x" << c.out_h);
    const Image image = random_image(c.src_w, c.src_h, c.bit_depth, rng);
    expect_near_all(run(image, make_spec(c.out_w, c.out_h)), reference_resample(image, whole(image), c.out_w, c.out_h),
                    1e-5);
  }
}

// The prescale step (preprocess.h): a triangle filter of half-width
// max(1, shrink factor) around each output centre, over every source pixel.
Image reference_prescale(const Image& image, uint32_t w, uint32_t h) {
  auto taps = [](uint32_t src, uint32_t dst, uint32_t i) {
    const double step = double(src) / dst, support = std::max(1.0, step), centre = (i + 0.5) * step;
    Taps t;
    if (step < 1) return reference_taps(src, 0, src, dst, i);  // growing: the hat of the main resampler
    for (uint32_t k = 0; k < src; ++k)
      if (const double wk = std::max(0.0, 1.0 - std::abs(k + 0.5 - centre) / support); wk > 0) t.emplace_back(k, wk);
    double total = 0;
    for (auto& x : t) total += x.second;
    for (auto& x : t) x.second /= total;
    return t;
  };
  Image out;
  out.width = w, out.height = h, out.bit_depth = 16, out.max_value = 65535;
  std::vector<Taps> xs(w), ys(h);
  for (uint32_t i = 0; i < w; ++i) xs[i] = taps(image.width, w, i);
  for (uint32_t j = 0; j < h; ++j) ys[j] = taps(image.height, h, j);
  for (uint32_t j = 0; j < h; ++j)
    for (uint32_t i = 0; i < w; ++i) {
      double sum = 0;
      for (const auto& [row, wy] : ys[j])
        for (const auto& [col, wx] : xs[i]) sum += wy * wx * image.pixels[size_t(row) * image.width + col];
      out.pixels.push_back(uint16_t(std::lround(sum / image.max_value * 65535)));
    }
  return out;
}

TEST(Preprocess, PrescaleIsATriangleFilterFirstAndLeavesFilmsOfItsSizeUntouched) {
  const uint32_t seed = testing::test_seed();
  std::mt19937 rng(seed);
  PreprocessSpec plain = make_spec(192, 192), prescaled = plain;
  prescaled.prescale_width = prescaled.prescale_height = 224;
  // A training copy (224x224): bit-identical with and without the step.
  const Image copy = random_image(224, 224, 8, rng);
  const std::vector<float> a = run(copy, plain), b = run(copy, prescaled);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // Full-size, odd and growing sizes: the reference two steps. The 16-bit
  // rounding of the step may differ by one unit (1/65535) where the float and
  // double sums straddle a half; the second step averages such units.
  for (auto [w, h] : {std::pair{1500u, 1100u}, {301u, 997u}, {150u, 260u}}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << ": " << w << "x" << h);
    const Image film = random_image(w, h, 16, rng);
    const Image step = reference_prescale(film, 224, 224);
    expect_near_all(run(film, prescaled), reference_resample(step, whole(step), 192, 192), 1.0 / 65535 + 1e-5);
  }
  // Only with stretch, both sides or neither.
  prescaled.resize = ResizePolicy::letterbox;
  EXPECT_EQ(validate_spec(prescaled).code, cxr_status_invalid_model);
  prescaled.resize = ResizePolicy::stretch, prescaled.prescale_height = 0;
  EXPECT_EQ(validate_spec(prescaled).code, cxr_status_invalid_model);
}

TEST(Preprocess, EqualSizeIsExactIdentity) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(224, 224, 16, rng);
  const std::vector<float> out = run(image, make_spec(224, 224));
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], float(image.pixels[i]) / 65535.0f) << "at " << i;
}

struct LetterboxCase {
  uint32_t src_w, src_h, content_x, content_y, content_w, content_h;
};

TEST(Preprocess, LetterboxCentresContentAndPadsWithZero) {
  std::mt19937 rng(testing::test_seed());
  const LetterboxCase cases[] = {
      {400, 200, 0, 56, 224, 112},  // wide: bands above and below
      {300, 100, 0, 74, 224, 75},   // 74.67 rounds to 75; the odd pad pixel goes below
      {200, 401, 56, 0, 112, 224},  // tall: 111.7 rounds to 112
      {500, 500, 0, 0, 224, 224},   // same aspect: no padding
  };
  for (const LetterboxCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.src_w << "x" << c.src_h);
    const Image image = random_image(c.src_w, c.src_h, 8, rng);
    const std::vector<float> out = run(image, make_spec(224, 224, ResizePolicy::letterbox));
    const std::vector<float> content = crop_rect(out, 224, c.content_x, c.content_y, c.content_w, c.content_h);
    // The content is exactly the image stretched to the content rect.
    EXPECT_EQ(content, run(image, make_spec(c.content_w, c.content_h)));
    const double content_sum = std::accumulate(content.begin(), content.end(), 0.0);
    EXPECT_EQ(std::accumulate(out.begin(), out.end(), 0.0), content_sum) << "padding must be exactly 0";
    EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](float v) { return v >= 0.0f; }));
  }
}

TEST(Preprocess, CenterCropReadsTheCentredWindow) {
  std::mt19937 rng(testing::test_seed());
  const Image wide = random_image(400, 200, 8, rng);  // window x in [100, 300)
  expect_near_all(run(wide, make_spec(224, 224, ResizePolicy::center_crop)),
                  reference_resample(wide, {100, 200, 0, 200}, 224, 224), 1e-5);
  const Image odd = random_image(301, 200, 16, rng);  // fractional window x in [50.5, 250.5)
  expect_near_all(run(odd, make_spec(100, 100, ResizePolicy::center_crop)),
                  reference_resample(odd, {50.5, 200, 0, 200}, 100, 100), 1e-5);
  const Image tall = random_image(60, 90, 8, rng);  // upscale, window y in [15, 75)
  expect_near_all(run(tall, make_spec(224, 224, ResizePolicy::center_crop)),
                  reference_resample(tall, {0, 60, 15, 60}, 224, 224), 1e-5);
}

// ---- histogram equalisation

// Expected equalisation from the definition, counted directly per value: the
// share of values in the same or a lower bin, not counting the lowest bin.
std::vector<double> reference_equalize(const std::vector<float>& values) {
  auto bin = [](float x) { return std::min(255, int(std::floor(double(x) * 256))); };
  const int lowest = bin(*std::min_element(values.begin(), values.end()));
  const double n_lowest =
      double(std::count_if(values.begin(), values.end(), [&](float v) { return bin(v) == lowest; }));
  std::vector<double> out;
  for (float v : values) {
    const double at_or_below =
        double(std::count_if(values.begin(), values.end(), [&](float u) { return bin(u) <= bin(v); }));
    out.push_back((at_or_below - n_lowest) / (values.size() - n_lowest));
  }
  return out;
}

TEST(Preprocess, EqualizationFollowsTheCdfAndIsMonotone) {
  std::mt19937 rng(testing::test_seed());
  Image image = random_image(48, 40, 8, rng);
  for (uint16_t& p : image.pixels) p = uint16_t(p * p / 255 / 2);  // skewed, low contrast
  PreprocessSpec spec = make_spec(48, 40);
  const std::vector<float> plain = run(image, spec);
  spec.equalize = true;
  const std::vector<float> equalized = run(image, spec);
  expect_near_all(equalized, reference_equalize(plain), 1e-6);
  EXPECT_EQ(*std::min_element(equalized.begin(), equalized.end()), 0.0f);
  EXPECT_EQ(*std::max_element(equalized.begin(), equalized.end()), 1.0f);
  for (size_t i = 0; i < plain.size(); ++i)
    for (size_t j = 0; j < plain.size(); j += 7)
      if (plain[i] <= plain[j]) {
        ASSERT_LE(equalized[i], equalized[j]);
      }
}

TEST(Preprocess, EqualizationKeepsConstantImageAndLetterboxPadding) {
  Image flat;
  flat.width = 30;
  flat.height = 20;
  flat.pixels.assign(600, 100);
  PreprocessSpec spec = make_spec(30, 20);
  spec.equalize = true;
  for (float v : run(flat, spec)) ASSERT_EQ(v, 100.0f / 255.0f);

  std::mt19937 rng(testing::test_seed());
  const Image wide = random_image(400, 200, 8, rng);
  spec = make_spec(224, 224, ResizePolicy::letterbox);
  spec.equalize = true;
  const std::vector<float> out = run(wide, spec);
  const std::vector<float> content = crop_rect(out, 224, 0, 56, 224, 112);
  EXPECT_EQ(*std::min_element(content.begin(), content.end()), 0.0f);
  EXPECT_EQ(*std::max_element(content.begin(), content.end()), 1.0f);
  const std::vector<float> top_band = crop_rect(out, 224, 0, 0, 224, 56),
                           bottom_band = crop_rect(out, 224, 0, 168, 224, 56);
  EXPECT_TRUE(std::all_of(top_band.begin(), top_band.end(), [](float v) { return v == 0.0f; }));
  EXPECT_TRUE(std::all_of(bottom_band.begin(), bottom_band.end(), [](float v) { return v == 0.0f; }));
}

// ---- normalisation and channels

TEST(Preprocess, FixedNormalizationIsMeanStdAffine) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(100, 80, 8, rng);
  PreprocessSpec spec = make_spec(64, 64);
  const std::vector<float> unit = run(image, spec);
  spec.normalize = Normalization::fixed;
  spec.mean = 0.485f;
  spec.std = 0.229f;
  const std::vector<float> fixed = run(image, spec);
  for (size_t i = 0; i < unit.size(); ++i) ASSERT_FLOAT_EQ(fixed[i], (unit[i] - 0.485f) / 0.229f);
}

double mean_of(const std::vector<float>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

double std_of(const std::vector<float>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

TEST(Preprocess, PerImageNormalizationStandardizesTheContent) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(300, 150, 16, rng);
  PreprocessSpec spec = make_spec(224, 224, ResizePolicy::letterbox);
  const std::vector<float> unit_content = crop_rect(run(image, spec), 224, 0, 56, 224, 112);
  spec.normalize = Normalization::per_image;
  const std::vector<float> out = run(image, spec);
  const std::vector<float> content = crop_rect(out, 224, 0, 56, 224, 112);
  EXPECT_NEAR(mean_of(content), 0.0, 1e-5);
  EXPECT_NEAR(std_of(content), 1.0, 1e-4);
  const double m = mean_of(unit_content), s = std_of(unit_content);
  EXPECT_NEAR(out[0], (0.0 - m) / s, 1e-4) << "padding is 0 before normalisation";
  for (size_t i = 0; i < content.size(); ++i) ASSERT_NEAR(content[i], (unit_content[i] - m) / s, 1e-4);

  Image flat = random_image(20, 20, 8, rng);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 77);
  spec = make_spec(20, 20);
  spec.normalize = Normalization::per_image;
  for (float v : run(flat, spec)) ASSERT_EQ(v, 0.0f) << "constant image: std clamps, no NaN";
}

TEST(Preprocess, ThreeChannelsReplicateGray) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(90, 70, 8, rng);
  PreprocessSpec spec = make_spec(32, 24, ResizePolicy::center_crop);
  spec.normalize = Normalization::fixed;
  spec.mean = 0.5f;
  const std::vector<float> gray = run(image, spec);
  spec.channels = 3;
  const std::vector<float> rgb = run(image, spec);
  ASSERT_EQ(rgb.size(), gray.size() * 3);
  for (size_t i = 0; i < gray.size(); ++i)
    for (size_t c = 0; c < 3; ++c) ASSERT_EQ(rgb[3 * i + c], gray[i]);
}

// ---- validation

TEST(Preprocess, ValidateSpecRefusesBadSpecs) {
  EXPECT_TRUE(validate_spec(PreprocessSpec{}).ok());
  EXPECT_TRUE(validate_spec(make_spec(4096, 1)).ok());
  std::vector<PreprocessSpec> bad(10, PreprocessSpec{});
  bad[0].width = 0;
  bad[1].height = 4097;
  bad[2].channels = 2;
  bad[3].channels = 0;
  bad[4].std = 0.0f;
  bad[5].std = -1.0f;
  bad[6].std = std::nanf("");
  bad[7].std = INFINITY;
  bad[8].mean = std::nanf("");
  bad[9].resize = static_cast<ResizePolicy>(7);
  Image image;
  image.width = image.height = 4;
  image.pixels.assign(16, 0);
  std::vector<float> out(4096 * 3);
  for (size_t i = 0; i < bad.size(); ++i) {
    const Status status = validate_spec(bad[i]);
    EXPECT_EQ(status.code, cxr_status_invalid_model) << "case " << i;
    EXPECT_FALSE(status.message.empty());
    EXPECT_EQ(preprocess(image, bad[i], nullptr, out.data()).code, cxr_status_invalid_model) << "case " << i;
  }
}

TEST(Preprocess, RefusesInconsistentImages) {
  Image image;
  image.width = 10;
  image.height = 10;
  image.pixels.assign(99, 0);  // one short
  std::vector<float> out(224 * 224);
  EXPECT_EQ(preprocess(image, PreprocessSpec{}, nullptr, out.data()).code, cxr_status_invalid_argument);
  image.pixels.push_back(0);
  EXPECT_TRUE(preprocess(image, PreprocessSpec{}, nullptr, out.data()).ok());
  EXPECT_EQ(preprocess(image, PreprocessSpec{}, nullptr, nullptr).code, cxr_status_invalid_argument);
  image.max_value = 0;
  EXPECT_EQ(preprocess(image, PreprocessSpec{}, nullptr, out.data()).code, cxr_status_invalid_argument);
  EXPECT_EQ(preprocess(Image{}, PreprocessSpec{}, nullptr, out.data()).code, cxr_status_invalid_argument);
}

// ---- determinism, buffers, speed

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Preprocess, IsDeterministicAndReusesScratch) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(1200, 900, 16, rng);
  PreprocessSpec spec = make_spec(224, 224, ResizePolicy::letterbox);
  spec.equalize = true;
  spec.normalize = Normalization::per_image;
  spec.channels = 3;
  PreprocessScratch scratch;
  const std::vector<float> first = run(image, spec, &scratch);
  const size_t capacities[] = {scratch.a.capacity(), scratch.b.capacity(), scratch.taps.capacity(),
                               scratch.weights.capacity()};
  const void* buffers[] = {scratch.a.data(), scratch.b.data(), scratch.taps.data(), scratch.weights.data()};
  const std::vector<float> second = run(image, spec, &scratch);
  EXPECT_TRUE(same_bytes(first, second));
  EXPECT_TRUE(same_bytes(first, run(image, spec)));  // fresh scratch, same bytes
  const size_t capacities_after[] = {scratch.a.capacity(), scratch.b.capacity(), scratch.taps.capacity(),
                                     scratch.weights.capacity()};
  const void* buffers_after[] = {scratch.a.data(), scratch.b.data(), scratch.taps.data(), scratch.weights.data()};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(capacities_after[i], capacities[i]) << "buffer " << i << " grew";
    EXPECT_EQ(buffers_after[i], buffers[i]) << "buffer " << i << " was reallocated";
  }
}

// The trainer caches stage 1 and normalises batches with stage 2: together they
// must be preprocess() exactly, for every policy and normalisation.
TEST(Preprocess, TwoStagesComposeToPreprocessBitForBit) {
  std::mt19937 rng(testing::test_seed());
  const Image image = random_image(301, 187, 16, rng);
  for (ResizePolicy resize : {ResizePolicy::stretch, ResizePolicy::letterbox, ResizePolicy::center_crop})
    for (Normalization norm : {Normalization::unit, Normalization::fixed, Normalization::per_image})
      for (bool equalize : {false, true}) {
        PreprocessSpec spec = make_spec(64, 48, resize);
        spec.equalize = equalize;
        spec.normalize = norm;
        spec.mean = 0.4f;
        spec.std = 0.3f;
        spec.channels = 3;
        std::vector<float> plane(64 * 48, -1.0f), staged(64 * 48 * 3, -1.0f);
        ContentRect content;
        ASSERT_TRUE(resample_plane(image, spec, nullptr, plane.data(), &content).ok());
        for (float v : plane) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
        normalize_plane(plane.data(), content, spec, staged.data());
        EXPECT_TRUE(same_bytes(staged, run(image, spec)))
            << "resize " << int(resize) << " normalize " << int(norm) << " equalize " << equalize;
      }
}

TEST(Preprocess, FullSizeFilmIsFast) {
  std::mt19937 rng(testing::test_seed());
  const Image film = random_image(2000, 2000, 16, rng);
  const PreprocessSpec spec = make_spec(224, 224);
  PreprocessScratch scratch;
  std::vector<float> out(224 * 224);
  ASSERT_TRUE(preprocess(film, spec, &scratch, out.data()).ok());  // warm the buffers
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(preprocess(film, spec, &scratch, out.data()).ok());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("2000x2000 16-bit -> 224x224: %.2f ms\n", ms);
  EXPECT_LT(ms, 1000.0) << "generous bound so that sanitizer builds pass; optimised builds take a few ms";
}

}  // namespace
}  // namespace cxr
