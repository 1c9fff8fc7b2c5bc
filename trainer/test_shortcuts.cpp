// Unit tests of the shortcut measures' geometry (shortcut_measures.h) on
// synthetic films and heat maps (no data, no LibTorch).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "trainer/shortcut_measures.h"

namespace cxr::train {
namespace {

constexpr uint16_t kBackground = 50, kBar = 200;

// A width x height 8-bit film: background, a vertical bar over columns
// [bar_begin, bar_end), and distinct first and last columns (so that their
// repetition can be seen).
Image bar_film(uint32_t width, uint32_t height, uint32_t bar_begin, uint32_t bar_end) {
  Image image;
  image.width = width, image.height = height;
  image.pixels.assign(size_t(width) * height, kBackground);
  for (uint32_t y = 0; y < height; ++y) {
    uint16_t* row = image.pixels.data() + size_t(y) * width;
    for (uint32_t x = bar_begin; x < bar_end; ++x) row[x] = kBar;
    row[0] = 10, row[width - 1] = 250;
  }
  return image;
}

// Width of the bar in row y, in columns, over columns [begin, end) (the bar
// and its background, not the marked edge columns): its mass above the
// background over the bar's contrast (an area average keeps it exactly), and
// its centre.
void measure_bar(const GrayImage& film, int y, int begin, int end, double* width, double* centre) {
  double mass = 0, moment = 0;
  for (int x = begin; x < end; ++x) {
    const double above = std::max(0.0, double(film.pixels[size_t(y) * film.width + x]) - kBackground);
    mass += above, moment += above * (x + 0.5);
  }
  *width = mass / (kBar - kBackground);
  *centre = moment / mass;
}

TEST(ScaleContentHorizontally, ShrinkingMakesTheBarNarrowerAndRepeatsTheEdgeColumns) {
  // 100 columns, bar over [40, 60): x0.8 gives 80 columns with the bar over
  // exactly [32, 48), padded by 10 columns on each side.
  const Image image = bar_film(100, 6, 40, 60);
  GrayImage out;
  ASSERT_TRUE(scale_content_horizontally(image, 0.8, &out).ok());
  ASSERT_EQ(out.width, 100);
  ASSERT_EQ(out.height, 6);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* row = out.pixels.data() + size_t(y) * out.width;
    double width, centre;
    measure_bar(out, y, 11, 89, &width, &centre);
    EXPECT_NEAR(width, 16.0, 1e-9);  // 0.8 x 20, exact: the bar's edges fall on pixel edges
    EXPECT_NEAR(centre, 50.0, 1e-9);
    for (int x = 32 + 10; x < 48 + 10; ++x) EXPECT_EQ(row[x], kBar) << "column " << x;
    // The resampled first column averages [0, 1.25) of the source: (10 + 0.25 x 50) / 1.25 = 18;
    // the last averages [98.75, 100): (0.25 x 50 + 250) / 1.25 = 210. Each fills the padding.
    for (int x = 0; x <= 10; ++x) EXPECT_EQ(row[x], 18) << "column " << x;
    for (int x = 89; x < 100; ++x) EXPECT_EQ(row[x], 210) << "column " << x;
    EXPECT_EQ(row[11], kBackground);
  }
}

TEST(ScaleContentHorizontally, GrowingMakesTheBarWiderAndCropsTheCentre) {
  // x1.25: 125 columns, centre-cropped by 12 on the left and 13 on the right.
  const Image image = bar_film(100, 4, 40, 60);
  GrayImage out;
  ASSERT_TRUE(scale_content_horizontally(image, 1.25, &out).ok());
  ASSERT_EQ(out.width, 100);
  for (int y = 0; y < out.height; ++y) {
    double width, centre;
    measure_bar(out, y, 1, 99, &width, &centre);
    // Linear interpolation blurs the two edges by under a pixel each; the
    // odd cropped column moves the content half a pixel left.
    EXPECT_NEAR(width, 25.0, 1.0);
    EXPECT_NEAR(centre, 50.5, 0.51);
    const uint8_t* row = out.pixels.data() + size_t(y) * out.width;
    EXPECT_EQ(row[0], kBackground) << "the marked edge columns are cropped away";
    EXPECT_EQ(row[99], kBackground);
  }
}

TEST(ScaleContentHorizontally, RowsAreNeverResampledAndFactorOneIsTheIdentity) {
  // Each row one value, columns alike except a ramp: scaling must keep every
  // row's values to its own row.
  Image image;
  image.width = 37, image.height = 23;
  for (uint32_t y = 0; y < image.height; ++y)
    for (uint32_t x = 0; x < image.width; ++x) image.pixels.push_back(uint16_t((y * 11) % 256));
  for (double factor : {0.8, 1.25}) {
    GrayImage out;
    ASSERT_TRUE(scale_content_horizontally(image, factor, &out).ok());
    for (size_t i = 0; i < out.pixels.size(); ++i) ASSERT_EQ(out.pixels[i], image.pixels[i]) << "factor " << factor;
  }
  // An 8-bit film at factor 1 comes back sample for sample.
  Image film = bar_film(61, 9, 20, 33);
  for (size_t i = 0; i < film.pixels.size(); ++i) film.pixels[i] = uint16_t((film.pixels[i] + i * 7) % 256);
  GrayImage same;
  ASSERT_TRUE(scale_content_horizontally(film, 1.0, &same).ok());
  for (size_t i = 0; i < same.pixels.size(); ++i) ASSERT_EQ(same.pixels[i], film.pixels[i]) << "sample " << i;
}

TEST(ScaleContentHorizontally, SixteenBitFilmsComeBackInEightBits) {
  Image image;
  image.width = 4, image.height = 1, image.bit_depth = 16, image.max_value = 65535;
  image.pixels = {0, 65535, 32768, 257 * 100};
  GrayImage out;
  ASSERT_TRUE(scale_content_horizontally(image, 1.0, &out).ok());
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 255, 128, 100}));
}

TEST(ScaleContentHorizontally, RefusesANonPositiveFactor) {
  GrayImage out;
  EXPECT_FALSE(scale_content_horizontally(bar_film(10, 10, 2, 4), 0.0, &out).ok());
  EXPECT_FALSE(scale_content_horizontally(bar_film(10, 10, 2, 4), NAN, &out).ok());
}

TEST(HeatmapPlacement, MassInTheCentreIsNotOnTheBorder) {
  std::vector<float> map(192 * 192, 0.0f);
  for (int y = 80; y < 110; ++y)
    for (int x = 70; x < 120; ++x) map[y * 192 + x] = 0.5f + 0.001f * float(x);
  map[5] = -3.0f;  // negative evidence in the frame does not count
  const HeatmapPlacement p = heatmap_placement(map.data(), 192, 192);
  ASSERT_TRUE(p.has_mass);
  EXPECT_EQ(p.border_mass, 0.0);
  EXPECT_FALSE(p.peak_in_frame);
}

TEST(HeatmapPlacement, MassAtOneEdgeIsAllOnTheBorder) {
  std::vector<float> map(224 * 224, 0.0f);
  for (int y = 0; y < 224; ++y) map[y * 224 + 223] = 1.0f;  // the right-most column
  const HeatmapPlacement p = heatmap_placement(map.data(), 224, 224);
  ASSERT_TRUE(p.has_mass);
  EXPECT_DOUBLE_EQ(p.border_mass, 1.0);
  EXPECT_TRUE(p.peak_in_frame);
}

TEST(HeatmapPlacement, AUniformMapHasTheFramesAreaShareAtAnySize) {
  // 1 - 0.8^2 = 0.36, also where the frame's inner edge cuts pixels (192: 19.2 px; 7: 0.7 px).
  for (uint32_t side : {192u, 224u, 7u, 50u}) {
    const std::vector<float> map(size_t(side) * side, 0.25f);
    EXPECT_NEAR(heatmap_placement(map.data(), side, side).border_mass, 0.36, 1e-12) << side;
  }
  const std::vector<float> wide(size_t(30) * 11, 1.0f);
  EXPECT_NEAR(heatmap_placement(wide.data(), 30, 11).border_mass, 0.36, 1e-12);
}

TEST(HeatmapPlacement, ThePeakDecidesPeakInFrameByItsCentre) {
  // 100 x 100: the frame ends at 10 (pixel 9 is in it, pixel 10 is not).
  for (int column : {9, 10, 89, 90}) {
    std::vector<float> map(100 * 100, 0.1f);
    map[50 * 100 + column] = 1.0f;
    EXPECT_EQ(heatmap_placement(map.data(), 100, 100).peak_in_frame, column == 9 || column == 90) << column;
  }
}

TEST(HeatmapPlacement, AMapWithoutPositiveEvidenceHasNoMass) {
  const std::vector<float> zeros(64, 0.0f), negative(64, -1.0f);
  EXPECT_FALSE(heatmap_placement(zeros.data(), 8, 8).has_mass);
  EXPECT_FALSE(heatmap_placement(negative.data(), 8, 8).has_mass);
}

}  // namespace
}  // namespace cxr::train
