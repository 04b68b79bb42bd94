#include "feed/iqfeed/clock.hpp"

#include <cstdio>

namespace spacetime::feed::iqfeed {
namespace {

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
