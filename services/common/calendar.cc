#include "common/calendar.h"

#include <cstdio>

namespace kp {

namespace {

using namespace std::chrono;

// 01:00 UTC on the last Sunday of `m` in year `y`: when EU clocks change.
sys_seconds ClockChange(year y, month m) { return sys_days{y / m / Sunday[last]} + hours{1}; }

// Easter Sunday of the Gregorian calendar (the anonymous algorithm of 1876, Meeus/Jones/Butcher).
sys_days EasterSunday(year y) {
  const int Y = static_cast<int>(y);
  const int a = Y % 19, b = Y / 100, c = Y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month_number = (h + l - 7 * m + 114) / 31, day_number = (h + l - 7 * m + 114) % 31 + 1;
  return sys_days{y / month{static_cast<unsigned>(month_number)} / day{static_cast<unsigned>(day_number)}};
}

}  // namespace

year_month_day BelgianDate(system_clock::time_point t) {
  // The UTC year is the Belgian year whenever the year matters (March to October).
  const year y = year_month_day{floor<days>(t)}.year();
  const bool summer = t >= ClockChange(y, March) && t < ClockChange(y, October);
  return year_month_day{floor<days>(t + hours{summer ? 2 : 1})};
}

sys_seconds BelgianMidnight(year_month_day date) {
  // Midnight at UTC+2 is two hours before midnight UTC; if Belgium is at UTC+1 then, it is one.
  const sys_seconds summer_midnight = sys_days{date} - hours{2};
  return BelgianDate(summer_midnight) == date ? summer_midnight : sys_days{date} - hours{1};
}

Quarter BelgianQuarterOf(system_clock::time_point t) {
  const year_month_day date = BelgianDate(t);
  return {static_cast<int>(date.year()), static_cast<int>((static_cast<unsigned>(date.month()) - 1) / 3 + 1)};
}

Quarter PreviousQuarter(Quarter q) { return q.quarter == 1 ? Quarter{q.year - 1, 4} : Quarter{q.year, q.quarter - 1}; }

sys_seconds QuarterStart(Quarter q) {
  return BelgianMidnight(year{q.year} / month{static_cast<unsigned>(3 * q.quarter - 2)} / 1);
}

sys_seconds QuarterEnd(Quarter q) {
  return q.quarter == 4 ? QuarterStart({q.year + 1, 1}) : QuarterStart({q.year, q.quarter + 1});
}

std::string IsoText(year_month_day date) {
  char buffer[40];  // room for any int year, so the compiler sees no truncation
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string BelgianTodayIso() { return IsoText(BelgianDate(system_clock::now())); }

bool IsBelgianPublicHoliday(year_month_day date) {
  const auto m = static_cast<unsigned>(date.month()), d = static_cast<unsigned>(date.day());
  if ((m == 1 && d == 1) || (m == 5 && d == 1) || (m == 7 && d == 21) || (m == 8 && d == 15) ||
      (m == 11 && (d == 1 || d == 11)) || (m == 12 && d == 25))
    return true;
  const auto easter = EasterSunday(date.year());
  const sys_days day_of{date};
  return day_of == easter + days{1} || day_of == easter + days{39} || day_of == easter + days{50};
}

bool IsWorkingDay(year_month_day date) {
  const weekday w{sys_days{date}};
  return w != Saturday && w != Sunday && !IsBelgianPublicHoliday(date);
}

year_month_day AddWorkingDays(year_month_day from, int count) {
  sys_days day_of{from};
  for (int added = 0; added < count;) {
    day_of += days{1};
    if (IsWorkingDay(year_month_day{day_of})) ++added;
  }
  return year_month_day{day_of};
}

}  // namespace kp
