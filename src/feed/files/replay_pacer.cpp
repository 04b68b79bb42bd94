#include "feed/replay_pacer.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace spacetime::feed {
namespace {

void check_speed(double speed) {
  if (!valid_replay_speed(speed)) {
    throw std::invalid_argument("replay speed must be between 0.1 and 1000");
  }
}

}  // namespace

ReplayPacer::ReplayPacer(double speed) : speed_(speed) {
  check_speed(speed);
}

std::int64_t ReplayPacer::position(Clock::time_point now) const {
  if (!started_) return 0;
  if (paused_ || finished_) return anchor_ts_;
  const double since = std::chrono::duration<double, std::nano>(now - anchor_wall_).count();
  return anchor_ts_ + static_cast<std::int64_t>(std::max(0.0, since) * speed_);
}

void ReplayPacer::pause(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (paused_) return;
  anchor_ts_ = position(now);
  paused_ = true;
  ++generation_;
  changed_.notify_all();
}

void ReplayPacer::resume(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!paused_) return;
  paused_ = false;
  anchor_wall_ = now;
  ++generation_;
  changed_.notify_all();
}

void ReplayPacer::set_speed(double speed, Clock::time_point now) {
  check_speed(speed);
  std::lock_guard lock(mutex_);
  anchor_ts_ = position(now);
  anchor_wall_ = now;
  speed_ = speed;
  ++generation_;
  changed_.notify_all();
}

void ReplayPacer::finish() {
  std::lock_guard lock(mutex_);
  if (started_) anchor_ts_ = std::max(position(Clock::now()), last_ts_);
  finished_ = true;
  ++generation_;
  changed_.notify_all();
}

ReplayPacer::State ReplayPacer::state(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return {.started = started_,
          .paused = paused_,
          .finished = finished_,
          .speed = speed_,
          .clock_ns = position(now)};
}

std::size_t ReplayPacer::due(std::span<const market::Tick> ticks, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (ticks.empty() || paused_) return 0;
  if (!started_) {
    started_ = true;
    anchor_ts_ = ticks.front().ts_ns;
    anchor_wall_ = now;
  }
  const std::int64_t until = position(now);
  std::size_t n = 0;
  // A tick older than the clock (out of order in the file) goes at once.
  while (n < ticks.size() && ticks[n].ts_ns <= until)
    ++n;
  if (n > 0) last_ts_ = std::max(last_ts_, ticks[n - 1].ts_ns);
  return n;
}

bool ReplayPacer::wait_for(std::int64_t ts_ns, std::stop_token stop) {
  constexpr auto kMaxSleep = std::chrono::milliseconds(250);
  std::unique_lock lock(mutex_);
  const std::uint64_t seen = generation_;
  auto deadline = Clock::now() + kMaxSleep;
  if (!paused_ && started_) {
    const double wait_ns = static_cast<double>(ts_ns - position(Clock::now())) / speed_;
    if (wait_ns <= 0) return !stop.stop_requested();
    deadline = std::min(
        deadline, Clock::now() + std::chrono::nanoseconds(static_cast<std::int64_t>(wait_ns) + 1));
  }
  changed_.wait_until(lock, stop, deadline, [&] { return generation_ != seen; });
  return !stop.stop_requested();
}

PacedReplayStats paced_replay(TickFileReader& reader, market::TickSink& sink, ReplayPacer& pacer,
                              std::stop_token stop) {
  constexpr std::size_t kBatch = 1024;
  std::vector<market::Tick> batch(kBatch);
  PacedReplayStats stats;
  bool ended = false;
  while (!stop.stop_requested()) {
    const std::size_t n = reader.read(batch);
    if (n == 0) {
      ended = true;
      break;
    }
    std::span<const market::Tick> rest(batch.data(), n);
    while (!rest.empty() && !stop.stop_requested()) {
      const std::size_t ready = pacer.due(rest);
      if (ready == 0) {
        sink.idle();  // ticks the engine holds back move on while the feed is quiet
        pacer.wait_for(rest.front().ts_ns, stop);
        continue;
      }
      std::span<const market::Tick> part = rest.first(ready);
      for (;;) {
        const std::size_t taken = sink.offer(part);
        stats.ticks += taken;
        part = part.subspan(taken);
        if (part.empty() || stop.stop_requested()) break;
        ++stats.backpressured;
        std::this_thread::sleep_for(sink.retry_after());
      }
      rest = rest.subspan(ready - part.size());
    }
  }
  if (ended) pacer.finish();
  stats.stopped = !ended;
  return stats;
}

}  // namespace spacetime::feed
