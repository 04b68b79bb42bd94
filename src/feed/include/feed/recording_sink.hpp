// A TickSink that records what it passes on: it hands ticks to the next sink (the engine,
// when there is one) and writes exactly what that accepted to a tick file. What a live feed
// then gives up on (TickSink::dropped) is written as gap records, one per symbol with the
// count of its dropped trades (market::TickKind::kGap, .stt version 3), so that a replay
// numbers every later trade as the live feed did and reproduces the live output, seq
// included (docs/FEEDS.md "Backpressure"). Runs on the feed's thread, so a write error is
// kept (and recording stops) rather than thrown through the feed; the owner reports it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "feed/tick_file.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

class RecordingSink final : public market::TickSink {
 public:
  // next may be null: every tick is accepted and written.
  RecordingSink(TickFileWriter& writer, market::TickSink* next) : writer_(writer), next_(next) {}

  std::size_t offer(std::span<const market::Tick> ticks) override {
    if (failed()) return ticks.size();  // stopping: nothing more is written
    const std::size_t n = next_ ? next_->offer(ticks) : ticks.size();
    write(ticks.first(n));
    return n;
  }
  void idle() override {
    if (next_ && !failed()) next_->idle();
  }
  std::chrono::nanoseconds retry_after() const override {
    return next_ ? next_->retry_after() : TickSink::retry_after();
  }
  void dropped(std::span<const market::Tick> ticks) override {
    gaps_.clear();
    for (const market::Tick& t : ticks) {
      if (market::is_correction(t) || market::is_gap(t) || market::is_clock(t)) continue;
      const auto it = std::find_if(gaps_.begin(), gaps_.end(),
                                   [&](const market::Tick& g) { return g.symbol == t.symbol; });
      if (it != gaps_.end()) {
        ++it->size;
      } else {
        gaps_.push_back(market::Tick{.ts_ns = t.ts_ns,
                                     .size = 1,
                                     .symbol = t.symbol,
                                     .kind = static_cast<std::uint8_t>(market::TickKind::kGap)});
      }
    }
    for (const auto& g : gaps_)
      dropped_ += static_cast<std::uint64_t>(g.size);
    gap_records_ += gaps_.size();
    if (!failed()) write(gaps_);
    if (next_) next_->dropped(ticks);
  }

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  void throw_if_failed() const {
    if (failed()) throw std::runtime_error(error_);
  }
  // Dropped trades recorded as gaps, and the gap records written (feed thread).
  std::uint64_t dropped_ticks() const { return dropped_; }
  std::uint64_t gap_records() const { return gap_records_; }

 private:
  void write(std::span<const market::Tick> ticks) {
    if (ticks.empty()) return;
    try {
      writer_.write(ticks);
    } catch (const std::exception& e) {
      error_ = e.what();
      failed_.store(true, std::memory_order_release);
    }
  }

  TickFileWriter& writer_;
  market::TickSink* next_;
  std::vector<market::Tick> gaps_;
  std::uint64_t dropped_ = 0;
  std::uint64_t gap_records_ = 0;
  std::string error_;
  std::atomic<bool> failed_{false};
};

}  // namespace spacetime::feed
