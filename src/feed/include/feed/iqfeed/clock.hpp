// IQFeed stamps trades in exchange-local US Eastern time (date and time of day, no zone);
// SpaceTime ticks carry UTC nanoseconds. These pure functions convert between the two with
// the US daylight-saving rules in force since 2007 (second Sunday of March 02:00 to first
// Sunday of November 02:00, local). libstdc++ 12 has no time-zone database, hence by hand.
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

namespace detail {

// Local wall-clock microseconds at 02:00 on the n-th (1-based) Sunday of a month.
constexpr std::int64_t nth_sunday_2am(std::int64_t year, unsigned month, unsigned n) {
  const std::int64_t first = days_from_civil(year, month, 1);
  const std::int64_t sunday = first + (7 - weekday_from_days(first)) % 7 + 7 * (n - 1);
  return sunday * kMicrosPerDay + 2 * kMicrosPerHour;
}

}  // namespace detail

// True when a local US Eastern wall time falls in daylight-saving time. The repeated hour
// in November counts as daylight time (its first occurrence); the skipped hour in March as
// daylight time too.
constexpr bool eastern_is_dst_local(std::int64_t local_us) {
  const std::int64_t year = civil_from_days(floor_div(local_us, kMicrosPerDay)).year;
  return local_us >= detail::nth_sunday_2am(year, 3, 2) &&
         local_us < detail::nth_sunday_2am(year, 11, 1);
}

constexpr std::int64_t eastern_to_utc_us(std::int64_t local_us) {
  return local_us + (eastern_is_dst_local(local_us) ? 4 : 5) * kMicrosPerHour;
}

constexpr std::int64_t utc_to_eastern_us(std::int64_t utc_us) {
  const std::int64_t year =
      civil_from_days(floor_div(utc_us - 5 * kMicrosPerHour, kMicrosPerDay)).year;
  // DST runs from 07:00 UTC (02:00 EST) to 06:00 UTC (02:00 EDT).
  const std::int64_t start_utc = detail::nth_sunday_2am(year, 3, 2) + 5 * kMicrosPerHour;
  const std::int64_t end_utc = detail::nth_sunday_2am(year, 11, 1) + 4 * kMicrosPerHour;
  const bool dst = utc_us >= start_utc && utc_us < end_utc;
  return utc_us - (dst ? 4 : 5) * kMicrosPerHour;
}

// "YYYYMMDD HHMMSS", the date-time parameter format of HTT/HIT requests (seconds only).
std::string format_request_time(std::int64_t local_us);

// "YYYY-MM-DD HH:MM:SS.ffffff", for diagnostics.
std::string format_local_time(std::int64_t local_us);

}  // namespace spacetime::feed::iqfeed
