#include "cases/domain/case_state.h"

namespace kp::cases {

TransitionRule RuleFor(Transition transition) {
  switch (transition) {
    case Transition::kActivate: return {CaseState::kActive, false};
    case Transition::kSuspend: return {CaseState::kSuspended, true};
    case Transition::kClose: return {CaseState::kClosed, true};
    case Transition::kReopen: return {CaseState::kActive, true};
  }
  return {CaseState::kActive, true};
}

std::optional<CaseState> Apply(CaseState from, Transition transition) {
  bool allowed = false;
  switch (transition) {
    case Transition::kActivate:
      allowed = from == CaseState::kRegistered || from == CaseState::kSuspended;
      break;
    case Transition::kSuspend: allowed = from == CaseState::kActive; break;
    case Transition::kClose: allowed = from != CaseState::kClosed; break;
    case Transition::kReopen: allowed = from == CaseState::kClosed; break;
  }
  if (!allowed) return std::nullopt;
  return RuleFor(transition).to;
}

std::string_view Name(Transition transition) {
  switch (transition) {
    case Transition::kActivate: return "activate";
    case Transition::kSuspend: return "suspend";
    case Transition::kClose: return "close";
    case Transition::kReopen: return "reopen";
  }
  return "?";
}

std::string_view Name(CaseState state) {
  switch (state) {
    case CaseState::kRegistered: return "REGISTERED";
    case CaseState::kActive: return "ACTIVE";
    case CaseState::kSuspended: return "SUSPENDED";
    case CaseState::kClosed: return "CLOSED";
  }
  return "?";
}

}  // namespace kp::cases
