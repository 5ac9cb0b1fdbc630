#include "common/calendar.h"

#include <cstdio>

namespace kp {

namespace {

using namespace std::chrono;

// 01:00 UTC on the last Sunday of `m` in year `y`: when EU clocks change.
sys_seconds ClockChange(year y, month m) { return sys_days{y / m / Sunday[last]} + hours{1}; }

}  // namespace

year_month_day BelgianDate(system_clock::time_point t) {
  // The UTC year is the Belgian year whenever the year matters (March to October).
  const year y = year_month_day{floor<days>(t)}.year();
  const bool summer = t >= ClockChange(y, March) && t < ClockChange(y, October);
  return year_month_day{floor<days>(t + hours{summer ? 2 : 1})};
}

std::string IsoText(year_month_day date) {
  char buffer[40];  // room for any int year, so the compiler sees no truncation
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string BelgianTodayIso() { return IsoText(BelgianDate(system_clock::now())); }

}  // namespace kp
