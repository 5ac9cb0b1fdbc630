#include "common/validation.h"

#include <gtest/gtest.h>

#include "common/pg_values.h"
#include "support/refusals.h"

using namespace kp;

TEST(Utf8, CountsCodePointsAndRejectsInvalidBytes) {
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("Ik wil rust over mijn geld"), 26u);
  EXPECT_EQ(Utf8Length("\xd8\xa3\xd8\xb1\xd9\x8a\xd8\xaf"), 4u);  // Arabic, 4 letters
  EXPECT_EQ(Utf8Length("\xf0\x9f\x8f\xa0"), 1u);                 // one emoji
  EXPECT_FALSE(Utf8Length("\xc3"));                               // truncated
  EXPECT_FALSE(Utf8Length("\xc0\xaf"));                           // overlong
  EXPECT_FALSE(Utf8Length("\xed\xa0\x80"));                       // surrogate
  EXPECT_FALSE(Utf8Length("\xff"));
}

TEST(Violations, CollectsEveryProblemThenThrowsOnce) {
  Violations v;
  v.Text("title", "", 1, 10);
  v.Text("summary", std::string("a\0b", 3), 0, 10);
  v.Text("note", "line\nline", 0, 100, /*multiline=*/true);
  v.Text("name", "abcdefghijk", 1, 10);
  v.Uuid("request_id", "not-a-uuid", false);
  v.Uuid("other_id", "", false);
  const auto refused = test::Refusals([&] { v.ThrowIfAny(); });
  ASSERT_EQ(refused.size(), 4u);
  EXPECT_EQ(refused[0].field, "title");
  EXPECT_EQ(refused[1].field, "summary");
  EXPECT_EQ(refused[1].description, "must not contain control characters");
  EXPECT_EQ(refused[2].field, "name");
  EXPECT_EQ(refused[3].field, "request_id");
}

// A request that repeats one mistake in every item of a long list, or makes very many, gets a
// short answer: each violation once, at most Violations::kMax of them.
TEST(Violations, AreReportedOnceEachAndBounded) {
  Violations v;
  for (int i = 0; i < 1000; ++i) v.Add("content.goals", "names a goal twice");
  v.AtMost("content.goals", 51, 50, "goals");
  v.AtMost("content.performers", 50, 50, "performers");
  const auto refused = test::Refusals([&] { v.ThrowIfAny(); });
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].description, "names a goal twice");
  EXPECT_EQ(refused[1].field, "content.goals");
  EXPECT_EQ(refused[1].description, "names more than 50 goals");

  Violations many;
  for (int i = 0; i < 1000; ++i) many.Add("questions[" + std::to_string(i) + "].case", "must be 'cases/{uuid}'");
  const auto first = test::Refusals([&] { many.ThrowIfAny(); });
  ASSERT_EQ(first.size(), Violations::kMax);
  EXPECT_EQ(first.front().field, "questions[0].case") << "the first ones are kept";
}

TEST(ResourceNames, ParseOnlyTheirCollectionAndUuids) {
  EXPECT_EQ(ParseResourceName("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58", "cases"),
            "2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  EXPECT_FALSE(ParseResourceName("clients/2fbd547f-ac6d-4731-8fd3-2b0300863a58", "cases"));
  EXPECT_FALSE(ParseResourceName("cases/2FBD547F-AC6D-4731-8FD3-2B0300863A58", "cases"));
  EXPECT_FALSE(ParseResourceName("cases/", "cases"));
  EXPECT_FALSE(ParseResourceName("cases2fbd547f-ac6d-4731-8fd3-2b0300863a58", "cases"));
}

TEST(PageSize, FollowsAip158) {
  Violations v;
  EXPECT_EQ(NormalizePageSize(v, "page_size", 0), 50);
  EXPECT_EQ(NormalizePageSize(v, "page_size", 7), 7);
  EXPECT_EQ(NormalizePageSize(v, "page_size", 100000), 500);
  EXPECT_TRUE(v.empty());
  NormalizePageSize(v, "page_size", -1);
  EXPECT_FALSE(v.empty());
}

// A timestamp of a request reaches the database as microseconds and comes back the same, also
// before 1970 (nanos stay positive) and at the ends of the range TimeMicros accepts.
TEST(Timestamps, RoundTripThroughMicrosecondsAtEveryEdge) {
  for (const int64_t micros : {kFirstMicros, int64_t{-1500000}, int64_t{-1}, int64_t{0}, int64_t{1767225600000001},
                               kLastMicros}) {
    google::protobuf::Timestamp ts;
    SetTime(&ts, micros);
    EXPECT_GE(ts.nanos(), 0) << micros;
    Violations v;
    EXPECT_EQ(TimeMicros(v, "time", ts), micros);
    EXPECT_TRUE(v.empty()) << micros;
  }
  Violations v;
  google::protobuf::Timestamp before;
  before.set_seconds(kFirstMicros / 1000000 - 1);
  EXPECT_FALSE(TimeMicros(v, "time", before));
  EXPECT_FALSE(v.empty());
}
