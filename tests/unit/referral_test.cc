// A referral's rules as pure functions: who changes it from which status, what a change must say,
// when an answer is overdue.
#include <gtest/gtest.h>

#include <string>

#include "referrals/domain/referral_rules.h"

namespace kp::referrals {
namespace {

const Standing kRequested{Status::kRequested, Outcome::kNone, false};

TEST(ReferralRules, TheReceiverAnswersTheReferrerCancelsAndHolds) {
  for (auto change : {Change::kAccept, Change::kWaitlist, Change::kReject, Change::kStart, Change::kComplete,
                      Change::kFail})
    EXPECT_EQ(SideOf(change), Side::kReceiver);
  for (auto change : {Change::kCancel, Change::kHold, Change::kResume}) EXPECT_EQ(SideOf(change), Side::kReferrer);
}

TEST(ReferralRules, EachChangeFromItsOwnStatusesOnly) {
  EXPECT_EQ(Refusal(Change::kAccept, kRequested), std::nullopt);
  EXPECT_EQ(Refusal(Change::kStart, kRequested), "REFERRAL_STATUS") << "accepted first";
  EXPECT_EQ(Refusal(Change::kFail, kRequested), "REFERRAL_STATUS") << "an unanswered referral is rejected";
  const Standing waitlisted{Status::kWaitlisted, Outcome::kNone, false};
  EXPECT_EQ(Refusal(Change::kAccept, waitlisted), std::nullopt);
  EXPECT_EQ(Refusal(Change::kWaitlist, waitlisted), "REFERRAL_STATUS");
  const Standing started{Status::kInProgress, Outcome::kServiceStarted, false};
  EXPECT_EQ(Refusal(Change::kComplete, started), std::nullopt);
  EXPECT_EQ(Refusal(Change::kReject, started), "REFERRAL_STATUS");
  for (auto closed : {Status::kRejected, Status::kCompleted, Status::kCancelled, Status::kFailed})
    for (auto change : {Change::kAccept, Change::kCancel, Change::kHold, Change::kFail})
      EXPECT_EQ(Refusal(change, {closed, Outcome::kNone, false}), "REFERRAL_CLOSED");
}

TEST(ReferralRules, OnHoldTheReceiverWaitsAndTheReferrerMayStillCancel) {
  const Standing held{Status::kRequested, Outcome::kNone, true};
  EXPECT_EQ(Refusal(Change::kAccept, held), "REFERRAL_ON_HOLD");
  EXPECT_EQ(Refusal(Change::kReject, held), "REFERRAL_ON_HOLD");
  EXPECT_EQ(Refusal(Change::kHold, held), "REFERRAL_ON_HOLD");
  EXPECT_EQ(Refusal(Change::kCancel, held), std::nullopt);
  EXPECT_EQ(Refusal(Change::kResume, held), std::nullopt);
  EXPECT_EQ(Refusal(Change::kResume, kRequested), "REFERRAL_NOT_ON_HOLD");
  EXPECT_FALSE(After(Change::kResume, held, Outcome::kNone).on_hold);
  EXPECT_FALSE(After(Change::kCancel, held, Outcome::kNone).on_hold);
}

TEST(ReferralRules, AnOutcomeSaysWhatWasObservedAndFitsItsChange) {
  EXPECT_TRUE(NeedsOf(Change::kReject).outcome);
  EXPECT_FALSE(OutcomeFits(Change::kReject, Outcome::kNone));
  EXPECT_TRUE(OutcomeFits(Change::kReject, Outcome::kNoCapacity));
  EXPECT_FALSE(OutcomeFits(Change::kReject, Outcome::kServiceStarted));
  EXPECT_TRUE(OutcomeFits(Change::kFail, Outcome::kClientNotReachable));
  EXPECT_FALSE(OutcomeFits(Change::kAccept, Outcome::kNoCapacity));
  EXPECT_TRUE(OutcomeFits(Change::kCancel, Outcome::kNone));
  EXPECT_TRUE(OutcomeFits(Change::kCancel, Outcome::kClientDeclined));
  EXPECT_EQ(After(Change::kStart, {Status::kAccepted, Outcome::kNone, false}, Outcome::kNone).outcome,
            Outcome::kServiceStarted);
  const auto rejected = After(Change::kReject, kRequested, Outcome::kNotEligible);
  EXPECT_EQ(rejected.status, Status::kRejected);
  EXPECT_EQ(rejected.outcome, Outcome::kNotEligible);
}

TEST(ReferralRules, OverdueWhenStillRequestedAfterItsDueDayAndNotOnHold) {
  const std::string due = "2026-12-09";
  EXPECT_FALSE(IsOverdue(kRequested, due, "2026-12-09"));
  EXPECT_TRUE(IsOverdue(kRequested, due, "2026-12-10"));
  EXPECT_TRUE(IsOverdue(kRequested, due, "2027-01-02"));
  EXPECT_FALSE(IsOverdue({Status::kRequested, Outcome::kNone, true}, due, "2026-12-10"));
  EXPECT_FALSE(IsOverdue({Status::kAccepted, Outcome::kNone, false}, due, "2026-12-10"));
}

}  // namespace
}  // namespace kp::referrals
