// Calendar dates as Kruispunt's users live them. Kruispunt serves the Flemish first line, so
// "today" (a birth or an evaluation dated in the future, a goal whose evaluation is overdue) is
// the day in Belgium, not in UTC: the two differ every night between midnight in Brussels and
// midnight UTC, when night nursing and crisis teams still record their work.
#pragma once

#include <chrono>
#include <string>

namespace kp {

// The calendar day in Belgium at instant `t`. Belgium follows the EU's summer time rule
// (Directive 2000/84/EC): UTC+2 from 01:00 UTC on the last Sunday of March until 01:00 UTC on the
// last Sunday of October, UTC+1 otherwise. Should the EU end summer time, this is the one place
// to change.
std::chrono::year_month_day BelgianDate(std::chrono::system_clock::time_point t);

// The instant day `date` begins in Belgium: its midnight, at UTC+1 or UTC+2.
std::chrono::sys_seconds BelgianMidnight(std::chrono::year_month_day date);

// A calendar quarter as Belgium lives it: quarter 1 is January to March, from the first day's
// Belgian midnight to the next quarter's.
struct Quarter {
  int year = 0;
  int quarter = 0;  // 1..4
  bool operator==(const Quarter&) const = default;
};
// The quarter that holds instant `t`, and the one before a quarter.
Quarter BelgianQuarterOf(std::chrono::system_clock::time_point t);
Quarter PreviousQuarter(Quarter q);
// When the quarter begins and when it ends (the next one's beginning).
std::chrono::sys_seconds QuarterStart(Quarter q);
std::chrono::sys_seconds QuarterEnd(Quarter q);

// A date as ISO text ("2026-11-24"); ISO dates compare as strings and bind as SQL dates.
std::string IsoText(std::chrono::year_month_day date);

// Today in Belgium, as ISO text.
std::string BelgianTodayIso();

// Whether `date` is one of Belgium's ten legal public holidays (the law of 4 January 1974):
// New Year, Easter Monday, Labour Day, Ascension, Whit Monday, the National Day (21 July),
// Assumption, All Saints, Armistice (11 November) and Christmas. Regional and community holidays
// (11 July in Flanders) are not legal holidays and do not count.
bool IsBelgianPublicHoliday(std::chrono::year_month_day date);

// Monday to Friday and not a public holiday.
bool IsWorkingDay(std::chrono::year_month_day date);

// The `count`-th working day after `from` (`from` itself not counted): the day by which an answer
// "within `count` working days" is due.
std::chrono::year_month_day AddWorkingDays(std::chrono::year_month_day from, int count);

}  // namespace kp
