// What can be wrong with one IQFeed line. Shared by the pure line parser (protocol.hpp)
// and the client's metrics (feed_parse_errors{source=iqfeed,kind=...}), so both name the
// kinds the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spacetime::feed {

enum class IqFeedParseError : std::uint8_t {
  kEmptyLine,       // nothing between two line ends
  kUnknownMessage,  // the first field is no message type this client knows
  kMissingField,    // fewer fields than the layout needs, or a required field is empty
  kBadNumber,       // a price, size, volume or id that is not a number
  kBadTime,         // a time that is not HH:MM:SS[.ffffff] (or a bad history timestamp)
  kBadDate,         // a date that is not MM/DD/CCYY
  kLineTooLong,     // longer than the framer's limit; dropped up to the next line end
};
inline constexpr std::size_t kIqFeedParseErrorKinds = 7;

constexpr std::string_view to_string(IqFeedParseError kind) {
  switch (kind) {
    case IqFeedParseError::kEmptyLine:
      return "empty_line";
    case IqFeedParseError::kUnknownMessage:
      return "unknown_message";
    case IqFeedParseError::kMissingField:
      return "missing_field";
    case IqFeedParseError::kBadNumber:
      return "bad_number";
    case IqFeedParseError::kBadTime:
      return "bad_time";
    case IqFeedParseError::kBadDate:
      return "bad_date";
    case IqFeedParseError::kLineTooLong:
      return "line_too_long";
  }
  return "unknown";
}

}  // namespace spacetime::feed
