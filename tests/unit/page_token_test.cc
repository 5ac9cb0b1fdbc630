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
