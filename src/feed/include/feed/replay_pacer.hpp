// The clock of a replay that a user steers while it plays (`serve --feed file`): the
// file's time runs at `speed` times the wall clock from where it was, and can be paused,
// resumed and sped up or slowed down from another thread (the gateway's). Ticks ask it
// when they are due; everyone else may read the replay clock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <stop_token>

#include "feed/tick_file.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

// Speeds a user may set: from a tenth of the recorded pace to a thousand times it.
inline constexpr double kMinReplaySpeed = 0.1;
inline constexpr double kMaxReplaySpeed = 1000.0;
constexpr bool valid_replay_speed(double speed) {
  return speed >= kMinReplaySpeed && speed <= kMaxReplaySpeed;
}

class ReplayPacer {
 public:
  using Clock = std::chrono::steady_clock;

  struct State {
    bool started = false;  // the first tick has been released
    bool paused = false;
    bool finished = false;  // the file has ended
    double speed = 1.0;
    std::int64_t clock_ns = 0;  // the file's time now (UTC ns); 0 before the first tick
  };

  // Throws std::invalid_argument unless valid_replay_speed(speed).
  explicit ReplayPacer(double speed);

  void pause(Clock::time_point now = Clock::now());
  void resume(Clock::time_point now = Clock::now());
  // Throws std::invalid_argument unless valid_replay_speed(speed). The clock goes on
  // from where it is, at the new pace.
  void set_speed(double speed, Clock::time_point now = Clock::now());
  void finish();
  State state(Clock::time_point now = Clock::now()) const;

  // How many of `ticks` (in file order) are due now. The first tick ever is due at once
  // and sets the clock to its time. None while paused.
  std::size_t due(std::span<const market::Tick> ticks, Clock::time_point now = Clock::now());
  // Waits until a tick stamped ts_ns is due (or the pace changes, or at most 250 ms); false
  // when stop was requested.
  bool wait_for(std::int64_t ts_ns, std::stop_token stop);

 private:
  std::int64_t position(Clock::time_point now) const;  // file ns; mutex held

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  double speed_;
  bool started_ = false;
  bool paused_ = false;
  bool finished_ = false;
  std::int64_t anchor_ts_ = 0;  // the file time at anchor_wall_ (or where it was paused)
  Clock::time_point anchor_wall_{};
  std::int64_t last_ts_ = 0;  // the newest tick released
  std::uint64_t generation_ = 0;
};

struct PacedReplayStats {
  std::uint64_t ticks = 0;
  std::uint64_t backpressured = 0;
  bool stopped = false;
};

// Reads `reader` to the end (or until `stop`) and offers its ticks to `sink` when `pacer`
// says they are due; waits for a full sink (never drops). Marks the pacer finished at the
// end of the file. Throws whatever reader.read() throws.
PacedReplayStats paced_replay(TickFileReader& reader, market::TickSink& sink, ReplayPacer& pacer,
                              std::stop_token stop);

}  // namespace spacetime::feed
