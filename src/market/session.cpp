#include "market/session.hpp"

#include <date/tz.h>

#include <chrono>
#include <limits>
#include <stdexcept>

namespace spacetime::market {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Seconds to nanoseconds, saturating: a bucket end past int64 nanoseconds is "never".
std::int64_t to_ns(std::int64_t s) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (s > kMax / kNanosPerSecond) return kMax;
  if (s < -(kMax / kNanosPerSecond)) return -kMax;
  return s * kNanosPerSecond;
}

int parse_open(std::string_view open) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (open.size() != 5 || open[2] != ':' || !digit(open[0]) || !digit(open[1]) || !digit(open[3]) ||
      !digit(open[4])) {
    throw std::invalid_argument("session open '" + std::string(open) +
                                "' is not a time like 09:30");
  }
  const int hh = (open[0] - '0') * 10 + (open[1] - '0');
  const int mm = (open[3] - '0') * 10 + (open[4] - '0');
  if (hh > 23 || mm > 59) {
    throw std::invalid_argument("session open '" + std::string(open) +
                                "' is not a time of day (00:00 ... 23:59)");
  }
  return hh * 60 + mm;
}

}  // namespace

Session::Session(std::string_view tz, std::string_view open)
    : tz_(tz), open_minutes_(parse_open(open)) {
  try {
    zone_ = date::locate_zone(tz_);
  } catch (const std::exception&) {
    zone_ = nullptr;
  }
  if (zone_ == nullptr) {
    throw std::invalid_argument("'" + tz_ +
                                "' is not a time zone of the tz database (like America/New_York; "
                                "is the tzdata package installed?)");
  }
}

Bucket Session::daily_bucket(std::int64_t t) const {
  using std::chrono::days;
  using std::chrono::minutes;
  using std::chrono::seconds;
  const date::sys_seconds now{seconds{floor_div(t, kNanosPerSecond)}};
  // The open of local day d, as UTC seconds.
  auto open_of = [this](date::local_days d) {
    return zone_->to_sys(d + minutes{open_minutes_}, date::choose::earliest);
  };
  auto day = std::chrono::floor<days>(zone_->to_local(now));
  // At most one step either way: a local day's open is within a day of its midnight.
  while (open_of(day) > now)
    day -= days{1};
  while (open_of(day + days{1}) <= now)
    day += days{1};
  return {to_ns(open_of(day).time_since_epoch().count()),
          to_ns(open_of(day + days{1}).time_since_epoch().count())};
}

std::string Session::describe() const {
  const int hh = open_minutes_ / 60;
  const int mm = open_minutes_ % 60;
  std::string out = tz_ + "@";
  out += static_cast<char>('0' + hh / 10);
  out += static_cast<char>('0' + hh % 10);
  out += ':';
  out += static_cast<char>('0' + mm / 10);
  out += static_cast<char>('0' + mm % 10);
  return out;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative glob with one backtracking point per '*': linear in practice, never recursive.
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[s])) {
      ++p;
      ++s;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

void SessionRules::add(std::string_view spec) {
  const std::size_t eq = spec.find('=');
  const std::string_view pattern = eq == std::string_view::npos ? "*" : spec.substr(0, eq);
  const std::string_view rest = eq == std::string_view::npos ? spec : spec.substr(eq + 1);
  if (pattern.empty()) {
    throw std::invalid_argument("session '" + std::string(spec) + "': empty symbol pattern");
  }
  try {
    if (rest == "us-equities") {
      add(std::string(pattern), std::make_shared<const Session>("America/New_York", "09:30"));
    } else if (rest == "cme") {
      add(std::string(pattern), std::make_shared<const Session>("America/New_York", "18:00"));
    } else {
      const std::size_t at = rest.rfind('@');
      if (at == std::string_view::npos) {
        throw std::invalid_argument(
            "expected PATTERN=TZ@HH:MM (like AAPL=America/New_York@09:30) or a preset "
            "(us-equities, cme)");
      }
      add(std::string(pattern),
          std::make_shared<const Session>(rest.substr(0, at), rest.substr(at + 1)));
    }
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("session '" + std::string(spec) + "': " + e.what());
  }
}

void SessionRules::add(std::string pattern, std::shared_ptr<const Session> session) {
  rules_.push_back({std::move(pattern), std::move(session)});
}

std::shared_ptr<const Session> SessionRules::find(std::string_view symbol) const {
  for (const auto& r : rules_) {
    if (glob_match(r.pattern, symbol)) return r.session;
  }
  return nullptr;
}

std::string SessionRules::describe() const {
  std::string out;
  for (const auto& r : rules_) {
    if (!out.empty()) out += ' ';
    out += r.pattern + "=" + r.session->describe();
  }
  return out;
}

}  // namespace spacetime::market
