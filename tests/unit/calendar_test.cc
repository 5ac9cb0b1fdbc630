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

TEST(Calendar, ADayBeginsAtBelgianMidnight) {
  EXPECT_EQ(kp::BelgianMidnight(year{2027} / 1 / 1), Utc(2026, 12, 31, 23, 0));
  EXPECT_EQ(kp::BelgianMidnight(year{2026} / 7 / 1), Utc(2026, 6, 30, 22, 0));
  // The days the clocks change begin in the time of the night before.
  EXPECT_EQ(kp::BelgianMidnight(year{2026} / 3 / 29), Utc(2026, 3, 28, 23, 0));
  EXPECT_EQ(kp::BelgianMidnight(year{2026} / 3 / 30), Utc(2026, 3, 29, 22, 0));
  EXPECT_EQ(kp::BelgianMidnight(year{2026} / 10 / 25), Utc(2026, 10, 24, 22, 0));
  EXPECT_EQ(kp::BelgianMidnight(year{2026} / 10 / 26), Utc(2026, 10, 25, 23, 0));
}

TEST(Calendar, QuartersAreBelgiumsAndFollowEachOther) {
  using kp::Quarter;
  EXPECT_EQ(kp::BelgianQuarterOf(Utc(2026, 12, 31, 22, 59, 59)), (Quarter{2026, 4}));
  EXPECT_EQ(kp::BelgianQuarterOf(Utc(2026, 12, 31, 23, 0)), (Quarter{2027, 1})) << "midnight in Brussels";
  EXPECT_EQ(kp::BelgianQuarterOf(Utc(2026, 6, 30, 22, 0)), (Quarter{2026, 3}));
  EXPECT_EQ(kp::PreviousQuarter({2027, 1}), (Quarter{2026, 4}));
  EXPECT_EQ(kp::PreviousQuarter({2026, 3}), (Quarter{2026, 2}));
  EXPECT_EQ(kp::QuarterStart({2027, 1}), Utc(2026, 12, 31, 23, 0));
  EXPECT_EQ(kp::QuarterEnd({2026, 1}), Utc(2026, 3, 31, 22, 0)) << "1 April, in summer time";
  EXPECT_EQ(kp::QuarterEnd({2026, 4}), kp::QuarterStart({2027, 1}));
  for (int q = 1; q <= 4; ++q) {
    EXPECT_EQ(kp::BelgianQuarterOf(kp::QuarterStart({2026, q})), (Quarter{2026, q}));
    EXPECT_EQ(kp::BelgianQuarterOf(kp::QuarterEnd({2026, q}) - seconds{1}), (Quarter{2026, q}));
  }
}

TEST(Calendar, IsoTextPadsEveryPart) {
  EXPECT_EQ(IsoText(year{987} / month{3} / day{4}), "0987-03-04");
  EXPECT_EQ(IsoText(year{2026} / month{11} / day{24}), "2026-11-24");
}

namespace kp {
namespace {

using namespace std::chrono;

TEST(WorkingDays, BelgiumsTenPublicHolidaysAndNoOther) {
  // 2026: Easter 5 April, so Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May.
  int holidays = 0;
  for (sys_days d = sys_days{2026y / January / 1}; d <= sys_days{2026y / December / 31}; d += days{1})
    holidays += IsBelgianPublicHoliday(year_month_day{d}) ? 1 : 0;
  EXPECT_EQ(holidays, 10);
  EXPECT_TRUE(IsBelgianPublicHoliday(2026y / April / 6));
  EXPECT_TRUE(IsBelgianPublicHoliday(2026y / May / 14));
  EXPECT_TRUE(IsBelgianPublicHoliday(2026y / May / 25));
  EXPECT_TRUE(IsBelgianPublicHoliday(2027y / March / 29)) << "Easter 2027 is 28 March";
  EXPECT_TRUE(IsBelgianPublicHoliday(2025y / April / 21)) << "Easter 2025 is 20 April";
  EXPECT_FALSE(IsBelgianPublicHoliday(2026y / July / 11)) << "the Flemish holiday is not a legal one";
  EXPECT_FALSE(IsWorkingDay(2026y / December / 5)) << "a Saturday";
}

TEST(WorkingDays, AnAnswerDueInTwoWorkingDaysSkipsWeekendsAndHolidays) {
  EXPECT_EQ(AddWorkingDays(2026y / December / 7, 2), 2026y / December / 9);   // Monday → Wednesday
  EXPECT_EQ(AddWorkingDays(2026y / December / 4, 2), 2026y / December / 8);   // Friday → Tuesday
  EXPECT_EQ(AddWorkingDays(2026y / December / 5, 1), 2026y / December / 7);   // asked on a Saturday
  EXPECT_EQ(AddWorkingDays(2026y / December / 23, 2), 2026y / December / 28);  // over Christmas
  EXPECT_EQ(AddWorkingDays(2026y / April / 3, 1), 2026y / April / 7);         // over Easter Monday
  EXPECT_EQ(AddWorkingDays(2026y / December / 7, 14), 2026y / December / 28);
}

}  // namespace
}  // namespace kp
