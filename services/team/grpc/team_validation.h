// Turns TeamService requests into validated repository inputs, collecting every field violation
// (throws kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include <chrono>

#include "common/auth.h"
#include "common/validation.h"
#include "team/repo/team_repository.h"

namespace kp::team {

NewOrganization ValidateCreateOrganization(const v1::CreateOrganizationRequest& request);

struct OrganizationUpdate {
  std::string org_id;
  OrganizationChanges changes;
  std::optional<int> expected_version;
};
OrganizationUpdate ValidateUpdateOrganization(const v1::UpdateOrganizationRequest& request);

NewPerson ValidateCreatePerson(const v1::CreatePersonRequest& request, const Identity& caller);

struct ParticipantAddition {
  NewParticipation participation;
  std::optional<std::string> handover_from;  // participant id
};
ParticipantAddition ValidateAddParticipant(const v1::AddParticipantRequest& request,
                                           const Identity& caller,
                                           std::chrono::system_clock::time_point now);


}  // namespace kp::team
