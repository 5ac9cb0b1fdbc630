#include "cases/domain/insz.h"

namespace kp::cases {

namespace {
void Say(std::string* reason, const char* text) {
  if (reason) *reason = text;
}
}  // namespace

bool IsValidDate(int year, int month, int day) {
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

std::optional<InszInfo> ParseInsz(std::string_view text, std::string* reason) {
  InszInfo info;
  for (char c : text) {
    if (c >= '0' && c <= '9') info.digits.push_back(c);
    else if (c != '.' && c != '-' && c != ' ') return Say(reason, "may contain only digits and . - or space"), std::nullopt;
  }
  if (info.digits.size() != 11) return Say(reason, "must have 11 digits"), std::nullopt;

  const long long first_nine = std::stoll(info.digits.substr(0, 9));
  const int check = std::stoi(info.digits.substr(9, 2));
  const bool before_2000 = 97 - first_nine % 97 == check;
  const bool from_2000 = 97 - (2000000000LL + first_nine) % 97 == check;
  if (!before_2000 && !from_2000) return Say(reason, "check digits do not match (mod 97)"), std::nullopt;

  const int yy = std::stoi(info.digits.substr(0, 2));
  int month = std::stoi(info.digits.substr(2, 2));
  const int day = std::stoi(info.digits.substr(4, 2));
  if (month >= 40) {
    info.bis = true;
    month -= 40;
  } else if (month >= 20) {
    info.bis = true;
    month -= 20;
  }
  if (month > 12) return Say(reason, "month part is not a month"), std::nullopt;
  if (day > 31) return Say(reason, "day part is not a day"), std::nullopt;
  info.year = (from_2000 ? 2000 : 1900) + yy;
  info.month = month;
  info.day = day;
  if (month != 0 && day != 0 && !IsValidDate(info.year, month, day))
    return Say(reason, "date part is not a calendar date"), std::nullopt;
  return info;
}

bool BirthDateMatches(const InszInfo& insz, int year, int month, int day) {
  // Date parts that are 00 in the number are unknown and constrain nothing; an all-zero date
  // part (000000) says nothing about the year either.
  const bool year_unknown = insz.digits.compare(0, 6, "000000") == 0;
  if (!year_unknown && year != insz.year) return false;
  if (insz.month != 0 && month != insz.month) return false;
  return insz.day == 0 || day == insz.day;
}

}  // namespace kp::cases
