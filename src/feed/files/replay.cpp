#include "feed/replay.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace spacetime::feed {

std::optional<double> parse_speed(std::string_view text) {
  if (text == "max") return kMaxSpeed;
  if (text.ends_with('x') || text.ends_with('X')) text.remove_suffix(1);
  double speed = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), speed);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!(speed > 0.0) || !std::isfinite(speed)) return std::nullopt;
  return speed;
}

ReplayStats replay(TickFileReader& reader, market::TickSink& sink, double speed,
                   std::stop_token stop, const ReplayProgressCallback& progress) {
  if (!(speed > 0.0)) throw std::invalid_argument("replay speed must be greater than 0");
  using Clock = std::chrono::steady_clock;
  constexpr std::size_t kBatch = 1024;
  constexpr auto kMaxSleep = std::chrono::milliseconds(250);
  const bool paced = std::isfinite(speed);

  std::vector<market::Tick> batch(kBatch);
  ReplayStats stats;
  const auto start = Clock::now();
  auto next_report = start + kProgressInterval;
  std::optional<std::int64_t> first_ts;
  bool ended = false;
  // Only there to make waits end the moment stop is requested.
  std::mutex mutex;
  std::condition_variable_any wake;
  auto sleep_until = [&](Clock::time_point t) {
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, t, [] { return false; });
  };
  auto report = [&](Clock::time_point now, bool finished) {
    if (!progress) return;
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start);
    const double seconds = std::chrono::duration<double>(elapsed).count();
    progress(ReplayProgress{
        .ticks = stats.ticks,
        .bytes_done = reader.bytes_read(),
        .bytes_total = reader.total_bytes(),
        .expected_ticks = reader.expected_ticks(),
        .ticks_per_s = seconds > 0.0 ? static_cast<double>(stats.ticks) / seconds : 0.0,
        .elapsed = elapsed,
        .finished = finished});
    next_report = now + kProgressInterval;
  };
  // Wall-clock offset from the start at which a tick is due, in nanoseconds.
  auto due_ns = [&](std::int64_t ts) { return static_cast<double>(ts - *first_ts) / speed; };

  while (!stop.stop_requested()) {
    const std::size_t n = reader.read(batch);
    if (n == 0) {
      ended = true;
      break;
    }
    if (!first_ts) first_ts = batch.front().ts_ns;
    std::span<const market::Tick> rest(batch.data(), n);
    while (!rest.empty() && !stop.stop_requested()) {
      auto now = Clock::now();
      std::size_t ready = rest.size();
      if (paced) {
        const double since = std::chrono::duration<double, std::nano>(now - start).count();
        ready = 0;
        while (ready < rest.size() && due_ns(rest[ready].ts_ns) <= since)
          ++ready;
        if (ready == 0) {
          sink.idle();  // ticks the engine holds back move on while the feed is quiet
          const double wait = std::min(due_ns(rest.front().ts_ns) - since,
                                       std::chrono::duration<double, std::nano>(kMaxSleep).count());
          sleep_until(now + std::chrono::nanoseconds(static_cast<std::int64_t>(wait) + 1));
          now = Clock::now();
          if (now >= next_report) report(now, false);
          continue;
        }
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
      now = Clock::now();
      if (now >= next_report) report(now, false);
    }
  }
  const auto end = Clock::now();
  stats.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start);
  stats.stopped = !ended;
  report(end, true);
  return stats;
}

}  // namespace spacetime::feed
