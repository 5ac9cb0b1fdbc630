// The access decision: the rules of who may read or write which data of a case, as a pure
// function of the facts (the team's, the consents in force). ConsentService gathers the facts for
// every question and calls Decide; nothing else in Kruispunt decides access. Unit-tested directly
// and against a reference model through the API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kp::consent {

// Values equal the proto enums of kruispunt.consent.v1.
enum class Category { kIdentityAndContact = 1, kCase, kCarePlan, kAgreements, kMedical, kPsychosocial,
                      kFinancial, kHousing };
enum class Action { kRead = 1, kWrite = 2, kReceive = 3 };
enum class Ground { kNone = 0, kOwner = 1, kParticipationAndConsent = 2, kConsentToReceiver = 3 };
enum class DenyReason { kNone = 0, kCaseUnknown = 1, kNotInTeam = 2, kMandate = 3, kNoConsent = 4 };

// Team permissions (kruispunt.team.v1.Permission) as bits: bit n holds permission n.
inline constexpr int32_t PermissionBit(int permission) { return int32_t{1} << permission; }
inline constexpr int kReadCase = 1, kReadCarePlan = 2, kEditCarePlan = 3, kProposeAgreements = 4,
                     kAnswerAgreements = 5, kRecordEvaluations = 6;

// Categories as bits of a consent's coverage: bit n holds category n.
inline constexpr int32_t CategoryBit(Category c) { return int32_t{1} << static_cast<int>(c); }

// The permissions of which any one lets a participant's organisation do `action` with `category`
// (0: none does; only the owner may).
int32_t PermissionsFor(Category category, Action action);

// Whether `permission` is one that PermissionsFor(category, action) holds (what a question may
// narrow its need to).
bool MayNarrowTo(Category category, Action action, int permission);

// A consent in force now (not withdrawn, within its period).
struct ConsentInForce {
  std::string consent_id;
  std::vector<std::string> recipient_orgs;
  std::vector<std::string> recipient_participants;  // participant ids
  int32_t categories;                               // bit set
  int purpose;
};

// What the team says of the case, the caller's organisation and the caller.
struct TeamFacts {
  bool case_known = false;
  std::string owner_org;
  int32_t org_permissions = 0;                      // bit set of the org's active participations
  std::vector<std::string> person_participations;   // the caller's own active participation ids
};

struct Question {
  std::string org;
  Category category;
  Action action;
  int purpose;
  int permission = 0;  // when set: only this one of PermissionsFor(category, action) allows it
};

struct Verdict {
  bool permit = false;
  Ground ground = Ground::kNone;
  int permission = 0;                // the permission of the mandate that allowed it
  std::vector<std::string> consents;  // the consents that cover it
  DenyReason deny = DenyReason::kNone;
};

// The owning organisation by its ownership; a partner organisation only by an active
// participation whose mandate allows this access and a consent in force that covers the
// organisation (or one of the caller's own participations), this kind of data and this purpose.
// RECEIVE is the disclosure to an organisation outside the team, the receiver of a referral
// (referrals/grpc/referral_service.cc): permitted to the owner (nothing leaves it), to anyone else only by a
// consent in force that names that organisation itself, for this kind of data and this purpose,
// whether or not it takes part in the team. Who discloses asks READ for the same data first.
Verdict Decide(const Question& question, const TeamFacts& team, const std::vector<ConsentInForce>& consents);

// What the asker of CheckAccess is told of a denial. An organisation that neither owns the case
// nor takes part in its team may not learn whether the case exists: NOT_IN_TEAM is told as
// CASE_UNKNOWN, as for a case that does not exist. The access log keeps the reason itself (its
// readers, the case's owner and the data-protection officer, know the case).
DenyReason ToldToAsker(DenyReason reason);

}  // namespace kp::consent
