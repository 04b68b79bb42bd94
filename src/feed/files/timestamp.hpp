// Timestamps of CSV tick files: integer nanoseconds since the epoch, or ISO-8601 UTC
// (`2026-01-02T14:30:00Z`, up to nine fraction digits). No time zones other than UTC: a
// tick file that needs one is ambiguous, so it is rejected rather than guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spacetime::feed::files {

// Nanoseconds since 1970-01-01T00:00:00Z, or nullopt when `text` is neither form or does
// not fit int64 nanoseconds (years 1678 ... 2261 in ISO form).
std::optional<std::int64_t> parse_timestamp(std::string_view text);

inline constexpr std::size_t kMaxIsoLength = 32;  // "-292277-...": never longer than this
// Writes `ts_ns` as ISO-8601 UTC with 0, 3, 6 or 9 fraction digits (the fewest that are
// exact) into `out` (at least kMaxIsoLength bytes); returns the length.
std::size_t format_iso(std::int64_t ts_ns, char* out);

}  // namespace spacetime::feed::files
