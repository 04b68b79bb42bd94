// Everything one symbol computes per tick, in the normative order of docs/INDICATORS.md
// § 2.9: candles and bar indicators on every timeframe, v3/v4 on closed bars, tick
// intensity, the adaptive buffer, spikes, then v1/v2. The engine's live path and the batch
// path (run_batch) drive the same object, which is what makes them bit-identical (D9).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "indicators/adaptive_buffer.hpp"
#include "indicators/bar_indicators.hpp"
#include "indicators/candles.hpp"
#include "indicators/intensity.hpp"
#include "indicators/reversal.hpp"
#include "indicators/revisions.hpp"
#include "indicators/smoothers.hpp"
#include "indicators/spike_detector.hpp"
#include "market/event.hpp"
#include "market/session.hpp"
#include "market/tick.hpp"

namespace spacetime::indicators {

// The downsampled intensity series kept for history (market::SampleEvent): one point per
// period of the feed clock.
struct SampleParams {
  std::int64_t period_ns = 100'000'000;
};

struct IndicatorParams {
  IntensityParams intensity;
  BufferParams buffer;
  SpikeParams spike;
  BarParams bars;
  V1Params v1;
  V2Params v2;
  V3Params v3;
  V4Params v4;
  SampleParams sample;
  CorrectionParams corrections;
};

// Throws std::invalid_argument naming the parameter when a combination cannot run.
void validate(const IndicatorParams& params);
// Every parameter as "key=value" lines (the keys of the [indicators] settings, with
// exact doubles): what a snapshot stores and compares on restore.
std::string describe(const IndicatorParams& params);

// Parameters per symbol pattern (docs/INDICATORS.md § 10, "Per-symbol overrides"): a symbol's
// effective set is the run's set with every rule whose pattern matches the symbol's name
// applied in the order the rules were added, so a later matching rule wins for a key that
// two of them set. Patterns are globs (market::glob_match: `*` any run, `?` one character,
// case-sensitive, the whole name). A pattern that matches no symbol is fine.
class ParamOverrides {
 public:
  struct Rule {
    std::string pattern;
    // The keys it sets with their values as given ("v1_min_move", "8"), for `params`.
    std::vector<std::pair<std::string, std::string>> values;
    std::function<void(IndicatorParams&)> apply;  // sets those keys
  };
  void add(Rule rule) { rules_.push_back(std::move(rule)); }
  void clear() { rules_.clear(); }
  bool empty() const { return rules_.empty(); }
  const std::vector<Rule>& rules() const { return rules_; }
  bool matches(const Rule& rule, std::string_view symbol) const;

  // The symbol's effective set: `base` itself when no rule matches, else a new one,
  // validated (throws std::invalid_argument naming the symbol and the patterns).
  std::shared_ptr<const IndicatorParams> resolve(std::shared_ptr<const IndicatorParams> base,
                                                 std::string_view symbol) const;

 private:
  std::vector<Rule> rules_;
};

// The feed's clock as the pipeline sees it (docs/INDICATORS.md § 9, "Clock advances"): the
// latest tick time of the whole feed. After a tick that moves it into a later second, a clock
// advance to that tick's time follows it, for every symbol. A pure function of the tick
// sequence, so the live engine, the batch path and a replay derive the same advances.
class FeedClock {
 public:
  static constexpr std::int64_t kGrid = 1'000'000'000;  // the shortest timeframe, 1 s

  // A tick at ts: true when a clock advance to ts must follow it.
  bool advance(std::int64_t ts) {
    if (!started_) {
      started_ = true;
      time_ = ts;
      return false;
    }
    // mutate: equivalent: at ts == time_ the lines below return false and store the same time.
    if (ts <= time_) return false;
    const bool later = ts / kGrid > time_ / kGrid;
    time_ = ts;
    return later;
  }
  // An explicit clock advance from the feed (IQFeed's time stamps): moves the clock only.
  void observe(std::int64_t ts) {
    // mutate: equivalent: at ts == time_ it stores the same time.
    if (!started_ || ts > time_) time_ = ts;
    started_ = true;
  }
  std::int64_t time() const { return time_; }

 private:
  std::int64_t time_ = 0;
  bool started_ = false;
};

class SymbolIndicators {
 public:
  // `session`: the symbol's exchange session for its daily bars (§ 1, "Sessions"); none
  // keeps UTC-midnight days. A snapshot names it and restores only under the same one.
  SymbolIndicators(market::SymbolId symbol, const IndicatorParams& params,
                   std::shared_ptr<const market::Session> session = nullptr);

  // One accepted tick: appends its events to out in emission order. Closed candles are
  // events; the bars in progress are not (the engine publishes them, display only).
  void on_tick(const market::Tick& tick, std::vector<market::Event>& out);

  // A trade correction (market::is_correction, docs/INDICATORS.md § 1 "Corrections"): the bars
  // holding the cancelled or inserted trade are rebuilt; a closed one goes out again with revised
  // set. Nothing else is rewound. A no-op (counted) before the symbol's first tick.
  void on_correction(const market::Tick& correction, std::vector<market::Event>& out);
  const RevisionStats& revisions() const { return revisions_.stats(); }

  // A clock advance to the feed's time t (§ 9, Decided): the symbol's effective time moves
  // to t, and every bar whose bucket has ended closes exactly as a tick-driven close would
  // (candle, bar indicators, v3, v4). A no-op before the symbol's first tick.
  void on_clock(std::int64_t t, std::vector<market::Event>& out);
  // The end of a replay: closes every open bar the same way, moving no clock. Returns the
  // number of bars it closed. Feed it no tick afterwards.
  std::size_t flush(std::vector<market::Event>& out);

  const market::Session* session() const { return session_.get(); }

  const CandleAggregator& candles(market::Timeframe tf) const {
    return candles_[market::index_of(tf)];
  }
  std::uint64_t clamped() const { return clock_.clamped(); }

  // Before the first tick: numbers every event channel on from `last` (a restart that
  // continues what a store holds), so a channel's numbers never repeat.
  void continue_sequences(const market::ChannelSequences& last);
  market::ChannelSequences sequences() const;
  // Before the first tick, after continue_sequences: the bar in progress a previous run left
  // (market::CandleEvent, closed == false) opens again, so the bar open across a restart is
  // one bar, not two. Ignored (false) when its number is not after the last closed bar's,
  // i.e. it closed before the restart.
  bool restore_bar(const market::CandleEvent& bar);

  // D9: snapshot and restore of the whole state. The snapshot holds the parameters; load()
  // throws std::runtime_error naming the ones that differ when they are not this object's.
  std::string save() const;
  void load(const std::string& bytes);

 private:
  market::SymbolId symbol_;
  IndicatorParams p_;
  std::shared_ptr<const market::Session> session_;  // owns what candles_[1d] points to
  TimeClamp clock_;
  std::array<CandleAggregator, market::kTimeframeCount> candles_;
  CandleRevisions revisions_;
  std::vector<BarIndicators> bars_;  // one per timeframe
  IntensityWindow window_;
  Sma sma_;
  Ema ema_;
  Zlma zlma_;
  AdaptiveBuffer buffer_;
  SpikeDetector spikes_;
  ReversalV1 v1_;
  ReversalV2 v2_;
  ReversalV3 v3_;
  ReversalV4 v4_;
  market::Zone prev_zone_ = market::Zone::kNotReady;
  std::int64_t prev_q_ = 0;
  bool has_prev_ = false;
  std::uint64_t last_seq_ = 0;  // the feed seq of the last tick: clock-driven events carry it
  bool ltf_high_ = false;       // a tick of the LTF bar in progress was in the HIGH zone
  // Channel sequence numbers (market/event.hpp): the last number given on each channel.
  std::uint64_t tick_seq_ = 0;
  std::uint64_t spike_seq_ = 0;
  std::uint64_t reversal_seq_ = 0;
  // The sample bucket in progress; sample_.seq is the number it gets when it closes.
  market::SampleEvent sample_{};
  bool sample_open_ = false;

  enum class BarStep : std::uint8_t { kTick, kClock, kFlush };
  // § 9 steps 2 and 3: closes the bars `step` closes, in ascending timeframe order, then v3
  // and v4. seq, t and q are what the bar events and reversals carry.
  std::size_t close_bars(BarStep step, std::int64_t t, std::int64_t q, std::int64_t size,
                         std::uint64_t seq, std::vector<market::Event>& out);

  void push_reversal(market::ReversalEvent e, std::vector<market::Event>& out) {
    e.channel_seq = ++reversal_seq_;
    out.push_back(e);
  }
  void sample(std::int64_t t, double i_k, const market::IntensityEvent& ie, const Band& band,
              double s_k, std::vector<market::Event>& out);
};

// The batch path: a whole tick array of several symbols as columns (structure of arrays),
// run through the same streaming objects in array order. No per-tick allocation beyond
// the growth of `out`.
struct TickColumns {
  std::span<const std::int64_t> ts_ns;
  std::span<const std::int64_t> price;
  std::span<const std::int64_t> size;
  std::span<const std::uint64_t> seq;
  std::span<const market::SymbolId> symbol;
  std::span<const std::int64_t> bid;  // empty: no quotes
  std::span<const std::int64_t> ask;
  std::span<const std::uint8_t> kind;  // market::TickKind; empty: all trades
};

// Owning column storage for TickColumns, filled tick by tick (reused across chunks: clear()
// keeps the capacity).
class TickColumnBuffer {
 public:
  void clear() {
    ts_ns_.clear();
    price_.clear();
    size_.clear();
    seq_.clear();
    symbol_.clear();
    bid_.clear();
    ask_.clear();
    kind_.clear();
  }
  void push(const market::Tick& t) {
    ts_ns_.push_back(t.ts_ns);
    price_.push_back(t.price);
    size_.push_back(t.size);
    seq_.push_back(t.seq);
    symbol_.push_back(t.symbol);
    bid_.push_back(t.bid);
    ask_.push_back(t.ask);
    kind_.push_back(t.kind);
  }
  TickColumns view() const { return {ts_ns_, price_, size_, seq_, symbol_, bid_, ask_, kind_}; }
  std::size_t size() const { return ts_ns_.size(); }

 private:
  std::vector<std::int64_t> ts_ns_, price_, size_, bid_, ask_;
  std::vector<std::uint64_t> seq_;
  std::vector<market::SymbolId> symbol_;
  std::vector<std::uint8_t> kind_;
};

// states[i] is symbol i's state (a tick or correction of a symbol >= states.size() is
// skipped); out receives every event in tick order. The clock
// advances of `clock` (FeedClock) follow their ticks as on the live path; pass the same
// clock to every chunk of one stream.
void run_batch(const TickColumns& ticks, std::vector<SymbolIndicators>& states, FeedClock& clock,
               std::vector<market::Event>& out);
// One whole stream in one call.
void run_batch(const TickColumns& ticks, std::vector<SymbolIndicators>& states,
               std::vector<market::Event>& out);

}  // namespace spacetime::indicators
