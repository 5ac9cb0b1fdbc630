#include "careplan/domain/careplan_rules.h"

namespace kp::careplan {

std::string_view Name(PlanChange change) {
  switch (change) {
    case PlanChange::kActivate: return "activate";
    case PlanChange::kHold: return "hold";
    case PlanChange::kComplete: return "complete";
    case PlanChange::kRevoke: return "revoke";
  }
  return "?";
}

std::string_view Name(GoalChange change) {
  switch (change) {
    case GoalChange::kAccept: return "accept";
    case GoalChange::kStart: return "start";
    case GoalChange::kHold: return "hold";
    case GoalChange::kConclude: return "conclude";
    case GoalChange::kCancel: return "cancel";
  }
  return "?";
}

std::string_view Name(v1::CarePlanState state) {
  switch (state) {
    case v1::CARE_PLAN_STATE_DRAFT: return "DRAFT";
    case v1::CARE_PLAN_STATE_ACTIVE: return "ACTIVE";
    case v1::CARE_PLAN_STATE_ON_HOLD: return "ON_HOLD";
    case v1::CARE_PLAN_STATE_COMPLETED: return "COMPLETED";
    case v1::CARE_PLAN_STATE_REVOKED: return "REVOKED";
    default: return "UNSPECIFIED";
  }
}

std::string_view Name(v1::GoalState state) {
  switch (state) {
    case v1::GOAL_STATE_PROPOSED: return "PROPOSED";
    case v1::GOAL_STATE_ACCEPTED: return "ACCEPTED";
    case v1::GOAL_STATE_ACTIVE: return "ACTIVE";
    case v1::GOAL_STATE_ON_HOLD: return "ON_HOLD";
    case v1::GOAL_STATE_ACHIEVED: return "ACHIEVED";
    case v1::GOAL_STATE_PARTLY_ACHIEVED: return "PARTLY_ACHIEVED";
    case v1::GOAL_STATE_NOT_ACHIEVED: return "NOT_ACHIEVED";
    case v1::GOAL_STATE_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
  }
}

std::optional<v1::CarePlanState> PlanAfter(v1::CarePlanState from, PlanChange change) {
  using S = v1::CarePlanState;
  switch (change) {
    case PlanChange::kActivate:
      if (from == S::CARE_PLAN_STATE_DRAFT || from == S::CARE_PLAN_STATE_ON_HOLD) return S::CARE_PLAN_STATE_ACTIVE;
      break;
    case PlanChange::kHold:
      if (from == S::CARE_PLAN_STATE_ACTIVE) return S::CARE_PLAN_STATE_ON_HOLD;
      break;
    case PlanChange::kComplete:
      if (from == S::CARE_PLAN_STATE_ACTIVE || from == S::CARE_PLAN_STATE_ON_HOLD) return S::CARE_PLAN_STATE_COMPLETED;
      break;
    case PlanChange::kRevoke:
      if (!PlanIsClosed(from)) return S::CARE_PLAN_STATE_REVOKED;
      break;
  }
  return std::nullopt;
}

bool PlanIsClosed(v1::CarePlanState state) {
  return state == v1::CARE_PLAN_STATE_COMPLETED || state == v1::CARE_PLAN_STATE_REVOKED;
}

bool NeedsReason(PlanChange change) { return change != PlanChange::kActivate; }

bool IsOutcome(v1::GoalState state) {
  return state == v1::GOAL_STATE_ACHIEVED || state == v1::GOAL_STATE_PARTLY_ACHIEVED ||
         state == v1::GOAL_STATE_NOT_ACHIEVED;
}

bool GoalIsFinal(v1::GoalState state) { return IsOutcome(state) || state == v1::GOAL_STATE_CANCELLED; }

std::optional<v1::GoalState> GoalAfter(v1::GoalState from, GoalChange change, v1::GoalState outcome) {
  using S = v1::GoalState;
  switch (change) {
    case GoalChange::kAccept:
      if (from == S::GOAL_STATE_PROPOSED) return S::GOAL_STATE_ACCEPTED;
      break;
    case GoalChange::kStart:
      if (from == S::GOAL_STATE_ACCEPTED || from == S::GOAL_STATE_ON_HOLD) return S::GOAL_STATE_ACTIVE;
      break;
    case GoalChange::kHold:
      if (from == S::GOAL_STATE_ACCEPTED || from == S::GOAL_STATE_ACTIVE) return S::GOAL_STATE_ON_HOLD;
      break;
    case GoalChange::kConclude:
      if ((from == S::GOAL_STATE_ACTIVE || from == S::GOAL_STATE_ON_HOLD) && IsOutcome(outcome)) return outcome;
      break;
    case GoalChange::kCancel:
      if (from != S::GOAL_STATE_UNSPECIFIED && !GoalIsFinal(from)) return S::GOAL_STATE_CANCELLED;
      break;
  }
  return std::nullopt;
}

bool NeedsReason(GoalChange change) { return change == GoalChange::kHold || change == GoalChange::kCancel; }

bool ActionStatusMayChange(v1::ActionStatus from, v1::ActionStatus to) {
  using S = v1::ActionStatus;
  if (from == to) return from == S::ACTION_STATUS_PLANNED || from == S::ACTION_STATUS_IN_PROGRESS;
  switch (from) {
    case S::ACTION_STATUS_PLANNED:
      return to == S::ACTION_STATUS_IN_PROGRESS || to == S::ACTION_STATUS_DONE || to == S::ACTION_STATUS_CANCELLED;
    case S::ACTION_STATUS_IN_PROGRESS:
      return to == S::ACTION_STATUS_DONE || to == S::ACTION_STATUS_CANCELLED;
    default:
      return false;
  }
}

}  // namespace kp::careplan
