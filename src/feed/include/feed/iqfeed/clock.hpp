// IQFeed stamps trades in exchange-local US Eastern time (date and time of day, no zone);
// SpaceTime ticks carry UTC nanoseconds. These functions convert between the two with the
// America/New_York zone of the system tz database (Howard Hinnant's date library, the
// same one exchange sessions use), so the rules are the database's, not ours.
// "Local microseconds" below count from 1970-01-01 00:00 local wall time.
#pragma once

#include <cstdint>
#include <string>

#include "market/time.hpp"

namespace spacetime::feed::iqfeed {

inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
inline constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// The calendar is market's (market/time.hpp).
using market::civil_from_days;
using market::CivilDate;
using market::days_from_civil;

// 0 = Sunday ... 6 = Saturday.
constexpr unsigned weekday_from_days(std::int64_t z) {
  return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Throws std::runtime_error when the tz database has no America/New_York (tzdata missing):
// call it at start-up so a missing database is one clear error, not a feed-thread failure.
void check_eastern_zone();

// True when the offset eastern_to_utc_us uses for a local wall time is daylight time.
bool eastern_is_dst_local(std::int64_t local_us);

// Without context: a local time of the repeated November hour is its first occurrence
// (EDT); one in the skipped March hour takes the offset before the change (EST). Times
// outside the years 1900 ... 2299 use EST.
std::int64_t eastern_to_utc_us(std::int64_t local_us);

std::int64_t utc_to_eastern_us(std::int64_t utc_us);

// Feed order resolves the repeated hour: of a repeated local time's two instants, the one
// nearer the latest instant this clock has observed wins (ties: the later one, as a feed moves
// forward). So a timestamp that goes back about an hour across the fall-back change is the
// second occurrence (EST), the ones after it stay there, and a trade a few minutes late in
// the first occurrence stays in the first. The first time of all is its first occurrence.
class EasternClock {
 public:
  // resolve() then observe().
  std::int64_t to_utc_us(std::int64_t local_us);
  // The instant of a local time, without moving the clock.
  std::int64_t resolve(std::int64_t local_us) const;
  // An instant the feed has really given (one the time guard accepted): only these move the
  // clock, so a garbled far-future trade cannot decide the next repeated hour.
  void observe(std::int64_t utc_us);
  // The latest instant given so far (0 before the first).
  std::int64_t latest_utc_us() const { return latest_; }

 private:
  std::int64_t latest_ = 0;
  bool started_ = false;
};

// "YYYYMMDD HHMMSS", the date-time parameter format of HTT/HIT requests (seconds only).
std::string format_request_time(std::int64_t local_us);

// "YYYY-MM-DD HH:MM:SS.ffffff", for diagnostics.
std::string format_local_time(std::int64_t local_us);

}  // namespace spacetime::feed::iqfeed
