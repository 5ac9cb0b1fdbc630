#include "common/calendar.h"

#include <gtest/gtest.h>

using namespace std::chrono;
using kp::BelgianDate;
using kp::IsoText;

namespace {

// An instant given in UTC.
system_clock::time_point Utc(int y, unsigned m, unsigned d, int hour, int minute, int second = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hour} + minutes{minute} + seconds{second};
}

std::string BelgianIso(system_clock::time_point t) { return IsoText(BelgianDate(t)); }

}  // namespace

TEST(Calendar, WinterIsOneHourAheadOfUtc) {
  EXPECT_EQ(BelgianIso(Utc(2026, 11, 24, 22, 59, 59)), "2026-11-24");  // 23:59:59 in Brussels
  EXPECT_EQ(BelgianIso(Utc(2026, 11, 24, 23, 0)), "2026-11-25");       // midnight in Brussels
  EXPECT_EQ(BelgianIso(Utc(2026, 12, 31, 23, 30)), "2027-01-01");      // a new year, still UTC's old one
  EXPECT_EQ(BelgianIso(Utc(2027, 1, 1, 0, 0)), "2027-01-01");
}

TEST(Calendar, SummerIsTwoHoursAheadOfUtc) {
  EXPECT_EQ(BelgianIso(Utc(2026, 7, 1, 21, 59, 59)), "2026-07-01");
  EXPECT_EQ(BelgianIso(Utc(2026, 7, 1, 22, 0)), "2026-07-02");
}

TEST(Calendar, SummerTimeStartsOnTheLastSundayOfMarch) {
  // 2026-03-29 is the last Sunday of March. The night before is still winter time...
  EXPECT_EQ(BelgianIso(Utc(2026, 3, 28, 22, 30)), "2026-03-28");
  // ...the evening of that Sunday is summer time.
  EXPECT_EQ(BelgianIso(Utc(2026, 3, 29, 22, 30)), "2026-03-30");
  // A year whose March ends on a Sunday: 2024-03-31.
  EXPECT_EQ(BelgianIso(Utc(2024, 3, 30, 22, 30)), "2024-03-30");
  EXPECT_EQ(BelgianIso(Utc(2024, 3, 31, 22, 30)), "2024-04-01");
}

TEST(Calendar, SummerTimeEndsOnTheLastSundayOfOctober) {
  // 2026-10-25 is the last Sunday of October: summer time the evening before, winter after.
  EXPECT_EQ(BelgianIso(Utc(2026, 10, 24, 22, 30)), "2026-10-25");
  EXPECT_EQ(BelgianIso(Utc(2026, 10, 25, 22, 30)), "2026-10-25");
  EXPECT_EQ(BelgianIso(Utc(2026, 10, 25, 23, 0)), "2026-10-26");
}

TEST(Calendar, IsoTextPadsEveryPart) {
  EXPECT_EQ(IsoText(year{987} / month{3} / day{4}), "0987-03-04");
  EXPECT_EQ(IsoText(year{2026} / month{11} / day{24}), "2026-11-24");
}
