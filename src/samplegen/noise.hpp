#pragma once
// relocplan-samplegen: deterministic random numbers and noise.  Rng is
// xoshiro256** seeded through splitmix64, one independent stream per
// purpose; the lattice noise (gradient noise, fBm, ridged noise) is a pure
// function of the coordinates and a salt.  Inline: the terrain evaluates it
// for every DEM cell.

#include "common.hpp"

namespace relocplan::samplegen {

// ---------------------------------------------------------------------------
// Deterministic random numbers

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t splitmix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  return mix64(state);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256** seeded through splitmix64; one independent stream per purpose.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t st = seed ^ mix64(stream + 0x632BE59BD9B4E019ULL);
    for (auto& w : s_) w = splitmix64(st);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // [0, 1)
  double uni() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double range(double lo, double hi) { return lo + (hi - lo) * uni(); }
  // integer in [lo, hi]
  int64_t irange(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(next() % span);
  }
  bool chance(double p) { return uni() < p; }
  // standard normal (Box-Muller, no caching)
  double normal() {
    const double u1 = 1.0 - uni();  // (0, 1]
    const double u2 = uni();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  std::array<uint64_t, 4> s_{};
};

// ---------------------------------------------------------------------------
// Lattice noise: a pure function of (coordinates, salt).

inline uint64_t hash2(int64_t i, int64_t j, uint64_t salt) {
  return mix64(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL +
               mix64(static_cast<uint64_t>(j) ^ salt));
}

struct GradTable {
  std::array<double, 16> gx{};
  std::array<double, 16> gy{};
  GradTable() {
    for (int k = 0; k < 16; ++k) {
      const double a = 2.0 * kPi * (k + 0.5) / 16.0;
      gx[static_cast<size_t>(k)] = std::cos(a);
      gy[static_cast<size_t>(k)] = std::sin(a);
    }
  }
};
inline const GradTable kGrad;

inline double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }

// 2-D gradient noise, roughly in [-1, 1].
inline double gnoise(double x, double y, uint64_t salt) {
  const double fx = std::floor(x);
  const double fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx);
  const auto iy = static_cast<int64_t>(fy);
  const double dx = x - fx;
  const double dy = y - fy;
  auto grad = [&](int64_t i, int64_t j, double px, double py) {
    const auto h = static_cast<size_t>(hash2(i, j, salt) & 15u);
    return kGrad.gx[h] * px + kGrad.gy[h] * py;
  };
  const double n00 = grad(ix, iy, dx, dy);
  const double n10 = grad(ix + 1, iy, dx - 1.0, dy);
  const double n01 = grad(ix, iy + 1, dx, dy - 1.0);
  const double n11 = grad(ix + 1, iy + 1, dx - 1.0, dy - 1.0);
  const double u = fade(dx);
  const double w = fade(dy);
  const double a = n00 + u * (n10 - n00);
  const double b = n01 + u * (n11 - n01);
  return 1.41 * (a + w * (b - a));
}

// 1-D gradient noise, roughly in [-1, 1].
inline double gnoise1(double x, uint64_t salt) {
  const double fx = std::floor(x);
  const auto ix = static_cast<int64_t>(fx);
  const double dx = x - fx;
  auto grad = [&](int64_t i) {
    return static_cast<double>(static_cast<int64_t>(hash2(i, 0, salt) & 0xFFFF) - 32768) / 32768.0;
  };
  const double n0 = grad(ix) * dx;
  const double n1 = grad(ix + 1) * (dx - 1.0);
  return 2.0 * (n0 + fade(dx) * (n1 - n0));
}

// fractional Brownian motion, normalised to roughly [-1, 1]
inline double fbm(double x, double y, int octaves, uint64_t salt, double gain = 0.5) {
  double sum = 0.0;
  double amp = 1.0;
  double norm = 0.0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * gnoise(x, y, salt + static_cast<uint64_t>(i) * 0x1000193ULL);
    norm += amp;
    amp *= gain;
    x = x * 2.03 + 17.13;
    y = y * 2.03 - 9.71;
  }
  return sum / norm;
}

// ridged noise: sharp crests, detail everywhere; roughly in [-0.5, 0.5]
inline double ridged(double x, double y, int octaves, uint64_t salt) {
  double sum = 0.0;
  double amp = 1.0;
  double norm = 0.0;
  for (int i = 0; i < octaves; ++i) {
    double n = 1.0 - std::fabs(gnoise(x, y, salt + static_cast<uint64_t>(i) * 0x51ED27ULL));
    sum += amp * (n * n - 0.45);
    norm += amp;
    amp *= 0.5;
    x = x * 2.03 + 31.7;
    y = y * 2.03 - 12.9;
  }
  return sum / norm;
}

inline double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// polynomial smooth minimum
inline double smin(double a, double b, double k) {
  const double h = std::max(k - std::fabs(a - b), 0.0);
  return std::min(a, b) - h * h / (4.0 * k);
}

inline double wrapAngle(double a) {
  while (a > kPi) a -= 2.0 * kPi;
  while (a < -kPi) a += 2.0 * kPi;
  return a;
}

}  // namespace relocplan::samplegen
