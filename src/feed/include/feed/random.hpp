// The simulator's random numbers: a small fast generator and exact samplers of the
// exponential and normal laws, drawn our own way so that a seed gives the same numbers on
// every run on the same machine kind (std::*_distribution are not specified bit for bit;
// libm's exp and log, which build the tables and serve the rare draws outside them, are
// the same on every machine with the same libm).
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace spacetime::feed::random {

// A ziggurat (Marsaglia and Tsang, 2000) for a decreasing density f on [0, inf): N layers of
// equal area v, layer 0 the base (its rectangle plus the tail beyond r), layer i >= 1 the
// strip between heights f(x[i]) and f(x[i+1]) over [0, x[i]), x[1] = r down to x[N] = 0.
// A draw picks a layer and a point in its rectangle; ~99 % of them lie under the next
// layer's width and are taken at once, with one random word, a compare and a multiply. The
// rest take the wedge test or the tail, so the law is exact. Inversion (log1p) and
// Box-Muller (log, sqrt, sincos) took ~40 % of the simulator's time (docs/PERFORMANCE.md).
template <std::size_t N>
struct Ziggurat {
  static_assert(std::has_single_bit(N) && N <= 256);
  std::array<std::uint64_t, N> inner{};  // x[i+1] / x[i], in units of 2^-53
  std::array<double, N> width{};         // x[i] * 2^-53
  std::array<double, N + 1> height{};    // f(x[i]); height[N] = f(0)

  // r: where the tail starts; v: each layer's area; f and its inverse.
  template <typename F, typename FInverse>
  Ziggurat(double r, double v, F f, FInverse f_inverse) {
    std::array<double, N + 1> x{};
    x[0] = v / f(r);
    x[1] = r;
    for (std::size_t i = 1; i + 1 < N; ++i)
      x[i + 1] = f_inverse(f(x[i]) + v / x[i]);
    x[N] = 0.0;
    for (std::size_t i = 0; i < N; ++i) {
      inner[i] = static_cast<std::uint64_t>(x[i + 1] / x[i] * 0x1.0p53);
      width[i] = x[i] * 0x1.0p-53;
      height[i] = f(x[i]);
    }
    height[N] = f(0.0);
  }
};

inline double exp_density(double x) {
  return std::exp(-x);
}
inline double normal_density(double x) {
  return std::exp(-0.5 * x * x);
}

// Published parameters: 256 layers for the exponential, 128 for the normal's half.
inline constexpr double kExpR = 7.697117470131487;
inline constexpr double kNormalR = 3.442619855899;
inline const Ziggurat<256>& exp_ziggurat() {
  static const Ziggurat<256> z(kExpR, 3.949659822581572e-3, exp_density,
                               [](double y) { return -std::log(y); });
  return z;
}
inline const Ziggurat<128>& normal_ziggurat() {
  static const Ziggurat<128> z(kNormalR, 9.91256303526217e-3, normal_density,
                               [](double y) { return std::sqrt(-2.0 * std::log(y)); });
  return z;
}

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_)
      word = splitmix64(seed);
  }
  std::uint64_t next() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Exponential with mean 1. A word's low 8 bits pick the layer, its top 53 the point.
  double exponential() {
    const auto& z = exp_ziggurat();
    for (;;) {
      const std::uint64_t word = next();
      const std::size_t layer = word & 255;
      const std::uint64_t j = word >> 11;
      const double x = static_cast<double>(j) * z.width[layer];
      if (j < z.inner[layer]) return x;
      if (layer == 0) return kExpR - std::log1p(-uniform());  // the tail: r + Exp(1)
      if (z.height[layer] + uniform() * (z.height[layer + 1] - z.height[layer]) < exp_density(x))
        return x;
    }
  }
  // Standard normal. The low 7 bits pick the layer, bit 7 the sign, the top 53 the point.
  double normal() {
    const auto& z = normal_ziggurat();
    for (;;) {
      const std::uint64_t word = next();
      const std::size_t layer = word & 127;
      const double sign = (word & 128) ? -1.0 : 1.0;
      const std::uint64_t j = word >> 11;
      const double x = static_cast<double>(j) * z.width[layer];
      if (j < z.inner[layer]) return sign * x;
      if (layer == 0) {  // the tail beyond r (Marsaglia's method)
        for (;;) {
          const double a = -std::log1p(-uniform()) / kNormalR;
          const double b = -std::log1p(-uniform());
          if (2.0 * b >= a * a) return sign * (kNormalR + a);
        }
      }
      if (z.height[layer] + uniform() * (z.height[layer + 1] - z.height[layer]) < normal_density(x))
        return sign * x;
    }
  }

 private:
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::array<std::uint64_t, 4> s_{};
};

}  // namespace spacetime::feed::random
