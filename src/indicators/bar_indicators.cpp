#include "indicators/bar_indicators.hpp"

#include <stdexcept>

namespace spacetime::indicators {

double chop_constant(std::size_t n, double threshold) {
  if (n == 14 && threshold == 61.8) return 0x1.46f44f4db79f3p+2;
  return std::pow(static_cast<double>(n), threshold / 100.0);
}

BarIndicators::BarIndicators(const BarParams& p, std::int64_t tf_ns)
    : p_(p),
      tf_ns_(tf_ns),
      chop_c_(chop_constant(p.chop_n, p.chop_threshold)),
      log_n_(std::log10(static_cast<double>(p.chop_n))),
      fast_(p.ema_fast),
      slow_(p.ema_slow),
      tr_ring_(p.chop_n),
      highs_(p.chop_n),
      lows_(p.chop_n),
      volume_sma_(p.volume_n),
      spike_flags_(p.spike_window == 0
                       ? throw std::invalid_argument("volume spike window must be >= 1")
                       : p.spike_window,
                   0),
      volume_zlma_(p.zlma_n),
      intensity_(p.intensity_smoother, p.intensity_n) {
  if (p.chop_n < 2) throw std::invalid_argument("CHOP period must be >= 2");
}

BarClose BarIndicators::on_close(const market::Candle& bar) {
  BarClose out;
  out.volume = bar.volume;
  const double close = static_cast<double>(bar.close);

  // Trend EMAs and the Pine crossover: f_b > s_b && f_{b-1} <= s_{b-1} (and mirrored).
  fast_.update(close);
  slow_.update(close);
  out.trend_ready = fast_.ready() && slow_.ready();
  if (out.trend_ready) {
    out.fast = fast_.value();
    out.slow = slow_.value();
    if (prev_ready_) {
      out.cross_ready = true;
      if (out.fast > out.slow && prev_fast_ <= prev_slow_) out.cross = 1;
      if (out.fast < out.slow && prev_fast_ >= prev_slow_) out.cross = -1;
    }
    prev_fast_ = out.fast;
    prev_slow_ = out.slow;
    prev_ready_ = true;
  }

  // CHOP(n), int64 price ticks: TR_b = max(H_b, C_{b-1}) - min(L_b, C_{b-1}).
  const std::int64_t tr = has_prev_close_
                              ? std::max(bar.high, prev_close_) - std::min(bar.low, prev_close_)
                              : bar.high - bar.low;
  prev_close_ = bar.close;
  has_prev_close_ = true;
  const std::size_t n = tr_ring_.size();
  if (tr_count_ < n) {
    tr_ring_[tr_count_++] = tr;
    tr_sum_ += tr;
  } else {
    tr_sum_ -= tr_ring_[tr_head_];
    tr_ring_[tr_head_] = tr;
    tr_sum_ += tr;
    tr_head_ = tr_head_ + 1 == n ? 0 : tr_head_ + 1;
  }
  highs_.push(bar.high);
  lows_.push(bar.low);
  out.chop_ready = tr_count_ == n;
  if (out.chop_ready) {
    const std::int64_t range = highs_.value() - lows_.value();
    out.chop_pass = range > 0 &&  // mutate: equivalent: at range 0, SumTR < 0 is false too
                    static_cast<double>(tr_sum_) < chop_c_ * static_cast<double>(range);
    out.chop =
        range > 0
            ? 100.0 * std::log10(static_cast<double>(tr_sum_) / static_cast<double>(range)) / log_n_
            : 100.0;
  }

  // Volume SMA of the bars *before* this one, then this bar joins it.
  const double v = static_cast<double>(bar.volume);
  out.volume_sma_ready = volume_sma_.ready();
  out.volume_sma = out.volume_sma_ready ? volume_sma_.value() : 0.0;
  const bool spike = out.volume_sma_ready && v >= p_.spike_k * out.volume_sma;
  spike_flags_[spike_head_] = spike ? 1 : 0;
  spike_head_ = spike_head_ + 1 == spike_flags_.size() ? 0 : spike_head_ + 1;
  for (const auto f : spike_flags_)
    out.spike_in_window = out.spike_in_window || f != 0;
  volume_sma_.update(v);

  volume_zlma_.update(v);
  out.volume_zlma_ready = volume_zlma_.ready();
  out.volume_zlma = out.volume_zlma_ready ? volume_zlma_.value() : 0.0;

  intensity_.update(v * 1.0e9 / static_cast<double>(tf_ns_));
  out.intensity_ready = intensity_.ready();
  out.intensity = out.intensity_ready ? intensity_.value() : 0.0;
  return out;
}

void BarIndicators::save(StateWriter& w) const {
  fast_.save(w);
  slow_.save(w);
  w.put(prev_ready_);
  w.put(prev_fast_);
  w.put(prev_slow_);
  w.put_vector(tr_ring_);
  w.put(tr_count_);
  w.put(tr_head_);
  w.put(tr_sum_);
  highs_.save(w);
  lows_.save(w);
  w.put(has_prev_close_);
  w.put(prev_close_);
  volume_sma_.save(w);
  w.put_vector(spike_flags_);
  w.put(spike_head_);
  volume_zlma_.save(w);
  intensity_.save(w);
}

void BarIndicators::load(StateReader& r) {
  fast_.load(r);
  slow_.load(r);
  r.get(prev_ready_);
  r.get(prev_fast_);
  r.get(prev_slow_);
  r.get_vector(tr_ring_);
  r.get(tr_count_);
  r.get(tr_head_);
  r.get(tr_sum_);
  highs_.load(r);
  lows_.load(r);
  r.get(has_prev_close_);
  r.get(prev_close_);
  volume_sma_.load(r);
  r.get_vector(spike_flags_);
  r.get(spike_head_);
  volume_zlma_.load(r);
  intensity_.load(r);
}

}  // namespace spacetime::indicators
