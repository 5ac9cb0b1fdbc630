// The care plan's lifecycles and request validation, as pure functions.
#include <gtest/gtest.h>

#include "careplan/domain/careplan_rules.h"
#include "careplan/grpc/careplan_validation.h"
#include "common/errors.h"
#include "support/refusals.h"

namespace kp::careplan {
namespace {

using test::RefusedFields;

const std::string kCase = "cases/3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c";
const std::string kParticipant = kCase + "/participants/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f";

TEST(CarePlanRules, PlanLifecycle) {
  using S = v1::CarePlanState;
  EXPECT_EQ(PlanAfter(S::CARE_PLAN_STATE_DRAFT, PlanChange::kActivate), S::CARE_PLAN_STATE_ACTIVE);
  EXPECT_EQ(PlanAfter(S::CARE_PLAN_STATE_ACTIVE, PlanChange::kHold), S::CARE_PLAN_STATE_ON_HOLD);
  EXPECT_EQ(PlanAfter(S::CARE_PLAN_STATE_ON_HOLD, PlanChange::kActivate), S::CARE_PLAN_STATE_ACTIVE);
  EXPECT_EQ(PlanAfter(S::CARE_PLAN_STATE_ON_HOLD, PlanChange::kComplete), S::CARE_PLAN_STATE_COMPLETED);
  EXPECT_EQ(PlanAfter(S::CARE_PLAN_STATE_DRAFT, PlanChange::kRevoke), S::CARE_PLAN_STATE_REVOKED);
  EXPECT_FALSE(PlanAfter(S::CARE_PLAN_STATE_DRAFT, PlanChange::kHold));
  EXPECT_FALSE(PlanAfter(S::CARE_PLAN_STATE_DRAFT, PlanChange::kComplete));
  EXPECT_FALSE(PlanAfter(S::CARE_PLAN_STATE_ACTIVE, PlanChange::kActivate));
  for (auto closed : {S::CARE_PLAN_STATE_COMPLETED, S::CARE_PLAN_STATE_REVOKED}) {
    EXPECT_TRUE(PlanIsClosed(closed));
    for (auto change : {PlanChange::kActivate, PlanChange::kHold, PlanChange::kComplete, PlanChange::kRevoke})
      EXPECT_FALSE(PlanAfter(closed, change)) << Name(closed) << " " << Name(change);
  }
  EXPECT_FALSE(NeedsReason(PlanChange::kActivate));
  EXPECT_TRUE(NeedsReason(PlanChange::kRevoke));
}

TEST(CarePlanRules, GoalLifecycle) {
  using S = v1::GoalState;
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_PROPOSED, GoalChange::kAccept, {}), S::GOAL_STATE_ACCEPTED);
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_ACCEPTED, GoalChange::kStart, {}), S::GOAL_STATE_ACTIVE);
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_ACCEPTED, GoalChange::kHold, {}), S::GOAL_STATE_ON_HOLD);
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_ON_HOLD, GoalChange::kStart, {}), S::GOAL_STATE_ACTIVE);
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_ACTIVE, GoalChange::kConclude, S::GOAL_STATE_NOT_ACHIEVED), S::GOAL_STATE_NOT_ACHIEVED);
  EXPECT_EQ(GoalAfter(S::GOAL_STATE_PROPOSED, GoalChange::kCancel, {}), S::GOAL_STATE_CANCELLED);
  EXPECT_FALSE(GoalAfter(S::GOAL_STATE_PROPOSED, GoalChange::kStart, {}));
  EXPECT_FALSE(GoalAfter(S::GOAL_STATE_PROPOSED, GoalChange::kConclude, S::GOAL_STATE_ACHIEVED));
  EXPECT_FALSE(GoalAfter(S::GOAL_STATE_ACTIVE, GoalChange::kConclude, S::GOAL_STATE_CANCELLED)) << "not an outcome";
  EXPECT_FALSE(GoalAfter(S::GOAL_STATE_ACTIVE, GoalChange::kAccept, {}));
  for (auto final_state : {S::GOAL_STATE_ACHIEVED, S::GOAL_STATE_PARTLY_ACHIEVED, S::GOAL_STATE_NOT_ACHIEVED,
                           S::GOAL_STATE_CANCELLED}) {
    EXPECT_TRUE(GoalIsFinal(final_state));
    for (auto change : {GoalChange::kAccept, GoalChange::kStart, GoalChange::kHold, GoalChange::kCancel})
      EXPECT_FALSE(GoalAfter(final_state, change, {})) << Name(final_state) << " " << Name(change);
  }
  EXPECT_TRUE(NeedsReason(GoalChange::kHold));
  EXPECT_FALSE(NeedsReason(GoalChange::kAccept));
}

TEST(CarePlanRules, ActionStatus) {
  using S = v1::ActionStatus;
  EXPECT_TRUE(ActionStatusMayChange(S::ACTION_STATUS_PLANNED, S::ACTION_STATUS_IN_PROGRESS));
  EXPECT_TRUE(ActionStatusMayChange(S::ACTION_STATUS_PLANNED, S::ACTION_STATUS_DONE));
  EXPECT_TRUE(ActionStatusMayChange(S::ACTION_STATUS_IN_PROGRESS, S::ACTION_STATUS_CANCELLED));
  EXPECT_TRUE(ActionStatusMayChange(S::ACTION_STATUS_IN_PROGRESS, S::ACTION_STATUS_IN_PROGRESS));
  EXPECT_FALSE(ActionStatusMayChange(S::ACTION_STATUS_IN_PROGRESS, S::ACTION_STATUS_PLANNED));
  EXPECT_FALSE(ActionStatusMayChange(S::ACTION_STATUS_DONE, S::ACTION_STATUS_DONE)) << "a done action is not edited";
  EXPECT_FALSE(ActionStatusMayChange(S::ACTION_STATUS_CANCELLED, S::ACTION_STATUS_PLANNED));
}

TEST(CarePlanValidation, CreateGoalKeepsTheWordsAndChecksEveryField) {
  v1::CreateGoalRequest request;
  request.set_parent(kCase);
  auto* g = request.mutable_goal();
  g->set_statement("Ik wil in mijn huis blijven wonen.\nJe veux rester chez moi. أريد البقاء في بيتي");
  g->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
  g->set_held_by(kParticipant);
  g->set_priority(1);
  const auto goal = ValidateCreateGoal(request);
  EXPECT_EQ(goal.statement, g->statement());
  EXPECT_EQ(goal.held_by, "7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  EXPECT_EQ(goal.client_agreement, v1::CLIENT_AGREEMENT_NOT_YET);

  g->set_statement(std::string(1001, 'x'));
  g->set_held_by("cases/00000000-0000-4000-8000-000000000000/participants/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  g->set_priority(101);
  g->set_state(v1::GOAL_STATE_ACTIVE);
  g->mutable_next_evaluation_date()->set_year(2026);
  g->mutable_next_evaluation_date()->set_month(13);
  g->mutable_next_evaluation_date()->set_day(1);
  EXPECT_EQ(RefusedFields([&] { ValidateCreateGoal(request); }),
            (std::vector<std::string>{"goal.statement", "goal.held_by", "goal.priority", "goal.state",
                                      "goal.next_evaluation_date"}));
}

TEST(CarePlanValidation, UpdatesNeedAMaskAndTakeAnEtag) {
  v1::UpdateGoalRequest request;
  request.mutable_goal()->set_name(kCase + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  request.mutable_update_mask()->add_paths("held_by");
  EXPECT_EQ(RefusedFields([&] { ValidateUpdateGoal(request); }), (std::vector<std::string>{"update_mask"}));
  request.mutable_update_mask()->set_paths(0, "target_date");
  EXPECT_FALSE(ValidateUpdateGoal(request).etag) << "no etag: unconditional";
  request.mutable_goal()->set_etag("W/\"3\"");
  EXPECT_EQ(ValidateUpdateGoal(request).etag, kNoVersion) << "an etag not issued here matches no version";
  request.mutable_goal()->set_etag("3");
  const auto update = ValidateUpdateGoal(request);
  EXPECT_TRUE(update.edit.set_target_date);
  EXPECT_FALSE(update.edit.target_date) << "an absent date in the mask clears it";
  EXPECT_EQ(update.etag, 3);

  v1::ChangeCarePlanStateRequest plan;
  plan.set_name(kCase + "/carePlan");
  EXPECT_EQ(RefusedFields([&] { ValidatePlanStateChange(plan, PlanChange::kRevoke); }), std::vector<std::string>{"reason"});
  plan.set_name(kCase);
  EXPECT_EQ(RefusedFields([&] { ValidatePlanStateChange(plan, PlanChange::kActivate); }), std::vector<std::string>{"name"});
}

TEST(CarePlanValidation, EvaluationDates) {
  v1::RecordEvaluationRequest request;
  request.set_parent(kCase);
  auto* e = request.mutable_evaluation();
  e->set_goal(kCase + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  e->mutable_evaluation_date()->set_year(2026);
  e->mutable_evaluation_date()->set_month(11);
  e->mutable_evaluation_date()->set_day(20);
  e->mutable_client_rating()->set_score(7);
  *e->mutable_next_evaluation_date() = e->evaluation_date();
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            std::vector<std::string>{"evaluation.next_evaluation_date"});
  e->mutable_next_evaluation_date()->set_month(12);
  EXPECT_EQ(ValidateRecordEvaluation(request, "2026-11-24").next_evaluation, "2026-12-20");
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-19"); }),
            std::vector<std::string>{"evaluation.evaluation_date"});
}

// A referral's outcome: the referral of this case required, the client's rating optional, no next
// review; a review names no referral; what is read from the referral is never taken as input.
TEST(CarePlanValidation, AReferralsOutcomeIsNoReview) {
  v1::RecordEvaluationRequest request;
  request.set_parent(kCase);
  auto* e = request.mutable_evaluation();
  e->set_kind(v1::EVALUATION_KIND_REFERRAL_OUTCOME);
  e->set_goal(kCase + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  e->mutable_evaluation_date()->set_year(2026);
  e->mutable_evaluation_date()->set_month(11);
  e->mutable_evaluation_date()->set_day(20);
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            std::vector<std::string>{"evaluation.referral"});
  e->set_referral("cases/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/referrals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            std::vector<std::string>{"evaluation.referral"})
      << "another case's referral";
  e->set_referral(kCase + "/referrals/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  const auto note = ValidateRecordEvaluation(request, "2026-11-24");
  EXPECT_EQ(note.kind, v1::EVALUATION_KIND_REFERRAL_OUTCOME);
  EXPECT_EQ(note.referral_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_FALSE(note.client_rating);
  EXPECT_FALSE(note.next_evaluation);
  e->mutable_client_rating()->set_score(3);
  EXPECT_EQ(ValidateRecordEvaluation(request, "2026-11-24").client_rating, 3) << "when the client gave a view";
  *e->mutable_next_evaluation_date() = e->evaluation_date();
  e->mutable_next_evaluation_date()->set_month(12);
  e->mutable_referral_outcome()->set_outcome(kruispunt::referrals::v1::REFERRAL_OUTCOME_NO_CAPACITY);
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            (std::vector<std::string>{"evaluation.next_evaluation_date", "evaluation.referral_outcome"}));
  e->clear_referral_outcome();
  e->set_kind(v1::EVALUATION_KIND_UNSPECIFIED);  // a review
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            std::vector<std::string>{"evaluation.referral"});
  e->clear_referral();
  EXPECT_EQ(ValidateRecordEvaluation(request, "2026-11-24").kind, v1::EVALUATION_KIND_REVIEW);
  e->clear_client_rating();
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            std::vector<std::string>{"evaluation.client_rating"}) << "a review has the client's view";
  e->mutable_client_rating()->set_score(3);
  e->set_kind(static_cast<v1::EvaluationKind>(9));
  EXPECT_EQ(RefusedFields([&] { ValidateRecordEvaluation(request, "2026-11-24"); }),
            (std::vector<std::string>{"evaluation.kind", "evaluation.next_evaluation_date", "evaluation.referral"}));
}

// DescribeGoals: goals of the parent case only, in the order asked, at most kDescribeGoalsMax.
TEST(CarePlanValidation, DescribeGoalsAsksAboutGoalsOfOneCase) {
  const std::string c = "cases/3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c";
  v1::DescribeGoalsRequest request;
  request.set_parent(c);
  request.add_goals(c + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  request.add_goals(c + "/goals/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  const auto question = ValidateDescribeGoals(request);
  EXPECT_EQ(question.case_id, "3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c");
  EXPECT_EQ(question.goal_ids, (std::vector<std::string>{"7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f",
                                                         "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}));

  request.add_goals("cases/00000000-0000-4000-8000-000000000000/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  EXPECT_EQ(RefusedFields([&] { ValidateDescribeGoals(request); }), std::vector<std::string>{"goals[2]"});

  request.clear_goals();
  for (int i = 0; i <= kDescribeGoalsMax; ++i) request.add_goals(c + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  EXPECT_EQ(RefusedFields([&] { ValidateDescribeGoals(request); }), std::vector<std::string>{"goals"});
}

}  // namespace
}  // namespace kp::careplan
