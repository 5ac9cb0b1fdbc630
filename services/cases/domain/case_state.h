// The lifecycle of a case: which custom method moves a case from which state, and whether it
// needs a reason.
#pragma once

#include <optional>
#include <string_view>

namespace kp::cases {

// Values equal the proto enum kruispunt.cases.v1.CaseState; stored as smallint.
enum class CaseState { kRegistered = 1, kActive = 2, kSuspended = 3, kClosed = 4 };

enum class Transition { kActivate, kSuspend, kClose, kReopen };

struct TransitionRule {
  CaseState to;
  bool reason_required;
};

TransitionRule RuleFor(Transition transition);
// The target state when the transition is allowed from `from`, else nullopt.
std::optional<CaseState> Apply(CaseState from, Transition transition);
std::string_view Name(Transition transition);
std::string_view Name(CaseState state);

}  // namespace kp::cases
