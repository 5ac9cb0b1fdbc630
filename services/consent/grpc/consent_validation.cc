#include "consent/grpc/consent_validation.h"

#include <set>

#include "common/pg_values.h"

namespace kp::consent {

namespace {

constexpr std::size_t kNoteMax = 2000;
constexpr std::size_t kEvidenceMax = 200;
// Recipients of one consent, organisations and named participants: at most this many each.
constexpr int kRecipientsMax = 50;

void CheckCategory(Violations& v, std::string_view field, int category) {
  if (category == 0 || !v1::DataCategory_IsValid(category)) v.Add(std::string(field), "must be a data category");
}

void CheckPurpose(Violations& v, std::string_view field, int purpose) {
  if (purpose == 0 || !v1::Purpose_IsValid(purpose)) v.Add(std::string(field), "must be a purpose");
}

}  // namespace

NewConsent ValidateGrantConsent(const v1::GrantConsentRequest& request, const Identity& caller,
                                std::chrono::system_clock::time_point now) {
  NewConsent out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  out.verified_by = caller.person;
  out.recorded_by_org = caller.organization;
  Violations v;
  const auto& c = request.consent();

  auto grantor = ParseChildName(c.granted_by(), "participants");
  if (!grantor || grantor->first != out.case_id)
    v.Add("consent.granted_by", "must be a participant of this case: '{parent}/participants/{uuid}'");
  else out.granted_by = grantor->second;

  std::set<std::string> seen;
  if (c.recipient_organizations_size() == 0) v.Add("consent.recipient_organizations", "must name at least one");
  v.AtMost("consent.recipient_organizations", c.recipient_organizations_size(), kRecipientsMax, "organisations");
  v.AtMost("consent.recipient_participants", c.recipient_participants_size(), kRecipientsMax, "participants");
  for (const auto& org : c.recipient_organizations()) {
    const auto id = ParseOrganizationName(org);
    if (!id) v.Add("consent.recipient_organizations", "must be 'organizations/{id}'");
    else if (!seen.insert(*id).second) v.Add("consent.recipient_organizations", "names an organisation twice");
    else out.recipient_orgs.push_back(*id);
  }
  std::set<std::string> named;
  for (const auto& p : c.recipient_participants()) {
    auto parsed = ParseChildName(p, "participants");
    if (!parsed || parsed->first != out.case_id)
      v.Add("consent.recipient_participants", "must be participants of this case");
    else if (!named.insert(p).second) v.Add("consent.recipient_participants", "names a participant twice");
    else out.recipient_participants.push_back(parsed->second);
  }

  if (c.categories_size() == 0) v.Add("consent.categories", "must name at least one data category");
  for (int category : c.categories()) {
    CheckCategory(v, "consent.categories", category);
    if (category > 0 && v1::DataCategory_IsValid(category)) {
      if (out.categories & CategoryBit(static_cast<Category>(category)))
        v.Add("consent.categories", "names a data category twice");
      out.categories |= CategoryBit(static_cast<Category>(category));
    }
  }
  CheckPurpose(v, "consent.purpose", c.purpose());
  out.purpose = c.purpose();

  const int64_t now_micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  if (c.has_valid_from()) out.valid_from_micros = TimeMicros(v, "consent.valid_from", c.valid_from());
  if (c.has_valid_until()) out.valid_until_micros = TimeMicros(v, "consent.valid_until", c.valid_until());
  if (out.valid_until_micros) {
    if (out.valid_from_micros && *out.valid_until_micros <= *out.valid_from_micros)
      v.Add("consent.valid_until", "must be after valid_from");
    else if (*out.valid_until_micros <= now_micros)
      v.Add("consent.valid_until", "is in the past");
  }

  if (c.method() == 0 || !v1::ConsentMethod_IsValid(c.method()))
    v.Add("consent.method", "must say how the consent was given: written, verbal or digital");
  out.method = c.method();
  v.Text("consent.evidence_reference", c.evidence_reference(), 0, kEvidenceMax);
  v.Text("consent.verification_note", c.verification_note(), 1, kNoteMax, /*multiline=*/true);
  if (c.legal_basis() == 0 || !v1::LegalBasis_IsValid(c.legal_basis()))
    v.Add("consent.legal_basis", "must be a legal basis");
  out.legal_basis = c.legal_basis();
  if (!c.verified_by().empty()) v.Add("consent.verified_by", "is output only: it is the caller");
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.evidence_reference = c.evidence_reference();
  out.verification_note = c.verification_note();
  return out;
}

OwnQuestion ValidateCheckAccess(const v1::CheckAccessRequest& request) {
  OwnQuestion q;
  q.case_id = RequireName(request.case_(), "cases", "case");
  Violations v;
  CheckCategory(v, "category", request.category());
  if (request.action() != v1::ACTION_READ && request.action() != v1::ACTION_WRITE)
    v.Add("action", "must be READ or WRITE (RECEIVE is decided for a referral's receiver only)");
  CheckPurpose(v, "purpose", request.purpose());
  CheckNarrowedPermission(v, "permission", request.permission(), request.category(), request.action());
  v.ThrowIfAny();
  q.category = static_cast<Category>(request.category());
  q.action = static_cast<Action>(request.action());
  q.purpose = request.purpose();
  q.permission = request.permission();
  return q;
}

void CheckNarrowedPermission(Violations& v, std::string_view field, int permission, int category, int action) {
  if (permission == 0 || category == 0 || !v1::DataCategory_IsValid(category) || action == 0 ||
      !v1::Action_IsValid(action))
    return;
  if (!MayNarrowTo(static_cast<Category>(category), static_cast<Action>(action), permission))
    v.Add(std::string(field), "must be a permission that allows this category and action");
}

}  // namespace kp::consent
