// Turns CaseService requests into validated repository inputs, collecting every field violation
// (throws kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include "cases/domain/case_state.h"
#include "cases/repo/case_repository.h"
#include "common/auth.h"
#include "common/validation.h"

namespace kp::cases {

NewClient ValidateCreateClient(const v1::CreateClientRequest& request, const Identity& caller);

struct ClientUpdate {
  std::string client_id;
  ClientChanges changes;
  std::optional<int> expected_version;
};
ClientUpdate ValidateUpdateClient(const v1::UpdateClientRequest& request);

NewCase ValidateCreateCase(const v1::CreateCaseRequest& request, const Identity& caller);

struct CaseUpdate {
  std::string case_id;
  CaseChanges changes;
  std::optional<int> expected_version;
};
CaseUpdate ValidateUpdateCase(const v1::UpdateCaseRequest& request);

struct CaseTransition {
  std::string case_id;
  std::string reason;
  std::optional<int> expected_version;
  std::string allowed_from;  // SQL array literal of the states the transition may start from
  int to_state;
};
CaseTransition ValidateTransition(const v1::TransitionCaseRequest& request, Transition transition);

// Normalised INSZ digits (for a filter), or INVALID_ARGUMENT on `field`.
std::string RequireInsz(const std::string& insz, std::string_view field);

}  // namespace kp::cases
