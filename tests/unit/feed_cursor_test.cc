// The change feed's cursor: its text form, and where each source continues from it.
#include "feed/domain/feed_cursor.h"

#include <gtest/gtest.h>

#include <limits>

namespace kp::feed {
namespace {

TEST(FeedCursor, ReadsBackWhatItWrote) {
  const FeedCursor cursor{912345678901, static_cast<int>(Source::kAgreements), 42, 1796560000};
  EXPECT_EQ(EncodeCursor(cursor), "2.912345678901.5.42.1796560000");
  const auto read = DecodeCursor(EncodeCursor(cursor));
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, cursor);
  EXPECT_EQ(read->time, 1796560000);
  EXPECT_EQ(DecodeCursor(EncodeCursor(FeedCursor::AtHorizon(77, 5))), (FeedCursor{77, 0, 0}));
}

TEST(FeedCursor, ReadsTheFirstVersionWithoutATime) {
  const auto read = DecodeCursor("1.912345678901.5.42");
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, (FeedCursor{912345678901, 5, 42}));
  EXPECT_EQ(read->time, 0);
}

TEST(FeedCursor, ReferralsAreTheLastSourceOfATransaction) {
  const auto read = DecodeCursor("2.10.6.3.0");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->source, static_cast<int>(Source::kReferrals));
  const FeedCursor in_agreements{10, static_cast<int>(Source::kAgreements), 7};
  EXPECT_EQ(in_agreements.AfterIn(Source::kReferrals), std::make_pair(int64_t{10}, int64_t{0})) << "not read yet";
  EXPECT_EQ(read->AfterIn(Source::kAgreements),
            std::make_pair(int64_t{10}, std::numeric_limits<int64_t>::max()))
      << "read entirely";
}

TEST(FeedCursor, ItsTimeIsNotPartOfTheOrder) {
  EXPECT_EQ((FeedCursor{10, 5, 3, 100}), (FeedCursor{10, 5, 3, 200}));
  EXPECT_LT((FeedCursor{10, 5, 3, 900}), (FeedCursor{10, 5, 4, 100}));
}

TEST(FeedCursor, RefusesAnythingElse) {
  for (const char* text : {"", "1", "1.2.5", "1.2.5.3.4", "2.2.5.3", "2.2.5.3.4.5", "3.2.5.3.4", "1.2.1.3", "1.2.7.3",
                           "1.-2.5.3", "1.2.5.3.", "1..5.3", "1.2.5.x", " 1.2.5.3", "1.2.5.99999999999999999999",
                           "MS4yLjUuMw"})
    EXPECT_FALSE(DecodeCursor(text)) << text;
}

TEST(FeedCursor, ASourceContinuesAfterWhatWasReadOfTheCursorsTransaction) {
  const auto agreements = Source::kAgreements;
  // Within the cursor's source: after its position.
  EXPECT_EQ((FeedCursor{10, 5, 3}.AfterIn(agreements)), std::make_pair(int64_t{10}, int64_t{3}));
  // At a horizon (before every source): all of the transaction.
  EXPECT_EQ(FeedCursor::AtHorizon(10).AfterIn(agreements), std::make_pair(int64_t{10}, int64_t{0}));
  // After a later source: none of the transaction is left for this one.
  EXPECT_EQ((FeedCursor{10, 6, 1}.AfterIn(agreements)),
            std::make_pair(int64_t{10}, std::numeric_limits<int64_t>::max()));
  // Two sources in one transaction: a cursor within the care plan's changes leaves all of the
  // transaction's agreement changes unread, and none of its care-plan changes up to its position.
  const FeedCursor in_plan{10, static_cast<int>(Source::kCarePlan), 3};
  EXPECT_EQ(in_plan.AfterIn(agreements), std::make_pair(int64_t{10}, int64_t{0}));
  EXPECT_EQ(in_plan.AfterIn(Source::kCarePlan), std::make_pair(int64_t{10}, int64_t{3}));
  EXPECT_EQ(DecodeCursor(EncodeCursor(in_plan)), in_plan);
  // The team's changes come first in a transaction: a cursor anywhere after them leaves none.
  EXPECT_EQ(in_plan.AfterIn(Source::kTeam), std::make_pair(int64_t{10}, std::numeric_limits<int64_t>::max()));
  const FeedCursor in_team{10, static_cast<int>(Source::kTeam), 2};
  EXPECT_EQ(DecodeCursor(EncodeCursor(in_team)), in_team);
  EXPECT_LT(in_team, in_plan);
  EXPECT_LT(FeedCursor::AtHorizon(10), (FeedCursor{10, 5, 1}));
  EXPECT_LT((FeedCursor{10, 5, 9}), FeedCursor::AtHorizon(11));
}

}  // namespace
}  // namespace kp::feed
