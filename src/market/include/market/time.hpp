// Time: the proleptic Gregorian calendar (Howard Hinnant's days_from_civil and
// civil_from_days, exact for every reachable int64 day count) and timestamps as text:
// integer nanoseconds since the epoch, or ISO-8601 UTC (`2026-01-02T14:30:00Z`, up to nine
// fraction digits). No time zones other than UTC: a timestamp that needs one is ambiguous,
// so it is rejected rather than guessed (IQFeed's US Eastern times: feed/iqfeed/clock.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spacetime::market {

// Days since 1970-01-01 of a proleptic Gregorian date.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
};

constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

// Nanoseconds since 1970-01-01T00:00:00Z, or nullopt when `text` is neither form or does
// not fit int64 nanoseconds (years 1678 ... 2261 in ISO form).
std::optional<std::int64_t> parse_timestamp(std::string_view text);

inline constexpr std::size_t kMaxIsoLength = 32;  // "-292277-...": never longer than this
// Writes `ts_ns` as ISO-8601 UTC with 0, 3, 6 or 9 fraction digits (the fewest that are
// exact) into `out` (at least kMaxIsoLength bytes); returns the length.
std::size_t format_iso(std::int64_t ts_ns, char* out);

}  // namespace spacetime::market
