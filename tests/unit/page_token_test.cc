#include "common/page_token.h"

#include <gtest/gtest.h>

using namespace kp;

TEST(PageToken, RoundTripsForTheSameFilters) {
  const auto fp = FilterFingerprint("cases|2|0|");
  EXPECT_EQ(DecodePageToken(EncodePageToken(12345, fp), fp), 12345);
}

TEST(PageToken, RefusesOtherFiltersAndGarbage) {
  const auto token = EncodePageToken(7, FilterFingerprint("cases|2|0|"));
  EXPECT_FALSE(DecodePageToken(token, FilterFingerprint("cases|3|0|")));
  EXPECT_FALSE(DecodePageToken("not a token!", FilterFingerprint("x")));
  EXPECT_FALSE(DecodePageToken("", FilterFingerprint("x")));
  EXPECT_NE(FilterFingerprint("a"), FilterFingerprint("b"));
}

TEST(PageToken, ATwoPartPositionRoundTripsAndIsNotTakenForAOnePartOne) {
  const auto fp = FilterFingerprint("search||0|0|0");
  const auto token = EncodePageToken(Position2{1764990000123456, 42}, fp);
  const auto position = DecodePageToken2(token, fp);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->after, 1764990000123456);
  EXPECT_EQ(position->then, 42);
  EXPECT_FALSE(DecodePageToken(token, fp));
  EXPECT_FALSE(DecodePageToken2(EncodePageToken(7, fp), fp));
  EXPECT_FALSE(DecodePageToken2(token, FilterFingerprint("search|x|0|0|0")));
  const Page page = DecodePage(10, token, "search||0|0|0");
  EXPECT_EQ(page.after, 1764990000123456);
  EXPECT_EQ(page.then, 42);
}
