// Turns ConsentService requests into validated inputs, collecting every field violation (throws
// kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "common/auth.h"
#include "common/validation.h"
#include "consent/repo/consent_repository.h"

namespace kp::consent {

NewConsent ValidateGrantConsent(const v1::GrantConsentRequest& request, const Identity& caller,
                                std::chrono::system_clock::time_point now);

// A question about the caller's own access.
struct OwnQuestion {
  std::string case_id;
  Category category;
  Action action;
  int purpose;
  int permission;
};
OwnQuestion ValidateCheckAccess(const v1::CheckAccessRequest& request);

// An optional permission a question narrows its need to: 0, or one that allows the category and
// action (checked only when both are valid).
void CheckNarrowedPermission(Violations& v, std::string_view field, int permission, int category, int action);

}  // namespace kp::consent
