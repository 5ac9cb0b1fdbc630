// The rules of a case team that need no database: which kind of person may hold a role, how a
// mandate is stored, and who may see or change a team. Unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kp::team {

// Values equal the proto enums of kruispunt.team.v1; stored as smallint.
enum class Role {
  kClient = 1, kLegalRepresentative = 2, kInformalCarer = 3, kTrustedPerson = 4, kPeerExpert = 5,
  kCareCoordinator = 6, kCaseManager = 7, kProfessional = 8
};
enum class Permission {
  kReadCase = 1, kReadCarePlan = 2, kEditCarePlan = 3, kProposeAgreements = 4,
  kAnswerAgreements = 5, kRecordEvaluations = 6, kManageTeam = 7
};
enum class PersonKind { kProfessional = 1, kInformal = 2 };

// The case state in which the team must have a care coordinator (kruispunt.cases.v1 ACTIVE).
inline constexpr int kCaseStateActive = 2;

// A mandate is stored as a bit set: bit n holds Permission n.
inline constexpr int32_t Bit(Permission p) { return int32_t{1} << static_cast<int>(p); }

// What the client's own participation allows: reading its case and plan, answering agreements
// for itself, and evaluating its goals.
inline constexpr int32_t kClientMandate = Bit(Permission::kReadCase) | Bit(Permission::kReadCarePlan) |
                                          Bit(Permission::kAnswerAgreements) |
                                          Bit(Permission::kRecordEvaluations);

// The kind of person a role needs, or nullopt when any person may hold it.
std::optional<PersonKind> RequiredPersonKind(Role role);
std::string_view Name(Role role);

// What the caller is to one case's team, as read from the database.
struct TeamStanding {
  bool owner_org = false;          // the caller's organisation owns the case
  bool org_may_read = false;       // an active participation of the caller's organisation may read
  bool coordinator = false;        // the caller is the active care coordinator
  bool manage_mandate = false;     // the caller holds an active participation with MANAGE_TEAM
  bool team_has_coordinator = false;
};

// The team is case data: visible to whoever may read the case.
inline bool MaySeeTeam(const TeamStanding& s) { return s.owner_org || s.org_may_read; }

// The care coordinator and participants with MANAGE_TEAM change the team; while it has no care
// coordinator, the owning organisation appoints one.
inline bool MayChangeTeam(const TeamStanding& s) {
  return s.coordinator || s.manage_mandate || (s.owner_org && !s.team_has_coordinator);
}

}  // namespace kp::team
