// Turns CarePlanService requests into validated inputs, collecting every field violation (throws
// kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "careplan/domain/careplan_rules.h"
#include "careplan/repo/careplan_repository.h"
#include "kruispunt/careplan/v1/careplan_internal.pb.h"
#include "common/validation.h"

namespace kp::careplan {

inline constexpr int kMaxPriority = 100;

// "cases/{uuid}/carePlan" -> the case id, or INVALID_ARGUMENT on `field`.
std::string RequirePlanName(const std::string& name, std::string_view field);

struct PlanUpdate {
  std::string case_id;
  std::optional<int> etag;  // when given, it must match
  bool set_next_review = false;
  std::optional<std::string> next_review;
  std::vector<std::string> fields;
};
PlanUpdate ValidateUpdateCarePlan(const v1::UpdateCarePlanRequest& request);

struct StateChange {
  std::string case_id, child_id;  // child_id: the goal's, for a goal
  std::optional<int> etag;        // when given, it must match
  std::string reason;
  v1::GoalState outcome = v1::GOAL_STATE_UNSPECIFIED;
};
StateChange ValidatePlanStateChange(const v1::ChangeCarePlanStateRequest& request, PlanChange change);
StateChange ValidateGoalStateChange(const v1::ChangeGoalStateRequest& request, GoalChange change);

// held_by_role is left for the team's facts to fill.
NewGoal ValidateCreateGoal(const v1::CreateGoalRequest& request);

struct GoalUpdate {
  std::string case_id, goal_id;
  std::optional<int> etag;  // when given, it must match
  GoalEdit edit;
  std::vector<std::string> fields;
};
GoalUpdate ValidateUpdateGoal(const v1::UpdateGoalRequest& request);

struct DisagreementInput {
  std::string case_id, goal_id, participant_id, note;
};
DisagreementInput ValidateRecordDisagreement(const v1::RecordDisagreementRequest& request);
DisagreementInput ValidateWithdrawDisagreement(const v1::WithdrawDisagreementRequest& request);

NewAction ValidateCreateAction(const v1::CreateActionRequest& request);

struct ActionUpdate {
  std::string case_id, action_id;
  std::optional<int> etag;  // when given, it must match
  ActionEdit edit;
  std::vector<std::string> fields;
};
ActionUpdate ValidateUpdateAction(const v1::UpdateActionRequest& request);

// `today` (in Belgium) as ISO text: an evaluation is not dated in the future.
NewEvaluation ValidateRecordEvaluation(const v1::RecordEvaluationRequest& request, const std::string& today);

// DescribeGoals (Kruispunt's services): the case and the ids of the goals asked about, in order.
struct GoalsQuestion {
  std::string case_id;
  std::vector<std::string> goal_ids;
};
constexpr int kDescribeGoalsMax = 100;
GoalsQuestion ValidateDescribeGoals(const v1::DescribeGoalsRequest& request);

}  // namespace kp::careplan
