// The lifecycles of a care plan, its goals and their actions, as pure functions. Unit-tested
// directly; CarePlanService applies them inside the transaction that holds the plan's lock.
#pragma once

#include <optional>
#include <string_view>

#include "kruispunt/careplan/v1/careplan.pb.h"

namespace kp::careplan {

namespace v1 = kruispunt::careplan::v1;

enum class PlanChange { kActivate, kHold, kComplete, kRevoke };
enum class GoalChange { kAccept, kStart, kHold, kConclude, kCancel };

std::string_view Name(PlanChange change);
std::string_view Name(GoalChange change);
std::string_view Name(v1::CarePlanState state);
std::string_view Name(v1::GoalState state);

// The state after the change, or nullopt when it is not allowed from `from`.
//   DRAFT -> ACTIVE <-> ON_HOLD -> COMPLETED; REVOKED from DRAFT, ACTIVE or ON_HOLD.
std::optional<v1::CarePlanState> PlanAfter(v1::CarePlanState from, PlanChange change);
// A completed or revoked plan takes no more changes, to itself or anything in it.
bool PlanIsClosed(v1::CarePlanState state);
// Holding, completing and revoking a plan need a reason.
bool NeedsReason(PlanChange change);

// `outcome` matters only for kConclude (ACHIEVED, PARTLY_ACHIEVED or NOT_ACHIEVED).
//   PROPOSED -accept-> ACCEPTED -start-> ACTIVE; ACCEPTED/ACTIVE -hold-> ON_HOLD -start-> ACTIVE;
//   ACTIVE/ON_HOLD -conclude-> outcome; any state not final -cancel-> CANCELLED.
std::optional<v1::GoalState> GoalAfter(v1::GoalState from, GoalChange change, v1::GoalState outcome);
bool GoalIsFinal(v1::GoalState state);
bool IsOutcome(v1::GoalState state);
// Holding and cancelling a goal need a reason.
bool NeedsReason(GoalChange change);

// PLANNED -> IN_PROGRESS -> DONE; CANCELLED from PLANNED or IN_PROGRESS; DONE and CANCELLED are
// final. Staying in the same status is allowed (an edit of other fields).
bool ActionStatusMayChange(v1::ActionStatus from, v1::ActionStatus to);

}  // namespace kp::careplan
