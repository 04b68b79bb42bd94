// The adaptive buffer (docs/INDICATORS.md § 2.5): a dead band around an adaptive baseline
// of smoothed intensity. Baseline = 0.8 x mean of the last 1000 values + 0.2 x mean of the
// last 200; half-width = baseline x CV of the 1000, clamped to [0.10, 3.0]. The band at tick
// k comes from the values before k; then S_k joins them.
#pragma once

#include <stdexcept>

#include "indicators/rolling.hpp"
#include "market/event.hpp"

namespace spacetime::indicators {

struct BufferParams {
  std::size_t n = 1000;  // N_ab
  double w_long = 0.8;
  double w_short = 0.2;
  std::size_t short_percent = 20;  // N_short = N_ab * 20 / 100
  double k = 1.0;
  double cv_floor = 0.10;
  double cv_cap = 3.0;
};

struct Band {
  double upper = 0.0;
  double baseline = 0.0;
  double lower = 0.0;
  market::Zone zone = market::Zone::kNotReady;
};

class AdaptiveBuffer {
 public:
  explicit AdaptiveBuffer(const BufferParams& p = {})
      : p_(p), long_(p.n), short_(short_window(p)) {}

  // Classifies S_k against the band of the previous values, then pushes S_k. The band is
  // NOT_READY until N_ab previous values exist.
  Band update(double s) {
    Band band;
    if (long_.ready()) {
      const double mu_l = long_.mean();
      const double cv_l = long_.cv();
      const double mu_s = short_.mean();
      const double b = p_.w_long * mu_l + p_.w_short * mu_s;
      // mutate: equivalent: at cv_l == cv_floor or cv_cap both branches give the same c.
      const double c = cv_l < p_.cv_floor ? p_.cv_floor : (cv_l > p_.cv_cap ? p_.cv_cap : cv_l);
      const double h = (p_.k * b) * c;
      band.baseline = b;
      band.upper = b + h;
      band.lower = b - h;
      // b - h of equal values is +0.0 under round-to-nearest, so:
      // mutate: equivalent: at lower == 0.0 the assignment stores the same 0.0.
      if (band.lower < 0.0) band.lower = 0.0;
      band.zone = s > band.upper   ? market::Zone::kHigh
                  : s < band.lower ? market::Zone::kLow
                                   : market::Zone::kNeutral;
    }
    long_.push(s);
    short_.push(s);
    return band;
  }

  void save(StateWriter& w) const {
    long_.save(w);
    short_.save(w);
  }
  void load(StateReader& r) {
    long_.load(r);
    short_.load(r);
  }

 private:
  static std::size_t short_window(const BufferParams& p) {
    const std::size_t n = p.n * p.short_percent / 100;
    if (n == 0) throw std::invalid_argument("adaptive buffer: short window is empty");
    return n;
  }
  BufferParams p_;
  RollStats long_;
  RollMean short_;
};

}  // namespace spacetime::indicators
