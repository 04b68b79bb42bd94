// Replay of a tick file into a TickSink (normally the engine) at the recorded pace, N times
// faster, or as fast as the sink takes ticks. Like the simulator it can wait, so it never
// drops: a partial offer() is offered again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stop_token>
#include <string_view>

#include "feed/tick_file.hpp"
#include "market/tick.hpp"

namespace spacetime::feed {

// Speed 1 is the recorded pace, 10 ten times faster; kMaxSpeed does not wait at all.
inline constexpr double kMaxSpeed = std::numeric_limits<double>::infinity();

// "max", "1", "10", "10x", "0.5x" -> the speed; nullopt for anything else (zero, negative,
// not a number): one parser for every command that replays.
std::optional<double> parse_speed(std::string_view text);

struct ReplayProgress {
  std::uint64_t ticks = 0;       // offered to the sink and taken
  std::uint64_t bytes_done = 0;  // of the file
  std::uint64_t bytes_total = 0;
  std::uint64_t expected_ticks = 0;  // TickFileReader::expected_ticks()
  double ticks_per_s = 0.0;          // average since the start
  std::chrono::nanoseconds elapsed{0};
  bool finished = false;  // the last call: the file ended or stop was requested
};

using ReplayProgressCallback = std::function<void(const ReplayProgress&)>;

struct ReplayStats {
  std::uint64_t ticks = 0;
  std::uint64_t backpressured = 0;  // times the sink was full and replay waited
  std::chrono::nanoseconds elapsed{0};
  bool stopped = false;  // stop was requested before the end of the file
};

// Reads `reader` to the end (or until `stop`) and offers its ticks to `sink` in batches of up
// to 1024. Paced: a tick is released when the wall clock since the start reaches
// (ts_ns - first ts_ns) / speed; a tick earlier than one already released goes at once.
// `progress` runs on this thread at most every kProgressInterval, and once at the end.
// Throws std::invalid_argument for a speed that is not > 0, and whatever reader.read()
// throws (TickFileError for a corrupt .stt block).
ReplayStats replay(TickFileReader& reader, market::TickSink& sink, double speed,
                   std::stop_token stop, const ReplayProgressCallback& progress = {});

inline constexpr std::chrono::milliseconds kProgressInterval{200};

}  // namespace spacetime::feed
