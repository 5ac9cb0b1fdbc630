#include "referrals/grpc/referral_validation.h"

#include <algorithm>
#include <set>

#include "common/errors.h"
#include "common/validation.h"
#include "kruispunt/consent/v1/consent.pb.h"
#include "kruispunt/socialmap/v1/socialmap.pb.h"
#include "kruispunt/team/v1/team.pb.h"
#include "kruispunt/type/v1/life_domain.pb.h"
#include "team/client/team_client.h"

namespace kp::referrals {

namespace {
constexpr std::size_t kQuestionMax = 2000, kReasonMax = 1000;
constexpr int kMaxDemandPostalCodes = 500;

// What the zone's gap matrix counts a referral or an unmet need by.
void CheckWhereAndAge(Violations& v, const std::string& prefix, const std::string& postal_code, int age_group) {
  if (!IsPostalCode(postal_code)) v.Add(prefix + "client_postal_code", "must be a Belgian postal code (four digits)");
  if (age_group == 0 || !kruispunt::socialmap::v1::AgeGroup_IsValid(age_group))
    v.Add(prefix + "client_age_group", "must be an age group");
}
}  // namespace

NewUnmetNeed ValidateRecordUnmetNeed(const v1::RecordUnmetNeedRequest& request) {
  NewUnmetNeed out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  const auto& n = request.unmet_need();
  Violations v;
  if (n.life_domain() == 0 || !kruispunt::type::v1::LifeDomain_IsValid(n.life_domain()))
    v.Add("unmet_need.life_domain", "must be a life domain");
  CheckWhereAndAge(v, "unmet_need.", n.client_postal_code(), n.client_age_group());
  v.ThrowIfAny();
  out.life_domain = n.life_domain();
  out.client_postal_code = n.client_postal_code();
  out.client_age_group = n.client_age_group();
  return out;
}

DemandQuery ValidateCountDemand(const v1::CountReferralDemandRequest& request) {
  Violations v;
  const auto& codes = request.postal_codes();
  if (codes.empty()) v.Add("postal_codes", "must name at least one postal code");
  v.AtMost("postal_codes", codes.size(), kMaxDemandPostalCodes, "postal codes");
  for (const auto& code : codes)
    if (!IsPostalCode(code)) v.Add("postal_codes", "must be Belgian postal codes (four digits)");
  // Both bounds: the matrix counts one quarter, never a count that runs on (socialmap.proto).
  if (!request.has_start_time()) v.Add("start_time", "is required");
  if (!request.has_end_time()) v.Add("end_time", "is required");
  const TimeWindow period = ParseTimeWindow(v, request);
  v.ThrowIfAny();
  return {{codes.begin(), codes.end()}, *period.start_micros, *period.end_micros};
}

NewReferral ValidateCreateReferral(const v1::CreateReferralRequest& request) {
  NewReferral out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  const auto& r = request.referral();
  Violations v;
  if (!r.service().empty()) {
    if (auto service = ParseServiceName(r.service())) {
      out.service_id = service->service_id;
      out.receiving_org = service->org_id;
    } else {
      v.Add("referral.service", "must be 'organizations/{organization_id}/services/{service_id}'");
    }
  }
  if (!r.receiving_organization().empty()) {
    const auto org = ParseOrganizationName(r.receiving_organization());
    if (!org) v.Add("referral.receiving_organization", "must be 'organizations/{id}'");
    else if (out.service_id && *org != out.receiving_org)
      v.Add("referral.receiving_organization", "is not the organisation of referral.service");
    else out.receiving_org = *org;
  } else if (r.service().empty()) {
    v.Add("referral.receiving_organization", "is required without referral.service: whom the client is referred to");
  }
  if (r.kind() == 0 || !v1::ReferralKind_IsValid(r.kind()))
    v.Add("referral.kind", "must be REFERRAL, GUIDED or ACCOMPANIED");
  out.kind = r.kind();
  v.Text("referral.question", r.question(), 1, kQuestionMax, /*multiline=*/true);
  out.question = r.question();
  if (r.life_domain() == 0 || !kruispunt::type::v1::LifeDomain_IsValid(r.life_domain()))
    v.Add("referral.life_domain", "must be a life domain");
  out.life_domain = r.life_domain();
  v.AtMost("referral.goals", r.goals_size(), kMaxGoals, "goals");
  for (int i = 0; i < r.goals_size() && i < kMaxGoals; ++i) {
    const auto goal = ParseChildName(r.goals(i), "goals");
    const std::string field = "referral.goals[" + std::to_string(i) + "]";
    if (!goal || goal->first != out.case_id) v.Add(field, "must be a goal of this case: 'cases/{case}/goals/{uuid}'");
    else if (std::find(out.goal_ids.begin(), out.goal_ids.end(), goal->second) != out.goal_ids.end())
      v.Add(field, "names a goal twice");
    else out.goal_ids.push_back(goal->second);
  }
  std::set<int> categories;
  for (int category : r.shared_categories()) {
    if (category == 0 || !kruispunt::consent::v1::DataCategory_IsValid(category))
      v.Add("referral.shared_categories", "contains an unknown data category");
    else if (!categories.insert(category).second) v.Add("referral.shared_categories", "contains a category twice");
  }
  // The question itself is data of the case: always shared.
  out.shared_categories.push_back(kruispunt::consent::v1::DATA_CATEGORY_CASE);
  for (int category : categories)
    if (category != kruispunt::consent::v1::DATA_CATEGORY_CASE) out.shared_categories.push_back(category);
  std::set<int> permissions;
  for (int permission : r.proposed_mandate()) {
    if (permission == 0 || !kruispunt::team::v1::Permission_IsValid(permission))
      v.Add("referral.proposed_mandate", "contains an unknown permission");
    else if (!permissions.insert(permission).second) v.Add("referral.proposed_mandate", "contains a permission twice");
    else out.proposed_mandate |= int32_t{1} << permission;
  }
  CheckWhereAndAge(v, "referral.", r.client_postal_code(), r.client_age_group());
  out.client_postal_code = r.client_postal_code();
  out.client_age_group = r.client_age_group();
  if (r.answer_within_working_days() < 0 || r.answer_within_working_days() > 14)
    v.Add("referral.answer_within_working_days", "is from 1 to 14 (0: the default of 2)");
  else if (r.answer_within_working_days() > 0) out.answer_days = r.answer_within_working_days();
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  return out;
}

ReferralKey RequireReferralName(const std::string& name, const char* field) {
  const auto [case_id, referral_id] = RequireChildName(name, "referrals", field);
  return {case_id, referral_id};
}

ChangeRequest ValidateChangeReferral(const v1::ChangeReferralRequest& request, Change change) {
  ChangeRequest out;
  Violations v;
  if (auto key = ParseChildName(request.name(), "referrals")) out.key = {key->first, key->second};
  else v.Add("name", "must be 'cases/{case}/referrals/{uuid}'");
  out.etag = ParseEtag(request.etag());
  const auto needs = NeedsOf(change);
  v.Text("reason", request.reason(), needs.reason ? 1 : 0, kReasonMax, /*multiline=*/true);
  out.reason = request.reason();
  const int outcome = request.outcome();
  if (!v1::ReferralOutcome_IsValid(outcome)) v.Add("outcome", "must be a referral outcome");
  else if (!OutcomeFits(change, static_cast<Outcome>(outcome)))
    v.Add("outcome", needs.outcome && outcome == 0 ? "is required: what was observed"
                                                   : "does not fit this change (see the method's description)");
  out.outcome = static_cast<Outcome>(outcome);
  if (!request.join_as().empty()) {
    const auto key = team::PersonKey(request.join_as());
    if (change != Change::kAccept) v.Add("join_as", "is only for AcceptReferral");
    else if (!key || request.join_as().rfind("organizations/", 0) != 0)
      v.Add("join_as", "must be a professional: 'organizations/{org}/people/{person_id}'");
    else out.join_as = *key;
  }
  v.ThrowIfAny();
  return out;
}

}  // namespace kp::referrals
