// Indicators on the bar clock of one timeframe (docs/INDICATORS.md § 2.3, § 2.8): EMA9/EMA21
// of the close with Pine-style crossovers, the Choppiness Index (classic Dreiss, int64
// price ticks), the volume SMA of the bars before the current one with its spike flag, the
// smoothed bar intensity and the ZLMA volume line. Updated only on closed bars.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "indicators/rolling.hpp"
#include "indicators/smoothers.hpp"
#include "market/candle.hpp"

namespace spacetime::indicators {

struct BarParams {
  std::size_t ema_fast = 9;
  std::size_t ema_slow = 21;
  std::size_t chop_n = 14;
  double chop_threshold = 61.8;  // CHOP below this passes the filter
  std::size_t volume_n = 20;     // volume SMA of the bars before the current one
  double spike_k = 1.5;          // volume spike: V_b >= k * SMA
  std::size_t spike_window = 3;  // the flag counts on bar b or the 2 bars before
  std::size_t zlma_n = 20;       // the ZLMA volume line
  SmootherType intensity_smoother = SmootherType::kEma;
  std::size_t intensity_n = 20;
};

// § 2.8 v4: C = n^(T/100). For the default (14, 61.8) the correctly rounded constant of the
// spec, equal to glibc's pow; otherwise computed once.
double chop_constant(std::size_t n, double threshold);

// What one closed bar produced.
struct BarClose {
  std::int64_t volume = 0;
  bool trend_ready = false;  // both EMAs ready at this bar
  double fast = 0.0, slow = 0.0;
  bool cross_ready = false;  // both EMAs ready at this bar and the one before
  int cross = 0;             // +1 up, -1 down, 0 none (Pine semantics)
  bool chop_ready = false;
  bool chop_pass = false;
  double chop = 100.0;  // display only
  bool volume_sma_ready = false;
  double volume_sma = 0.0;  // of the volume_n bars before this one
  bool spike_in_window = false;
  bool volume_zlma_ready = false;
  double volume_zlma = 0.0;
  bool intensity_ready = false;
  double intensity = 0.0;  // smoothed bar intensity
};

class BarIndicators {
 public:
  BarIndicators(const BarParams& p, std::int64_t tf_ns);

  BarClose on_close(const market::Candle& bar);

  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  BarParams p_;
  std::int64_t tf_ns_;
  double chop_c_;
  double log_n_;
  Ema fast_, slow_;
  bool prev_ready_ = false;
  double prev_fast_ = 0.0, prev_slow_ = 0.0;
  // CHOP
  std::vector<std::int64_t> tr_ring_;
  std::size_t tr_count_ = 0, tr_head_ = 0;
  std::int64_t tr_sum_ = 0;
  RollingMax highs_;
  RollingMin lows_;
  bool has_prev_close_ = false;
  std::int64_t prev_close_ = 0;
  // Volume
  Sma volume_sma_;
  std::vector<std::uint8_t> spike_flags_;  // ring of the last spike_window flags
  std::size_t spike_head_ = 0;
  Zlma volume_zlma_;
  Smoother intensity_;
};

}  // namespace spacetime::indicators
