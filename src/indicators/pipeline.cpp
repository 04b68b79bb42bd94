#include "indicators/pipeline.hpp"

#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace spacetime::indicators {
namespace {

std::array<CandleAggregator, market::kTimeframeCount> make_candles(const market::Session* session) {
  return {CandleAggregator(market::Timeframe::k1s),
          CandleAggregator(market::Timeframe::k10s),
          CandleAggregator(market::Timeframe::k1m),
          CandleAggregator(market::Timeframe::k5m),
          CandleAggregator(market::Timeframe::k15m),
          CandleAggregator(market::Timeframe::k1h, session),
          CandleAggregator(market::Timeframe::k1d, session)};
}

// What a snapshot must be restored under: the parameters, and the session when there is
// one (no line without, so snapshots of UTC-day symbols are unchanged).
std::string snapshot_key(const IndicatorParams& p, const market::Session* session) {
  std::string key = describe(p);
  if (session != nullptr) key += "session=" + session->describe() + "\n";
  return key;
}

market::ReversalEvent reversal(market::SymbolId symbol, std::uint64_t seq, std::int64_t q,
                               std::int64_t t, std::uint8_t version, market::ReversalReason reason,
                               const Signal& s) {
  return market::ReversalEvent{.symbol = symbol,
                               .seq = seq,
                               .t = t,
                               .version = version,
                               .direction = static_cast<std::int8_t>(s.direction),
                               .price = q,
                               .reason = reason,
                               .strength = s.strength};
}

const IndicatorParams& validated(const IndicatorParams& p) {
  validate(p);
  return p;
}

}  // namespace

std::string describe(const IndicatorParams& p) {
  std::ostringstream o;
  o << std::setprecision(17);
  auto line = [&o](const char* key, const auto& value) { o << key << '=' << value << '\n'; };
  line("intensity", static_cast<int>(p.intensity.mode));
  line("window_ns", p.intensity.window_ns);
  line("smoother", static_cast<int>(p.intensity.smoother));
  line("smooth_n", p.intensity.n_smooth);
  line("max_window_ticks", p.intensity.max_window_ticks);
  line("buffer_n", p.buffer.n);
  line("buffer_w_long", p.buffer.w_long);
  line("buffer_w_short", p.buffer.w_short);
  line("buffer_short_percent", p.buffer.short_percent);
  line("buffer_k", p.buffer.k);
  line("buffer_cv_floor", p.buffer.cv_floor);
  line("buffer_cv_cap", p.buffer.cv_cap);
  line("spike_n", p.spike.n);
  line("spike_z_on", p.spike.z_on);
  line("spike_z_off", p.spike.z_off);
  line("spike_influence", p.spike.influence);
  line("spike_sd_floor", p.spike.sd_floor_frac);
  line("spike_max_len", p.spike.max_len);
  line("ema_fast", p.bars.ema_fast);
  line("ema_slow", p.bars.ema_slow);
  line("chop_n", p.bars.chop_n);
  line("chop_threshold", p.bars.chop_threshold);
  line("volume_n", p.bars.volume_n);
  line("volume_spike_k", p.bars.spike_k);
  line("volume_spike_window", p.bars.spike_window);
  line("zlma_n", p.bars.zlma_n);
  line("bar_smoother", static_cast<int>(p.bars.intensity_smoother));
  line("bar_smooth_n", p.bars.intensity_n);
  line("v1_min_burst", p.v1.min_burst);
  line("v1_min_move", p.v1.min_move);
  line("v1_max_burst", p.v1.max_burst);
  line("v1_cooldown", p.v1.cooldown);
  line("v2_extreme_window", p.v2.extreme_window);
  line("v2_momentum", p.v2.momentum);
  line("v2_confirm", p.v2.confirm);
  line("v2_min_retrace", p.v2.min_retrace);
  line("v2_cooldown", p.v2.cooldown);
  line("v3_ltf", market::to_string(p.v3.ltf));
  line("v3_htf", market::to_string(p.v3.htf));
  line("v3_gate", p.v3.gate);
  line("v3_cooldown", p.v3.cooldown);
  line("v4_tf", market::to_string(p.v4.tf));
  line("v4_cooldown", p.v4.cooldown);
  line("sample_ns", p.sample.period_ns);
  line("correction_trades", p.corrections.max_trades);
  line("correction_bars", p.corrections.max_bars);
  return o.str();
}

bool ParamOverrides::matches(const Rule& rule, std::string_view symbol) const {
  return market::glob_match(rule.pattern, symbol);
}

std::shared_ptr<const IndicatorParams> ParamOverrides::resolve(
    std::shared_ptr<const IndicatorParams> base, std::string_view symbol) const {
  std::shared_ptr<IndicatorParams> out;
  std::string patterns;
  for (const auto& rule : rules_) {
    if (!matches(rule, symbol)) continue;
    if (!out) out = std::make_shared<IndicatorParams>(*base);
    rule.apply(*out);
    patterns += patterns.empty() ? rule.pattern : ", " + rule.pattern;
  }
  if (!out) return base;
  try {
    validate(*out);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("indicator parameters of " + std::string(symbol) + " (overrides " +
                                patterns + "): " + e.what());
  }
  return out;
}

void validate(const IndicatorParams& p) {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(what);
  };
  require(p.intensity.window_ns > 0, "intensity window must be > 0");
  require(p.intensity.n_smooth >= 1, "intensity smoothing period must be >= 1");
  require(p.intensity.max_window_ticks >= 1, "intensity window bound must be >= 1");
  require(p.buffer.n >= 2 && p.buffer.n * p.buffer.short_percent / 100 >= 1,
          "adaptive buffer window too small");
  require(p.spike.n >= 2, "spike window must be >= 2");
  require(p.spike.z_off <= p.spike.z_on, "spike z_off must not exceed z_on");
  require(p.bars.ema_fast >= 1 && p.bars.ema_slow >= 1, "EMA periods must be >= 1");
  require(p.bars.chop_n >= 2, "CHOP period must be >= 2");
  require(p.bars.volume_n >= 1 && p.bars.zlma_n >= 1, "volume periods must be >= 1");
  require(p.bars.spike_window >= 1, "volume spike window must be >= 1");
  require(p.bars.intensity_n >= 1, "bar intensity smoothing period must be >= 1");
  require(p.v2.extreme_window >= 1 && p.v2.momentum >= 1, "v2 windows must be >= 1");
  require(p.v1.min_move >= 1 && p.v2.min_retrace >= 1,
          "v1 min_move and v2 min_retrace must be >= 1");
  require(market::duration_ns(p.v3.ltf) < market::duration_ns(p.v3.htf),
          "v3 lower timeframe must be shorter than the higher one");
  require(p.sample.period_ns > 0, "sampling period must be > 0");
  require(p.corrections.max_trades >= 1 && p.corrections.max_bars >= 1,
          "correction_trades and correction_bars must be >= 1");
}

SymbolIndicators::SymbolIndicators(market::SymbolId symbol, const IndicatorParams& params,
                                   std::shared_ptr<const market::Session> session)
    : symbol_(symbol),
      p_(validated(params)),  // first: a refused set fails with validate()'s line, not a member's
      session_(std::move(session)),
      candles_(make_candles(session_.get())),
      revisions_(params.corrections),
      window_(params.intensity.window_ns, params.intensity.max_window_ticks),
      sma_(params.intensity.n_smooth),
      ema_(params.intensity.n_smooth),
      zlma_(params.intensity.n_smooth),
      buffer_(params.buffer),
      spikes_(params.spike),
      v1_(params.v1),
      v2_(params.v2),
      v3_(params.v3),
      v4_(params.v4) {
  bars_.reserve(market::kTimeframeCount);
  for (const auto tf : market::kAllTimeframes)
    bars_.emplace_back(params.bars, market::duration_ns(tf));
}

void SymbolIndicators::on_tick(const market::Tick& tick, std::vector<market::Event>& out) {
  // 1. Effective time (D5).
  const std::int64_t t = clock_.update(tick.ts_ns);
  const std::int64_t q = tick.price;
  out.push_back(market::TickEvent{.symbol = symbol_,
                                  .seq = ++tick_seq_,
                                  .tick_seq = tick.seq,
                                  .t = t,
                                  .price = q,
                                  .size = tick.size,
                                  .bid = tick.bid,
                                  .ask = tick.ask});

  // 2. and 3. Bars close in ascending timeframe order; then v3, then v4.
  close_bars(BarStep::kTick, t, q, tick.size, tick.seq, out);
  revisions_.on_trade(tick.seq, t, q, tick.size);

  // 4. The tick joined its bar in step 2. 5. Tick intensity: window -> I_k -> S_k.
  const bool i_ready = window_.update(t, tick.size, q);
  double i_k = 0.0;
  market::IntensityEvent ie;
  if (i_ready) {
    i_k = window_.rate(p_.intensity.mode);
    sma_.update(i_k);
    ema_.update(i_k);
    zlma_.update(i_k);
    ie = market::IntensityEvent{.symbol = symbol_,
                                .seq = tick.seq,
                                .t = t,
                                .raw = i_k,
                                .sma_ready = sma_.ready(),
                                .ema_ready = ema_.ready(),
                                .zlma_ready = zlma_.ready(),
                                .sma = sma_.ready() ? sma_.value() : 0.0,
                                .ema = ema_.ready() ? ema_.value() : 0.0,
                                .zlma = zlma_.ready() ? zlma_.value() : 0.0};
    out.push_back(ie);
  }
  // S_k is the run's selected smoother, fed only with ready I (D6).
  bool s_ready = false;
  double s_k = 0.0;
  if (i_ready) {
    if (p_.intensity.smoother == SmootherType::kSma) {
      s_ready = sma_.ready();
      s_k = sma_.value();
    } else if (p_.intensity.smoother == SmootherType::kEma) {
      s_ready = ema_.ready();
      s_k = ema_.value();
    } else {
      s_ready = zlma_.ready();
      s_k = zlma_.value();
    }
  }

  // 6. Adaptive buffer: band from the previous values, zone of S_k, then S_k joins.
  Band band;
  if (s_ready) {
    band = buffer_.update(s_k);
    if (band.zone != market::Zone::kNotReady) {
      out.push_back(market::BufferEvent{.symbol = symbol_,
                                        .seq = tick.seq,
                                        .t = t,
                                        .smoothed = s_k,
                                        .upper = band.upper,
                                        .baseline = band.baseline,
                                        .lower = band.lower,
                                        .zone = band.zone});
    }
  }
  if (band.zone == market::Zone::kHigh) ltf_high_ = true;
  if (i_ready) sample(t, i_k, ie, band, s_k, out);

  // 7. Spikes on the raw intensity.
  if (i_ready) {
    auto r = spikes_.update(i_k, tick.seq, t, q);
    if (r.start) {
      r.start->symbol = symbol_;
      r.start->channel_seq = ++spike_seq_;
      out.push_back(*r.start);
    }
    if (r.end) {
      r.end->symbol = symbol_;
      r.end->channel_seq = ++spike_seq_;
      out.push_back(*r.end);
    }
  }

  // 8. v1, then v2.
  const std::int64_t q_prev = has_prev_ ? prev_q_ : q;
  if (s_ready) {
    if (auto s = v1_.update(s_k, band, prev_zone_, q, q_prev)) {
      push_reversal(reversal(symbol_, tick.seq, q, t, 1, market::ReversalReason::kClimaxFade, *s),
                    out);
    }
  }
  if (auto s = v2_.update(q, band.zone)) {
    push_reversal(reversal(symbol_, tick.seq, q, t, 2, market::ReversalReason::kExtremeRetrace, *s),
                  out);
  }
  prev_zone_ = band.zone;
  prev_q_ = q;
  has_prev_ = true;
  last_seq_ = tick.seq;
}

std::size_t SymbolIndicators::close_bars(BarStep step, std::int64_t t, std::int64_t q,
                                         std::int64_t size, std::uint64_t seq,
                                         std::vector<market::Event>& out) {
  const std::size_t ltf = market::index_of(p_.v3.ltf);
  const std::size_t htf = market::index_of(p_.v3.htf);
  const std::size_t v4tf = market::index_of(p_.v4.tf);
  std::array<std::optional<BarClose>, market::kTimeframeCount> closed;
  bool ltf_high_closed = false;
  std::size_t n = 0;
  for (std::size_t i = 0; i < market::kTimeframeCount; ++i) {
    CandleAggregator& agg = candles_[i];
    const bool closes = step == BarStep::kTick    ? agg.update(t, q, size)
                        : step == BarStep::kClock ? agg.close_if_ended(t)
                                                  : agg.flush();
    if (!closes) continue;
    ++n;
    const BarClose c = bars_[i].on_close(agg.last_closed());
    // A tick-driven close has opened the next bar already; a clock close has not.
    const market::CandleEvent bar{.symbol = symbol_,
                                  .tf = market::kAllTimeframes[i],
                                  .closed = true,
                                  .seq = agg.bars() - (agg.has_current() ? 1 : 0),
                                  .candle = agg.last_closed(),
                                  .volume_zlma_ready = c.volume_zlma_ready,
                                  .volume_zlma = c.volume_zlma,
                                  .bar_intensity_ready = c.intensity_ready,
                                  .bar_intensity = c.intensity};
    out.push_back(bar);
    revisions_.on_closed(i, bar);
    if (i == htf) v3_.on_htf_close(c);
    if (i == ltf) {
      ltf_high_closed = ltf_high_;
      ltf_high_ = false;
    }
    closed[i] = c;
  }

  // 3. v3, then v4, on the bars that just closed.
  if (closed[ltf]) {
    if (auto s = v3_.on_ltf_close(*closed[ltf], ltf_high_closed)) {
      push_reversal(reversal(symbol_, seq, q, t, 3, market::ReversalReason::kTrendPullback, *s),
                    out);
    }
  }
  if (closed[v4tf]) {
    if (auto s = v4_.on_close(*closed[v4tf])) {
      push_reversal(reversal(symbol_, seq, q, t, 4, market::ReversalReason::kCrossNotChoppy, *s),
                    out);
    }
  }
  return n;
}

void SymbolIndicators::on_correction(const market::Tick& correction,
                                     std::vector<market::Event>& out) {
  revisions_.apply(correction, clock_.last(), candles_, out);
}

void SymbolIndicators::on_clock(std::int64_t t, std::vector<market::Event>& out) {
  if (!has_prev_) return;
  const std::int64_t now = clock_.advance(t);
  close_bars(BarStep::kClock, now, prev_q_, 0, last_seq_, out);
}

std::size_t SymbolIndicators::flush(std::vector<market::Event>& out) {
  if (!has_prev_) return 0;
  return close_bars(BarStep::kFlush, clock_.last(), prev_q_, 0, last_seq_, out);
}

void SymbolIndicators::continue_sequences(const market::ChannelSequences& last) {
  for (const market::Timeframe tf : market::kAllTimeframes) {  // no bound to get wrong
    const std::size_t i = market::index_of(tf);
    candles_[i].continue_from(last.bars[i]);
  }
  tick_seq_ = last.ticks;
  spike_seq_ = last.spikes;
  reversal_seq_ = last.reversals;
  if (!sample_open_) sample_.seq = last.samples;
}

bool SymbolIndicators::restore_bar(const market::CandleEvent& bar) {
  if (has_prev_ || bar.closed) return false;
  CandleAggregator& agg = candles_[market::index_of(bar.tf)];
  if (agg.has_current() || bar.seq <= agg.bars()) return false;
  agg.restore(bar.seq, bar.candle);
  revisions_.history_incomplete();  // its trades before the restart are not kept
  // D5 across the restart: no tick of the new run is earlier than the bar's last one.
  clock_.advance(bar.candle.last_ns);
  return true;
}

market::ChannelSequences SymbolIndicators::sequences() const {
  market::ChannelSequences s;
  for (const market::Timeframe tf : market::kAllTimeframes) {
    const std::size_t i = market::index_of(tf);
    s.bars[i] = candles_[i].bars() - (candles_[i].has_current() ? 1 : 0);
  }
  s.ticks = tick_seq_;
  s.spikes = spike_seq_;
  s.reversals = reversal_seq_;
  s.samples = sample_.seq - (sample_open_ ? 1 : 0);
  return s;
}

// The downsampled series (market::SampleEvent): a bucket closes when the first intensity
// value of a later bucket arrives, exactly as a bar closes.
void SymbolIndicators::sample(std::int64_t t, double i_k, const market::IntensityEvent& ie,
                              const Band& band, double s_k, std::vector<market::Event>& out) {
  const std::int64_t bucket = (t / p_.sample.period_ns) * p_.sample.period_ns;
  if (sample_open_ && bucket > sample_.t) {
    out.push_back(sample_);
    sample_open_ = false;
  }
  if (!sample_open_) {
    const std::uint64_t seq = sample_.seq + 1;
    sample_ = market::SampleEvent{.symbol = symbol_, .seq = seq, .t = bucket};
    sample_.raw_min = i_k;
    sample_.raw_max = i_k;
    sample_open_ = true;
  }
  sample_.t_last = t;
  sample_.raw_last = i_k;
  // mutate: equivalent: at i_k == raw_min it stores the same value.
  if (i_k < sample_.raw_min) sample_.raw_min = i_k;
  // mutate: equivalent: at i_k == raw_max it stores the same value.
  if (i_k > sample_.raw_max) sample_.raw_max = i_k;
  sample_.sma_ready = ie.sma_ready;
  sample_.ema_ready = ie.ema_ready;
  sample_.zlma_ready = ie.zlma_ready;
  sample_.sma = ie.sma;
  sample_.ema = ie.ema;
  sample_.zlma = ie.zlma;
  if (band.zone != market::Zone::kNotReady) {
    sample_.zone = band.zone;
    sample_.smoothed = s_k;
    sample_.upper = band.upper;
    sample_.baseline = band.baseline;
    sample_.lower = band.lower;
  }
}

std::string SymbolIndicators::save() const {
  StateWriter w;
  // A snapshot restores only under the same parameters and session.
  w.put_string(snapshot_key(p_, session_.get()));
  clock_.save(w);
  for (const auto& c : candles_)
    c.save(w);
  revisions_.save(w);
  for (const auto& b : bars_)
    b.save(w);
  window_.save(w);
  sma_.save(w);
  ema_.save(w);
  zlma_.save(w);
  buffer_.save(w);
  spikes_.save(w);
  v1_.save(w);
  v2_.save(w);
  v3_.save(w);
  v4_.save(w);
  w.put(prev_zone_);
  w.put(prev_q_);
  w.put(has_prev_);
  w.put(last_seq_);
  w.put(ltf_high_);
  w.put(tick_seq_);
  w.put(spike_seq_);
  w.put(reversal_seq_);
  for (const std::int64_t v : {sample_.t, sample_.t_last})
    w.put(v);
  w.put(sample_.seq);
  for (const double v :
       {sample_.raw_last, sample_.raw_min, sample_.raw_max, sample_.sma, sample_.ema, sample_.zlma,
        sample_.smoothed, sample_.upper, sample_.baseline, sample_.lower}) {
    w.put(v);
  }
  for (const bool v : {sample_.sma_ready, sample_.ema_ready, sample_.zlma_ready, sample_open_})
    w.put(v);
  w.put(sample_.zone);
  return w.bytes();
}

namespace {

// "key=value" lines of `a` that differ in `b`, for the message.
// A line only one side has (the session line) is "none" on the other.
std::string differences(const std::string& saved, const std::string& now) {
  std::istringstream a(saved), b(now);
  std::string la, lb, out;
  for (;;) {
    const bool has_a = static_cast<bool>(std::getline(a, la));
    const bool has_b = static_cast<bool>(std::getline(b, lb));
    if (!has_a && !has_b) break;
    if (has_a && has_b && la == lb) continue;
    if (!out.empty()) out += ", ";
    const std::size_t eq = lb.find('=');
    if (has_a && has_b) {
      out += la + " (now " + lb.substr(eq + 1) + ")";
    } else if (has_a) {
      out += la + " (now none)";
    } else {
      out += lb.substr(0, eq) + "=none (now " + lb.substr(eq + 1) + ")";
    }
  }
  return out.empty() ? "a different parameter list" : out;
}

}  // namespace

void SymbolIndicators::load(const std::string& bytes) {
  StateReader r(bytes);
  std::string saved;
  r.get_string(saved);
  const std::string params = snapshot_key(p_, session_.get());
  if (saved != params) {
    throw std::runtime_error(
        "indicator state: saved under other parameters: " + differences(saved, params) +
        "; restore it with the parameters it was saved under");
  }
  clock_.load(r);
  for (auto& c : candles_)
    c.load(r);
  revisions_.load(r);
  for (auto& b : bars_)
    b.load(r);
  window_.load(r);
  sma_.load(r);
  ema_.load(r);
  zlma_.load(r);
  buffer_.load(r);
  spikes_.load(r);
  v1_.load(r);
  v2_.load(r);
  v3_.load(r);
  v4_.load(r);
  r.get(prev_zone_);
  r.get(prev_q_);
  r.get(has_prev_);
  r.get(last_seq_);
  r.get(ltf_high_);
  r.get(tick_seq_);
  r.get(spike_seq_);
  r.get(reversal_seq_);
  sample_ = market::SampleEvent{.symbol = symbol_};
  for (std::int64_t* v : {&sample_.t, &sample_.t_last})
    r.get(*v);
  r.get(sample_.seq);
  for (double* v :
       {&sample_.raw_last, &sample_.raw_min, &sample_.raw_max, &sample_.sma, &sample_.ema,
        &sample_.zlma, &sample_.smoothed, &sample_.upper, &sample_.baseline, &sample_.lower}) {
    r.get(*v);
  }
  for (bool* v : {&sample_.sma_ready, &sample_.ema_ready, &sample_.zlma_ready, &sample_open_})
    r.get(*v);
  r.get(sample_.zone);
  if (!r.done()) throw std::runtime_error("indicator state: trailing bytes in snapshot");
}

void run_batch(const TickColumns& ticks, std::vector<SymbolIndicators>& states,
               std::vector<market::Event>& out) {
  FeedClock clock;
  run_batch(ticks, states, clock, out);
}

void run_batch(const TickColumns& ticks, std::vector<SymbolIndicators>& states, FeedClock& clock,
               std::vector<market::Event>& out) {
  const std::size_t n = ticks.ts_ns.size();
  for (std::size_t i = 0; i < n; ++i) {
    const market::Tick tick{.ts_ns = ticks.ts_ns[i],
                            .price = ticks.price[i],
                            .size = ticks.size[i],
                            .bid = ticks.bid.empty() ? 0 : ticks.bid[i],
                            .ask = ticks.ask.empty() ? 0 : ticks.ask[i],
                            .seq = ticks.seq[i],
                            .symbol = ticks.symbol[i],
                            .kind = ticks.kind.empty() ? std::uint8_t{0} : ticks.kind[i]};
    if (market::is_correction(tick)) {  // moves no clock
      if (tick.symbol < states.size()) states[tick.symbol].on_correction(tick, out);
      continue;
    }
    if (tick.symbol < states.size()) states[tick.symbol].on_tick(tick, out);
    if (clock.advance(tick.ts_ns)) {
      for (auto& s : states)
        s.on_clock(tick.ts_ns, out);
    }
  }
}

}  // namespace spacetime::indicators
