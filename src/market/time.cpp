#include "market/time.hpp"

#include <charconv>

namespace spacetime::market {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2026, 1, 2) == 20455);
static_assert(civil_from_days(20455).year == 2026 && civil_from_days(20455).day == 2);

constexpr bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Exactly `n` ASCII digits at s[pos]; -1 otherwise.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}](Z|+00:00)
std::optional<std::int64_t> parse_iso(std::string_view s) {
  const int year = digits(s, 0, 4);
  const int month = digits(s, 5, 2);
  const int day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2);
  const int minute = digits(s, 14, 2);
  const int second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t fraction = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++n > 9) return std::nullopt;  // finer than a nanosecond would be silently lost
      fraction = fraction * 10 + (s[pos] - '0');
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n)
      fraction *= 10;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;

  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  if (seconds < 0 && fraction > 0) {
    // Borrow a second first: the earliest instants overflow seconds * 1e9 on their own.
    seconds += 1;
    fraction -= kNsPerSecond;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSecond, &ns) ||
      __builtin_add_overflow(ns, fraction, &ns)) {
    return std::nullopt;
  }
  return ns;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t ns = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ns);
  if (ec == std::errc() && end == text.data() + text.size()) return ns;
  // The shortest ISO form is "YYYY-MM-DDTHH:MM:SSZ"; a plain number that overflowed int64
  // fails here too, as it should.
  if (text.size() < 20) return std::nullopt;
  return parse_iso(text);
}

std::size_t format_iso(std::int64_t ts_ns, char* out) {
  // Floor division, so instants before 1970 get a positive fraction of their second.
  std::int64_t seconds = ts_ns / kNsPerSecond;
  std::int64_t fraction = ts_ns % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t sod = seconds % kSecondsPerDay;
  if (sod < 0) {
    sod += kSecondsPerDay;
    --days;
  }
  const CivilDate c = civil_from_days(days);
  char* p = out;
  auto put2 = [&p](std::int64_t v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  if (c.year >= 0 && c.year <= 9999) {
    put2(c.year / 100);
    put2(c.year % 100);
  } else {
    p = std::to_chars(p, out + kMaxIsoLength, c.year).ptr;
  }
  *p++ = '-';
  put2(c.month);
  *p++ = '-';
  put2(c.day);
  *p++ = 'T';
  put2(sod / 3600);
  *p++ = ':';
  put2(sod / 60 % 60);
  *p++ = ':';
  put2(sod % 60);
  if (fraction != 0) {
    int n = 9;
    std::int64_t f = fraction;
    while (n > 3 && f % 1000 == 0) {
      f /= 1000;
      n -= 3;
    }
    *p++ = '.';
    for (int i = n - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    p += n;
  }
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

}  // namespace spacetime::market
