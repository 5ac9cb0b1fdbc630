#include "cases/domain/case_state.h"

#include <gtest/gtest.h>

using namespace kp::cases;

TEST(CaseState, AllowsTheDocumentedTransitions) {
  EXPECT_EQ(Apply(CaseState::kRegistered, Transition::kActivate), CaseState::kActive);
  EXPECT_EQ(Apply(CaseState::kSuspended, Transition::kActivate), CaseState::kActive);
  EXPECT_EQ(Apply(CaseState::kActive, Transition::kSuspend), CaseState::kSuspended);
  EXPECT_EQ(Apply(CaseState::kRegistered, Transition::kClose), CaseState::kClosed);
  EXPECT_EQ(Apply(CaseState::kActive, Transition::kClose), CaseState::kClosed);
  EXPECT_EQ(Apply(CaseState::kSuspended, Transition::kClose), CaseState::kClosed);
  EXPECT_EQ(Apply(CaseState::kClosed, Transition::kReopen), CaseState::kActive);
}

TEST(CaseState, RefusesEveryOtherTransition) {
  EXPECT_FALSE(Apply(CaseState::kActive, Transition::kActivate));
  EXPECT_FALSE(Apply(CaseState::kClosed, Transition::kActivate));
  EXPECT_FALSE(Apply(CaseState::kRegistered, Transition::kSuspend));
  EXPECT_FALSE(Apply(CaseState::kSuspended, Transition::kSuspend));
  EXPECT_FALSE(Apply(CaseState::kClosed, Transition::kSuspend));
  EXPECT_FALSE(Apply(CaseState::kClosed, Transition::kClose));
  EXPECT_FALSE(Apply(CaseState::kRegistered, Transition::kReopen));
  EXPECT_FALSE(Apply(CaseState::kActive, Transition::kReopen));
  EXPECT_FALSE(Apply(CaseState::kSuspended, Transition::kReopen));
}

TEST(CaseState, ReasonsAreRequiredWhereTheRulesSaySo) {
  EXPECT_FALSE(RuleFor(Transition::kActivate).reason_required);
  EXPECT_TRUE(RuleFor(Transition::kSuspend).reason_required);
  EXPECT_TRUE(RuleFor(Transition::kClose).reason_required);
  EXPECT_TRUE(RuleFor(Transition::kReopen).reason_required);
}
