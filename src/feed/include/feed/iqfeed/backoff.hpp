// Reconnect delays: exponential, capped, with multiplicative jitter (IqFeedBackoff).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "feed/iqfeed.hpp"

namespace spacetime::feed::iqfeed {

class Backoff {
 public:
  Backoff(const IqFeedBackoff& config, std::uint64_t seed) : config_(config), state_(seed) {}

  // The delay before the next attempt; each call grows the following one.
  std::chrono::milliseconds next() {
    const double initial = static_cast<double>(config_.initial.count());
    const double cap = static_cast<double>(config_.max.count());
    const double base =
        std::min(cap, initial * std::pow(config_.factor, static_cast<double>(attempt_)));
    if (attempt_ < 64) ++attempt_;
    const double u = uniform();  // [0, 1)
    const double jittered = base * (1.0 - config_.jitter + 2.0 * config_.jitter * u);
    return std::chrono::milliseconds(std::llround(std::clamp(jittered, 0.0, cap)));
  }

  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  // splitmix64: enough randomness for jitter, and reproducible from the seed in tests.
  double uniform() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

  IqFeedBackoff config_;
  std::uint64_t state_;
  int attempt_ = 0;
};

}  // namespace spacetime::feed::iqfeed
