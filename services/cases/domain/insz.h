// INSZ (rijksregisternummer) and BIS numbers: 11 digits YYMMDD SSS CC, where CC = 97 - (the
// first nine digits mod 97), and for births from 2000 on the nine digits are prefixed with "2".
// BIS numbers add 20 (sex unknown) or 40 (sex known) to the month. Month and day may be 00 when
// the birth date is (partly) unknown.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kp::cases {

struct InszInfo {
  std::string digits;  // the 11 digits, separators removed
  bool bis = false;
  int year = 0;        // full year, from the check digits' century rule
  int month = 0;       // 0 = unknown
  int day = 0;         // 0 = unknown
};

// Accepts digits with optional separators ('.', '-', ' '); nullopt with a reason when invalid.
std::optional<InszInfo> ParseInsz(std::string_view text, std::string* reason = nullptr);

// True when the birth date agrees with every date part the INSZ encodes.
bool BirthDateMatches(const InszInfo& insz, int year, int month, int day);

// A real calendar date between 1900-01-01 and 9999-12-31.
bool IsValidDate(int year, int month, int day);

}  // namespace kp::cases
