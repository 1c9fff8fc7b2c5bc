#include "trainer/augment.h"

#include <cmath>

namespace cxr::train {
namespace {

// exp(uniform(log lo, log hi)): a scale as likely to shrink by x as to grow by 1/x.
double log_uniform(std::mt19937_64& rng, double lo, double hi) {
  if (lo == hi) return lo;
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  return std::exp(u(rng));
}

void erase_borders(torch::Tensor& x, std::mt19937_64& rng, double probability) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  for (int64_t i = 0; i < n; ++i)
    for (int edge = 0; edge < 4; ++edge) {
      if (unit(rng) >= probability) continue;
      const bool vertical_band = edge < 2;  // left/right bands span the height
      const int64_t side = vertical_band ? w : h;
      const int64_t band = std::max<int64_t>(1, int64_t(0.12 * side * unit(rng)));
      const float gray = float(unit(rng));
      const int64_t start = edge % 2 == 0 ? 0 : side - band;
      x[i].narrow(vertical_band ? 2 : 1, start, band).fill_(gray);
    }
}

}  // namespace

// In the spirit of the study (rotation, shear, zoom, shift) plus the
// photometric changes that differ between the train and test films.
torch::Tensor augment(const torch::Tensor& planes, std::mt19937_64& rng, const AugmentConfig& config) {
  const int64_t n = planes.size(0);
  std::uniform_real_distribution<double> u(-1.0, 1.0), unit(0.0, 1.0);
  torch::Tensor theta = torch::empty({n, 2, 3});
  torch::Tensor gamma = torch::empty({n, 1, 1, 1}), contrast = torch::empty({n, 1, 1, 1});
  torch::Tensor brightness = torch::empty({n, 1, 1, 1}), noise = torch::empty({n, 1, 1, 1});
  torch::Tensor blur = torch::zeros({n, 1, 5, 5});
  for (int64_t i = 0; i < n; ++i) {
    const double angle = 10.0 * M_PI / 180.0 * u(rng), shear = 0.1 * u(rng);
    const double zoom = std::exp(0.12 * u(rng));          // 0.89x .. 1.13x
    const double tx = 0.08 * u(rng), ty = 0.08 * u(rng);  // of the half-width
    const double flip = config.hflip && unit(rng) < 0.5 ? -1.0 : 1.0;
    const double sx = zoom * log_uniform(rng, config.aspect_x_low, config.aspect_x_high);
    const double sy = zoom * log_uniform(rng, config.aspect_y_low, config.aspect_y_high);
    // Output -> input sampling coordinates: rotate, shear, then scale each
    // axis by 1/(zoom * its aspect factor).
    const double c = std::cos(angle), s = std::sin(angle);
    auto t = theta.accessor<float, 3>();
    t[i][0][0] = float(flip * (c + shear * -s) / sx), t[i][0][1] = float((-s + shear * c) / sx), t[i][0][2] = float(tx);
    t[i][1][0] = float(flip * s / sy), t[i][1][1] = float(c / sy), t[i][1][2] = float(ty);
    gamma[i].fill_(std::exp(0.35 * u(rng)));
    contrast[i].fill_(1.0 + 0.25 * u(rng));
    brightness[i].fill_(0.08 * u(rng));
    noise[i].fill_(0.02 * unit(rng));
    // Gaussian blur with probability 0.3 (sigma 0.4..1.2 px), else identity.
    const double sigma = unit(rng) < 0.3 ? 0.4 + 0.8 * unit(rng) : 0.0;
    auto k = blur.accessor<float, 4>();
    double total = 0;
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 5; ++x) {
        const double r2 = (x - 2) * (x - 2) + (y - 2) * (y - 2);
        const double v = sigma > 0 ? std::exp(-r2 / (2 * sigma * sigma)) : (r2 == 0 ? 1.0 : 0.0);
        k[i][0][y][x] = float(v), total += v;
      }
    blur[i] /= total;
  }
  namespace F = torch::nn::functional;
  const torch::Tensor grid = F::affine_grid(theta, planes.sizes(), /*align_corners=*/false);
  torch::Tensor x = F::grid_sample(
      planes, grid,
      F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
  x = x.clamp(0, 1).pow(gamma);
  x = ((x - 0.5) * contrast + 0.5 + brightness);
  const int64_t h = x.size(2), w = x.size(3);
  x = F::conv2d(x.view({1, n, h, w}), blur, F::Conv2dFuncOptions().padding(2).groups(n)).view({n, 1, h, w});
  x = (x + torch::randn_like(x) * noise).clamp(0, 1);
  if (config.border_erase > 0) erase_borders(x, rng, config.border_erase);
  return x;
}

}  // namespace cxr::train
