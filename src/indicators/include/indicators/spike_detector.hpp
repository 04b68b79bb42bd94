// Spike detection on raw intensity (docs/INDICATORS.md § 2.6): a z-score against the
// rolling mean and sd of a filtered copy of the series (Brakel's smoothed z-score, with
// influence 0 by default: values inside a spike do not move the baseline), with hysteresis
// (z_on to start, z_off to end) and a maximum length.
#pragma once

#include <cstdint>
#include <optional>

#include "indicators/rolling.hpp"
#include "market/event.hpp"

namespace spacetime::indicators {

struct SpikeParams {
  std::size_t n = 1000;  // N_z
  double z_on = 3.0;
  double z_off = 1.0;
  double influence = 0.0;
  double sd_floor_frac = 0.10;
  std::uint64_t max_len = 1000;  // ticks
};

class SpikeDetector {
 public:
  explicit SpikeDetector(const SpikeParams& p = {}) : p_(p), stats_(p.n) {}

  struct Result {
    std::optional<market::SpikeStartEvent> start;
    std::optional<market::SpikeEndEvent> end;
  };

  // One ready raw intensity value I at tick (seq, t, q). At most one of start/end is set.
  Result update(double i, std::uint64_t seq, std::int64_t t, std::int64_t q) {
    Result out;
    if (stats_.ready()) {
      const double mean = stats_.mean();
      const double sd = stats_.sd();
      const double floor = p_.sd_floor_frac * mean;
      // mutate: equivalent: at sd == floor both branches give the same sd_eff.
      const double sd_eff = sd > floor ? sd : floor;
      const double z = sd_eff > 0.0 ? (i - mean) / sd_eff : 0.0;
      if (!in_spike_) {
        if (z >= p_.z_on) {
          in_spike_ = true;
          t_start_ = t;
          t_peak_ = t;
          peak_i_ = i;
          peak_z_ = z;
          ticks_ = 1;
          q_start_ = q;
          out.start =
              market::SpikeStartEvent{.seq = seq, .t = t, .intensity = i, .z = z, .price = q};
        }
      } else {
        ticks_ = ticks_ + 1;
        if (i > peak_i_) {
          peak_i_ = i;
          peak_z_ = z;
          t_peak_ = t;
        }
        if (z < p_.z_off || ticks_ >= p_.max_len) {
          in_spike_ = false;
          out.end = market::SpikeEndEvent{.seq = seq,
                                          .t_start = t_start_,
                                          .t_peak = t_peak_,
                                          .t_end = t,
                                          .peak_intensity = peak_i_,
                                          .peak_z = peak_z_,
                                          .ticks = ticks_,
                                          .price_start = q_start_,
                                          .price_end = q};
        }
      }
    }
    // § 2.6: after the state update, the filtered value joins the statistics.
    const double f = in_spike_ ? p_.influence * i + (1.0 - p_.influence) * last_f_ : i;
    stats_.push(f);
    last_f_ = f;
    return out;
  }

  bool in_spike() const { return in_spike_; }

  void save(StateWriter& w) const {
    stats_.save(w);
    w.put(last_f_);
    w.put(in_spike_);
    w.put(t_start_);
    w.put(t_peak_);
    w.put(peak_i_);
    w.put(peak_z_);
    w.put(ticks_);
    w.put(q_start_);
  }
  void load(StateReader& r) {
    stats_.load(r);
    r.get(last_f_);
    r.get(in_spike_);
    r.get(t_start_);
    r.get(t_peak_);
    r.get(peak_i_);
    r.get(peak_z_);
    r.get(ticks_);
    r.get(q_start_);
  }

 private:
  SpikeParams p_;
  RollStats stats_;
  double last_f_ = 0.0;
  bool in_spike_ = false;
  std::int64_t t_start_ = 0, t_peak_ = 0;
  double peak_i_ = 0.0, peak_z_ = 0.0;
  std::uint64_t ticks_ = 0;
  std::int64_t q_start_ = 0;
};

}  // namespace spacetime::indicators
