#include "team/grpc/team_validation.h"

#include <set>

#include "common/pg_values.h"
#include "team/client/team_client.h"
#include "team/domain/kbo.h"

namespace kp::team {

namespace {

constexpr std::size_t kNameMax = 200;
constexpr std::size_t kProfessionMax = 100;
constexpr std::size_t kReasonMax = 1000;

void CheckKind(Violations& v, std::string_view field, int kind) {
  if (kind == 0 || !v1::OrganizationKind_IsValid(kind)) v.Add(std::string(field), "must be an organisation kind");
}

}  // namespace

NewOrganization ValidateCreateOrganization(const v1::CreateOrganizationRequest& request) {
  Violations v;
  const auto& o = request.organization();
  NewOrganization out;
  if (!IsValidPrincipalId(request.organization_id()))
    v.Add("organization_id", "must be 1..64 of [A-Za-z0-9._:-] (the 'org' claim of its tokens)");
  v.Text("organization.display_name", o.display_name(), 1, kNameMax);
  CheckKind(v, "organization.kind", o.kind());
  std::string why;
  if (o.kbo_number().empty()) v.Add("organization.kbo_number", "is required");
  else if (auto kbo = ParseKbo(o.kbo_number(), &why)) out.kbo_number = *kbo;
  else v.Add("organization.kbo_number", why);
  CheckContact(v, "organization.contact", o.contact());
  v.ThrowIfAny();
  out.org_id = request.organization_id();
  out.display_name = o.display_name();
  out.kind = o.kind();
  out.contact = ContactOf(o.contact());
  return out;
}

OrganizationUpdate ValidateUpdateOrganization(const v1::UpdateOrganizationRequest& request) {
  const auto& o = request.organization();
  OrganizationUpdate out;
  out.org_id = RequireOrganizationName(o.name(), "organization.name");
  Violations v;
  std::set<std::string> allowed = {"display_name", "kind", "active"};
  allowed.insert(ContactPaths().begin(), ContactPaths().end());
  const auto paths = MaskPaths(v, ExpandContactPaths(request.update_mask()), allowed);
  auto& ch = out.changes;
  if (paths.count("display_name")) {
    v.Text("organization.display_name", o.display_name(), 1, kNameMax);
    ch.display_name = o.display_name();
  }
  if (paths.count("kind")) {
    CheckKind(v, "organization.kind", o.kind());
    ch.kind = o.kind();
  }
  if (paths.count("active")) ch.active = o.active();
  ch.contact = ContactUpdate(v, "organization.contact", paths, o.contact());
  out.expected_version = ParseEtag(o.etag());
  v.ThrowIfAny();
  return out;
}

NewPerson ValidateCreatePerson(const v1::CreatePersonRequest& request, const Identity& caller) {
  Violations v;
  const auto& p = request.person();
  NewPerson out;
  out.registering_org = caller.organization;
  out.created_by = caller.person;
  switch (p.kind()) {
    case v1::PERSON_KIND_PROFESSIONAL:
      out.kind = PersonKind::kProfessional;
      out.organization = caller.organization;
      if (!IsValidPrincipalId(request.person_id()))
        v.Add("person_id", "a professional's id is their token subject: 1..64 of [A-Za-z0-9._:-]");
      v.Text("person.profession", p.profession(), 1, kProfessionMax);
      if (!p.organization().empty() && p.organization() != OrganizationName(caller.organization))
        v.Add("person.organization", "a professional is registered by their own organisation");
      break;
    case v1::PERSON_KIND_INFORMAL:
      out.kind = PersonKind::kInformal;
      if (!request.person_id().empty()) v.Add("person_id", "is generated for a person without an organisation");
      if (!p.organization().empty()) v.Add("person.organization", "must be empty for a person without an organisation");
      if (!p.profession().empty()) v.Add("person.profession", "is only for professionals");
      break;
    default: v.Add("person.kind", "must be PROFESSIONAL or INFORMAL");
  }
  v.Text("person.given_name", p.given_name(), 1, kNameMax);
  v.Text("person.family_name", p.family_name(), 1, kNameMax);
  CheckContact(v, "person.contact", p.contact());
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.person_id = out.kind == PersonKind::kProfessional ? ProfessionalKey(caller.organization, request.person_id()) : "";
  out.profession = p.profession();
  out.given_name = p.given_name();
  out.family_name = p.family_name();
  out.contact = ContactOf(p.contact());
  return out;
}

ParticipantAddition ValidateAddParticipant(const v1::AddParticipantRequest& request,
                                           const Identity& caller,
                                           std::chrono::system_clock::time_point now) {
  ParticipantAddition out;
  auto& n = out.participation;
  n.case_id = RequireName(request.parent(), "cases", "parent");
  n.added_by_org = caller.organization;
  n.added_by_person = caller.person;
  Violations v;
  const auto& p = request.participant();

  const int role = p.role();
  const bool coordinator = role == v1::PARTICIPANT_ROLE_CARE_COORDINATOR;
  if (role == v1::PARTICIPANT_ROLE_CLIENT)
    v.Add("participant.role", "the client joins the team when the case is opened, not by hand");
  else if (role == 0 || !v1::ParticipantRole_IsValid(role))
    v.Add("participant.role", "must be a participant role");
  n.role = static_cast<Role>(role);

  if (p.person().empty()) v.Add("participant.person", "is required: a person's name");
  else if (auto key = PersonKey(p.person())) n.person_id = *key;
  else v.Add("participant.person", "must be 'organizations/{org}/people/{id}' or 'people/{id}'");
  if (!p.client().empty()) v.Add("participant.client", "is output only");

  std::set<int> seen;
  n.permissions = 0;
  if (p.mandate_size() == 0) v.Add("participant.mandate", "must name at least one permission");
  for (int permission : p.mandate()) {
    if (permission == 0 || !v1::Permission_IsValid(permission)) v.Add("participant.mandate", "contains an unknown permission");
    else if (!seen.insert(permission).second) v.Add("participant.mandate", "contains a permission twice");
    else n.permissions |= Bit(static_cast<Permission>(permission));
  }
  n.life_domains = LifeDomains(v, "participant.life_domains", p.life_domains());

  const int64_t now_micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  constexpr int64_t kClockSkew = 60 * 1000000LL;  // a client's clock may run a little ahead
  if (p.has_valid_from()) n.valid_from_micros = TimeMicros(v, "participant.valid_from", p.valid_from());
  if (p.has_valid_until()) n.valid_until_micros = TimeMicros(v, "participant.valid_until", p.valid_until());
  const int64_t from = n.valid_from_micros.value_or(now_micros);
  if (n.valid_until_micros && *n.valid_until_micros <= from)
    v.Add("participant.valid_until", "must be after valid_from");
  else if (n.valid_until_micros && *n.valid_until_micros <= now_micros)
    v.Add("participant.valid_until", "is in the past");
  if (coordinator && n.valid_until_micros)
    v.Add("participant.valid_until", "a care coordinator serves until handed over; leave it empty");
  if (coordinator && from > now_micros + kClockSkew)
    v.Add("participant.valid_from", "a care coordinator begins now; leave it empty");

  if (!request.handover_from().empty()) {
    if (!coordinator) v.Add("handover_from", "is only for adding a care coordinator");
    auto handover = ParseChildName(request.handover_from(), "participants");
    if (!handover || handover->first != n.case_id)
      v.Add("handover_from", "must be a participant of this case: '{parent}/participants/{uuid}'");
    else out.handover_from = handover->second;
  }
  v.Text("reason", request.reason(), 0, kReasonMax, /*multiline=*/true);
  n.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  n.reason = request.reason();
  return out;
}

}  // namespace kp::team
