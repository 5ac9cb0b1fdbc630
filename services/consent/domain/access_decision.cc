#include "consent/domain/access_decision.h"

#include <algorithm>

namespace kp::consent {

int32_t PermissionsFor(Category category, Action action) {
  if (action == Action::kReceive) return 0;  // no mandate: a receiver is outside the team
  switch (category) {
    case Category::kCarePlan:
      return action == Action::kRead
                 ? PermissionBit(kReadCarePlan) | PermissionBit(kEditCarePlan)
                 : PermissionBit(kEditCarePlan) | PermissionBit(kRecordEvaluations);
    case Category::kAgreements:
      return action == Action::kRead
                 ? PermissionBit(kReadCarePlan) | PermissionBit(kProposeAgreements) | PermissionBit(kAnswerAgreements)
                 : PermissionBit(kProposeAgreements) | PermissionBit(kAnswerAgreements);
    case Category::kIdentityAndContact:
    case Category::kCase:
    case Category::kMedical:
    case Category::kPsychosocial:
    case Category::kFinancial:
    case Category::kHousing:
      // The case's own data is read by mandate; only its owner changes it.
      return action == Action::kRead ? PermissionBit(kReadCase) : 0;
  }
  return 0;
}

bool MayNarrowTo(Category category, Action action, int permission) {
  return permission >= 1 && permission <= 7 && (PermissionsFor(category, action) & PermissionBit(permission)) != 0;
}

namespace {
bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool Covers(const ConsentInForce& c, const Question& q, const TeamFacts& team) {
  if (c.purpose != q.purpose || (c.categories & CategoryBit(q.category)) == 0) return false;
  if (Contains(c.recipient_orgs, q.org)) return true;
  return std::any_of(team.person_participations.begin(), team.person_participations.end(),
                     [&](const std::string& p) { return Contains(c.recipient_participants, p); });
}
}  // namespace

Verdict Decide(const Question& q, const TeamFacts& team, const std::vector<ConsentInForce>& consents) {
  Verdict v;
  if (!team.case_known) {
    v.deny = DenyReason::kCaseUnknown;
    return v;
  }
  if (q.org == team.owner_org) {
    v.permit = true;
    v.ground = Ground::kOwner;
    return v;
  }
  if (q.action == Action::kReceive) {
    for (const auto& c : consents)
      if (c.purpose == q.purpose && (c.categories & CategoryBit(q.category)) != 0 && Contains(c.recipient_orgs, q.org))
        v.consents.push_back(c.consent_id);
    v.permit = !v.consents.empty();
    v.ground = v.permit ? Ground::kConsentToReceiver : Ground::kNone;
    v.deny = v.permit ? DenyReason::kNone : DenyReason::kNoConsent;
    return v;
  }
  if (team.org_permissions == 0) {
    v.deny = DenyReason::kNotInTeam;
    return v;
  }
  int32_t needed = PermissionsFor(q.category, q.action);
  if (q.permission != 0) needed &= PermissionBit(q.permission);
  const int32_t granted = team.org_permissions & needed;
  if (granted == 0) {
    v.deny = DenyReason::kMandate;
    return v;
  }
  for (const auto& c : consents)
    if (Covers(c, q, team)) v.consents.push_back(c.consent_id);
  if (v.consents.empty()) {
    v.deny = DenyReason::kNoConsent;
    return v;
  }
  v.permit = true;
  v.ground = Ground::kParticipationAndConsent;
  for (int p = 1; p <= 7; ++p)
    if (granted & PermissionBit(p)) {
      v.permission = p;
      break;
    }
  return v;
}

DenyReason ToldToAsker(DenyReason reason) {
  return reason == DenyReason::kNotInTeam ? DenyReason::kCaseUnknown : reason;
}

}  // namespace kp::consent
