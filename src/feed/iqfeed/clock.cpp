#include "feed/iqfeed/clock.hpp"

#include <date/tz.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace spacetime::feed::iqfeed {
namespace {

const date::time_zone* eastern() {
  static const date::time_zone* const zone = []() -> const date::time_zone* {
    try {
      return date::locate_zone("America/New_York");
    } catch (const std::exception& e) {
      throw std::runtime_error(
          std::string("IQFeed clock: the tz database has no America/New_York (is the tzdata "
                      "package installed?): ") +
          e.what());
    }
  }();
  return zone;
}

// The range in which the tz database is asked; outside it (a garbled date) EST is used.
constexpr std::int64_t kFirstLocalUs = -2'208'988'800LL * kMicrosPerSecond;  // 1900-01-01
constexpr std::int64_t kEndLocalUs = 10'413'792'000LL * kMicrosPerSecond;    // 2300-01-01
constexpr std::int64_t kEstUs = 5 * kMicrosPerHour;

// The local_info of a local wall time: its one offset, or two for a repeated time.
struct Offsets {
  std::int64_t first_us = kEstUs;   // UTC - local, as microseconds to add
  std::int64_t second_us = kEstUs;  // differs from first only for a repeated time
  bool first_dst = false;
};

Offsets offsets(std::int64_t local_us) {
  if (local_us < kFirstLocalUs || local_us >= kEndLocalUs) return {};
  const date::local_seconds l{std::chrono::seconds{floor_div(local_us, kMicrosPerSecond)}};
  const date::local_info info = eastern()->get_info(l);
  Offsets o;
  o.first_us = -info.first.offset.count() * kMicrosPerSecond;
  o.first_dst = info.first.save != std::chrono::minutes{0};
  o.second_us = info.result == date::local_info::ambiguous
                    ? -info.second.offset.count() * kMicrosPerSecond
                    : o.first_us;
  return o;
}

struct Split {
  CivilDate date;
  std::int64_t hh, mm, ss, us;
};

Split split(std::int64_t local_us) {
  const std::int64_t days = floor_div(local_us, kMicrosPerDay);
  std::int64_t rest = local_us - days * kMicrosPerDay;
  Split s{civil_from_days(days), 0, 0, 0, 0};
  s.hh = rest / kMicrosPerHour;
  rest -= s.hh * kMicrosPerHour;
  s.mm = rest / (60 * kMicrosPerSecond);
  rest -= s.mm * 60 * kMicrosPerSecond;
  s.ss = rest / kMicrosPerSecond;
  s.us = rest - s.ss * kMicrosPerSecond;
  return s;
}

}  // namespace

void check_eastern_zone() {
  (void)eastern();
}

bool eastern_is_dst_local(std::int64_t local_us) {
  return offsets(local_us).first_dst;
}

std::int64_t eastern_to_utc_us(std::int64_t local_us) {
  return local_us + offsets(local_us).first_us;
}

std::int64_t utc_to_eastern_us(std::int64_t utc_us) {
  if (utc_us < kFirstLocalUs || utc_us >= kEndLocalUs) return utc_us - kEstUs;
  const date::sys_seconds t{std::chrono::seconds{floor_div(utc_us, kMicrosPerSecond)}};
  return utc_us + eastern()->get_info(t).offset.count() * kMicrosPerSecond;
}

std::int64_t EasternClock::resolve(std::int64_t local_us) const {
  const Offsets o = offsets(local_us);
  std::int64_t utc = local_us + o.first_us;
  if (o.second_us != o.first_us && started_) {
    const std::int64_t later = local_us + o.second_us;
    const std::int64_t d_first = utc > latest_ ? utc - latest_ : latest_ - utc;
    const std::int64_t d_later = later > latest_ ? later - latest_ : latest_ - later;
    if (d_later <= d_first) utc = later;
  }
  return utc;
}

void EasternClock::observe(std::int64_t utc_us) {
  if (!started_ || utc_us > latest_) latest_ = utc_us;
  started_ = true;
}

std::int64_t EasternClock::to_utc_us(std::int64_t local_us) {
  const std::int64_t utc = resolve(local_us);
  observe(utc);
  return utc;
}

std::string format_request_time(std::int64_t local_us) {
  const Split s = split(local_us);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02u %02lld%02lld%02lld",
                static_cast<long long>(s.date.year), s.date.month, s.date.day,
                static_cast<long long>(s.hh), static_cast<long long>(s.mm),
                static_cast<long long>(s.ss));
  return buf;
}

std::string format_local_time(std::int64_t local_us) {
  const Split s = split(local_us);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld",
                static_cast<long long>(s.date.year), s.date.month, s.date.day,
                static_cast<long long>(s.hh), static_cast<long long>(s.mm),
                static_cast<long long>(s.ss), static_cast<long long>(s.us));
  return buf;
}

}  // namespace spacetime::feed::iqfeed
