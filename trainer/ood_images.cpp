#define STB_PERLIN_IMPLEMENTATION
#include <stb/stb_perlin.h>

#include "trainer/ood_images.h"

#include <algorithm>
#include <cmath>

#include "encode/image_write.h"

namespace cxr::train {
namespace {

uint8_t clamp8(double v) { return uint8_t(std::clamp(v, 0.0, 255.0) + 0.5); }
double uniform(std::mt19937& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
int uniform_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Bilinear resample (half-pixel centres) of a gray image to w x h.
GrayImage resample(const GrayImage& in, int x0, int y0, int cw, int ch, int w, int h) {
  GrayImage out{w, h, std::vector<uint8_t>(size_t(w) * h)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double sx = std::clamp(x0 + (x + 0.5) * cw / w - 0.5, 0.0, in.width - 1.0);
      const double sy = std::clamp(y0 + (y + 0.5) * ch / h - 0.5, 0.0, in.height - 1.0);
      const int ix = std::min(int(sx), std::max(0, in.width - 2)), iy = std::min(int(sy), std::max(0, in.height - 2));
      const int jx = std::min(ix + 1, in.width - 1), jy = std::min(iy + 1, in.height - 1);
      const double fx = sx - ix, fy = sy - iy;
      auto at = [&](int xx, int yy) { return double(in.pixels[size_t(yy) * in.width + xx]); };
      out.pixels[size_t(y) * w + x] =
          clamp8((at(ix, iy) * (1 - fx) + at(jx, iy) * fx) * (1 - fy) + (at(ix, jy) * (1 - fx) + at(jx, jy) * fx) * fy);
    }
  return out;
}

// Fractal noise plus random shapes: the statistics of a photographed scene
// (1/f spectrum, edges, flat regions), in gray or colour.
std::vector<uint8_t> scene(std::mt19937& rng, int w, int h, int channels) {
  std::vector<uint8_t> px(size_t(w) * h * channels);
  const float scale = float(uniform(rng, 2, 8)) / float(w), z = float(uniform(rng, 0, 100));
  for (int c = 0; c < channels; ++c) {
    const double gain = uniform(rng, 60, 120), base = uniform(rng, 60, 190);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        px[(size_t(y) * w + x) * channels + c] =
            clamp8(base + gain * stb_perlin_fbm_noise3(x * scale, y * scale, z + 10.0f * c, 2.0f, 0.5f, 6));
  }
  for (int shape = uniform_int(rng, 3, 12); shape > 0; --shape) {
    const double cx = uniform(rng, 0, w), cy = uniform(rng, 0, h), rx = uniform(rng, 10, w / 3.0),
                 ry = uniform(rng, 10, h / 3.0);
    const bool ellipse = uniform(rng, 0, 1) < 0.5;
    double colour[3];
    for (double& v : colour) v = uniform(rng, 0, 255);
    for (int y = std::max(0, int(cy - ry)); y < std::min(h, int(cy + ry)); ++y)
      for (int x = std::max(0, int(cx - rx)); x < std::min(w, int(cx + rx)); ++x) {
        const double dx = (x - cx) / rx, dy = (y - cy) / ry;
        if (ellipse && dx * dx + dy * dy > 1) continue;
        for (int c = 0; c < channels; ++c) px[(size_t(y) * w + x) * channels + c] = clamp8(colour[c]);
      }
  }
  return px;
}

// A printed page: lines of words in a made-up 5x7 dot font, dark on light.
std::vector<uint8_t> document(std::mt19937& rng, int w, int h) {
  std::vector<uint8_t> px(size_t(w) * h, clamp8(uniform(rng, 225, 255)));
  std::vector<uint64_t> font(40);
  for (uint64_t& glyph : font) glyph = uint64_t(rng()) << 32 | rng();  // 35 bits used: 5 x 7
  const int dot = uniform_int(rng, 1, 3), ink = uniform_int(rng, 0, 60), margin = w / 10;
  const int line_height = 10 * dot, advance = 6 * dot;
  for (int y = margin; y + line_height < h - margin; y += line_height) {
    if (uniform(rng, 0, 1) < 0.1) continue;  // paragraph break
    int x = margin;
    const int line_end = w - margin - uniform_int(rng, 0, w / 4);
    while (x + advance < line_end) {
      for (int letters = uniform_int(rng, 1, 9); letters > 0 && x + advance < line_end; --letters, x += advance) {
        const uint64_t glyph = font[rng() % font.size()];
        for (int gy = 0; gy < 7; ++gy)
          for (int gx = 0; gx < 5; ++gx)
            if (glyph >> (gy * 5 + gx) & 1)
              for (int yy = 0; yy < dot; ++yy)
                for (int xx = 0; xx < dot; ++xx) px[size_t(y + gy * dot + yy) * w + x + gx * dot + xx] = uint8_t(ink);
      }
      x += advance;  // space
    }
  }
  return px;
}

}  // namespace

const std::vector<OodSet>& ood_sets() {
  static const std::vector<OodSet> sets = {
      {"noise", "Gaussian noise, 512x512 gray PNG", false},
      {"blank", "nearly uniform gray with faint noise, 512x512 PNG", false},
      {"scene_gray", "photo-like scenes (fractal texture + shapes), 640x480 gray JPEG", false},
      {"scene_colour", "the same in colour, 640x480 JPEG", false},
      {"document", "printed-page-like text on white, 850x1100 PNG", false},
      {"xray_rotated", "X-rays rotated by 90 degrees", true},
      {"xray_crop", "a 25-40% detail of an X-ray, enlarged to 448x448", true},
      {"xray_inverted", "X-rays with inverted polarity (bone dark)", true},
      {"xray_tiny", "X-ray thumbnails, 32-96 px a side", true},
  };
  return sets;
}

std::vector<uint8_t> make_ood_example(const std::string& name, const GrayImage& film, std::mt19937& rng) {
  if (name == "noise" || name == "blank") {
    const int w = 512, h = 512;
    const double mean = uniform(rng, 40, 215), sd = name == "noise" ? uniform(rng, 20, 80) : uniform(rng, 0, 3);
    std::normal_distribution<double> noise(mean, sd);
    std::vector<uint8_t> px(size_t(w) * h);
    for (uint8_t& v : px) v = clamp8(noise(rng));
    return encode_png(px, w, h, 1);
  }
  if (name == "scene_gray") return encode_jpeg(scene(rng, 640, 480, 1), 640, 480, 1);
  if (name == "scene_colour") return encode_jpeg(scene(rng, 640, 480, 3), 640, 480, 3);
  if (name == "document") return encode_png(document(rng, 850, 1100), 850, 1100, 1);
  const int w = film.width, h = film.height;
  if (name == "xray_rotated") {
    GrayImage out{h, w, std::vector<uint8_t>(film.pixels.size())};
    const bool clockwise = rng() & 1;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        out.pixels[clockwise ? size_t(x) * h + (h - 1 - y) : size_t(w - 1 - x) * h + y] =
            film.pixels[size_t(y) * w + x];
    return encode_png(out.pixels, out.width, out.height, 1);
  }
  if (name == "xray_crop") {
    const double fraction = uniform(rng, 0.25, 0.4);
    const int cw = std::max(1, int(w * fraction)), ch = std::max(1, int(h * fraction));
    const GrayImage out = resample(film, uniform_int(rng, 0, w - cw), uniform_int(rng, 0, h - ch), cw, ch, 448, 448);
    return encode_png(out.pixels, out.width, out.height, 1);
  }
  if (name == "xray_inverted") {
    std::vector<uint8_t> px = film.pixels;
    for (uint8_t& v : px) v = uint8_t(255 - v);
    return encode_png(px, w, h, 1);
  }
  if (name == "xray_tiny") {
    const int side = uniform_int(rng, 32, 96);
    const GrayImage out = resample(film, 0, 0, w, h, side, side * h / std::max(1, w));
    return encode_png(out.pixels, out.width, out.height, 1);
  }
  return {};
}

}  // namespace cxr::train
