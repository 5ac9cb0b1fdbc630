#include "cases/domain/insz.h"

#include <gtest/gtest.h>

using kp::cases::BirthDateMatches;
using kp::cases::IsValidDate;
using kp::cases::ParseInsz;

TEST(Insz, AcceptsBirthBefore2000) {
  auto insz = ParseInsz("59031212301");
  ASSERT_TRUE(insz);
  EXPECT_EQ(insz->year, 1959);
  EXPECT_EQ(insz->month, 3);
  EXPECT_EQ(insz->day, 12);
  EXPECT_FALSE(insz->bis);
}

TEST(Insz, AppliesThe2000RuleToTheCheckDigits) {
  auto insz = ParseInsz("01020312345");
  ASSERT_TRUE(insz);
  EXPECT_EQ(insz->year, 2001);
  // The same nine digits with the pre-2000 check digits belong to 1901.
  auto old = ParseInsz("01020312316");
  ASSERT_TRUE(old) << "97 - 10203123 % 97 = 16";
  EXPECT_EQ(old->year, 1901);
}

TEST(Insz, AcceptsSeparatorsAndNormalises) {
  auto insz = ParseInsz("59.03.12-123.01");
  ASSERT_TRUE(insz);
  EXPECT_EQ(insz->digits, "59031212301");
}

TEST(Insz, RejectsWrongCheckDigitsLengthAndCharacters) {
  std::string reason;
  EXPECT_FALSE(ParseInsz("59031212302", &reason));
  EXPECT_EQ(reason, "check digits do not match (mod 97)");
  EXPECT_FALSE(ParseInsz("5903121230", &reason));
  EXPECT_EQ(reason, "must have 11 digits");
  EXPECT_FALSE(ParseInsz("5903121230a", &reason));
  EXPECT_FALSE(ParseInsz("", &reason));
}

TEST(Insz, AcceptsBisNumbers) {
  auto plus40 = ParseInsz("59431212387");
  ASSERT_TRUE(plus40);
  EXPECT_TRUE(plus40->bis);
  EXPECT_EQ(plus40->month, 3);
  auto plus20 = ParseInsz("05221245654");
  ASSERT_TRUE(plus20);
  EXPECT_TRUE(plus20->bis);
  EXPECT_EQ(plus20->year, 2005);
  EXPECT_EQ(plus20->month, 2);
}

TEST(Insz, AllowsUnknownDateParts) {
  auto month_unknown = ParseInsz("59000012349");
  ASSERT_TRUE(month_unknown);
  EXPECT_EQ(month_unknown->month, 0);
  EXPECT_TRUE(BirthDateMatches(*month_unknown, 1959, 7, 1));
  EXPECT_FALSE(BirthDateMatches(*month_unknown, 1960, 7, 1));
  auto day_unknown = ParseInsz("59030012370");
  ASSERT_TRUE(day_unknown);
  EXPECT_TRUE(BirthDateMatches(*day_unknown, 1959, 3, 28));
  EXPECT_FALSE(BirthDateMatches(*day_unknown, 1959, 4, 28));
  auto all_unknown = ParseInsz("00000012371");
  ASSERT_TRUE(all_unknown);
  EXPECT_TRUE(BirthDateMatches(*all_unknown, 1944, 5, 6));
}

TEST(Insz, RejectsImpossibleDates) {
  std::string reason;
  EXPECT_FALSE(ParseInsz("59023012336", &reason));
  EXPECT_EQ(reason, "date part is not a calendar date");
  EXPECT_TRUE(ParseInsz("00022900145")) << "29 February 2000 exists";
}

TEST(Insz, BirthDateMustMatchAKnownDate) {
  auto insz = ParseInsz("59031212301");
  ASSERT_TRUE(insz);
  EXPECT_TRUE(BirthDateMatches(*insz, 1959, 3, 12));
  EXPECT_FALSE(BirthDateMatches(*insz, 1959, 3, 13));
  EXPECT_FALSE(BirthDateMatches(*insz, 2059, 3, 12));
}

TEST(Dates, KnowsLeapYearsAndMonthLengths) {
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(2023, 13, 1));
  EXPECT_FALSE(IsValidDate(1899, 12, 31));
}
