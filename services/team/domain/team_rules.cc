#include "team/domain/team_rules.h"

namespace kp::team {

std::optional<PersonKind> RequiredPersonKind(Role role) {
  switch (role) {
    case Role::kCareCoordinator:
    case Role::kCaseManager:
    case Role::kProfessional: return PersonKind::kProfessional;
    case Role::kLegalRepresentative:
    case Role::kInformalCarer:
    case Role::kTrustedPerson: return PersonKind::kInformal;
    case Role::kClient:
    case Role::kPeerExpert: return std::nullopt;
  }
  return std::nullopt;
}

std::string_view Name(Role role) {
  switch (role) {
    case Role::kClient: return "client";
    case Role::kLegalRepresentative: return "legal representative";
    case Role::kInformalCarer: return "informal carer";
    case Role::kTrustedPerson: return "trusted person";
    case Role::kPeerExpert: return "peer expert";
    case Role::kCareCoordinator: return "care coordinator";
    case Role::kCaseManager: return "case manager";
    case Role::kProfessional: return "professional";
  }
  return "unknown";
}

}  // namespace kp::team
