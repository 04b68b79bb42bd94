// Exchange sessions (docs/INDICATORS.md § 1, "Sessions"): a symbol's daily bucket runs from
// one session open to the next, at a wall-clock time in the exchange's time zone (the
// system tz database, through Howard Hinnant's date library), daylight saving included.
// Symbols without a session keep UTC-midnight days. Immutable once built: shared by threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace spacetime::market {

// [start_ns, end_ns): a bucket in UTC nanoseconds.
struct Bucket {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};

class Session {
 public:
  // `tz` is a tz database name (America/New_York); `open` is "HH:MM" local wall time
  // (00:00 ... 23:59). Throws std::invalid_argument naming what is wrong.
  Session(std::string_view tz, std::string_view open);

  // The daily bucket holding t (UTC ns, t >= 0): from the last session open at or before t
  // to the next one. An open that falls in a skipped hour (spring forward) is the instant of
  // the change; one in a repeated hour (fall back) is its first occurrence.
  Bucket daily_bucket(std::int64_t t) const;

  const std::string& tz() const { return tz_; }
  int open_minutes() const { return open_minutes_; }  // after local midnight
  // "America/New_York@09:30".
  std::string describe() const;

 private:
  std::string tz_;
  const date::time_zone* zone_ = nullptr;
  int open_minutes_ = 0;
};

// Sessions by symbol pattern, first match wins. A pattern is a glob over the symbol name:
// '*' matches any run of characters, '?' one character, anything else itself.
class SessionRules {
 public:
  // spec: "[PATTERN=]TZ@HH:MM" or "[PATTERN=]PRESET" with the presets us-equities
  // (America/New_York@09:30) and cme (America/New_York@18:00); PATTERN defaults to "*".
  // Throws std::invalid_argument naming the spec and the problem.
  void add(std::string_view spec);
  void add(std::string pattern, std::shared_ptr<const Session> session);
  void clear() { rules_.clear(); }
  bool empty() const { return rules_.empty(); }

  // The session of a symbol, or nullptr for UTC-midnight days.
  std::shared_ptr<const Session> find(std::string_view symbol) const;
  // "PATTERN=TZ@HH:MM" per rule, space-separated, in order ("" when there is none).
  std::string describe() const;

 private:
  struct Rule {
    std::string pattern;
    std::shared_ptr<const Session> session;
  };
  std::vector<Rule> rules_;
};

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace spacetime::market
