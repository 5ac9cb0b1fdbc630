#include "agreements/grpc/agreement_validation.h"

#include <set>

#include "common/auth.h"

namespace kp::agreements {

namespace {

constexpr std::size_t kTextMax = 2000, kScheduleMax = 200, kReasonMax = 1000;
// Goals an agreement serves, and its performers and required parties: at most this many each
// (CarePlanService and TeamService are asked about them in one call).
constexpr int kGoalsMax = 50, kPartiesMax = 50;

// Parties named in a repeated field, each once.
std::vector<std::string> Parties(Violations& v, const std::string& field,
                                 const google::protobuf::RepeatedPtrField<v1::Party>& parties,
                                 const std::string& case_id) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (int i = 0; i < parties.size(); ++i) {
    auto key = PartyKey(v, field + "[" + std::to_string(i) + "]", parties[i], case_id);
    if (key.empty()) continue;
    if (!seen.insert(key).second) v.Add(field, "names a party twice");
    else keys.push_back(std::move(key));
  }
  return keys;
}

Content CheckContent(Violations& v, const v1::AgreementContent& c, const std::string& case_id) {
  Content out;
  v.Text("content.text", c.text(), 1, kTextMax, /*multiline=*/true);
  v.Text("content.schedule", c.schedule(), 0, kScheduleMax);
  std::set<std::string> goals;
  v.AtMost("content.goals", c.goals_size(), kGoalsMax, "goals");
  for (const auto& goal : c.goals()) {
    auto parsed = ParseChildName(goal, "goals");
    if (!parsed || parsed->first != case_id) v.Add("content.goals", "must name goals of this case: 'cases/{uuid}/goals/{uuid}'");
    else if (!goals.insert(parsed->second).second) v.Add("content.goals", "names a goal twice");
    else out.goal_ids.push_back(parsed->second);
  }
  v.AtMost("content.performers", c.performers_size(), kPartiesMax, "performers");
  v.AtMost("content.required_parties", c.required_parties_size(), kPartiesMax, "parties");
  out.performers = Parties(v, "content.performers", c.performers(), case_id);
  out.parties = Parties(v, "content.required_parties", c.required_parties(), case_id);
  if (c.required_parties_size() == 0) v.Add("content.required_parties", "must name at least one party whose agreement is required");
  out.start_date = IsoDate(v, "content.start_date", c.has_start_date(), c.start_date(), false);
  out.end_date = IsoDate(v, "content.end_date", c.has_end_date(), c.end_date(), false);
  if (out.start_date && out.end_date && *out.end_date < *out.start_date)
    v.Add("content.end_date", "is before the start date");
  out.consultation_date = IsoDate(v, "content.consultation_date", c.has_consultation_date(), c.consultation_date(), false);
  out.text = c.text();
  out.schedule = c.schedule();
  return out;
}

PartyAct CheckPartyAct(Violations& v, const std::string& name, int version, const v1::Party& party) {
  PartyAct out;
  std::tie(out.case_id, out.agreement_id) = RequireChildName(name, "agreements", "name");
  if (version < 1) v.Add("version", "must be the version answered (the agreement's current version)");
  out.version = version;
  out.party = PartyKey(v, "party", party, out.case_id);
  return out;
}

}  // namespace

std::string PartyKey(Violations& v, const std::string& field, const v1::Party& party, const std::string& case_id) {
  if (party.has_organization()) {
    const auto& name = party.organization();
    if (ParseOrganizationName(name)) return name;
    v.Add(field + ".organization", "must be 'organizations/{id}'");
    return "";
  }
  if (party.has_participant()) {
    auto parsed = ParseChildName(party.participant(), "participants");
    if (parsed && parsed->first == case_id) return "participants/" + parsed->second;
    v.Add(field + ".participant", "must be a participant of this case: 'cases/{uuid}/participants/{uuid}'");
    return "";
  }
  v.Add(field, "must name an organisation or a participant");
  return "";
}

Proposal ValidatePropose(const v1::ProposeAgreementRequest& request) {
  Proposal out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  Violations v;
  out.content = CheckContent(v, request.content(), out.case_id);
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  return out;
}

Amendment ValidateAmend(const v1::AmendAgreementRequest& request) {
  Amendment out;
  std::tie(out.case_id, out.agreement_id) = RequireChildName(request.name(), "agreements", "name");
  Violations v;
  out.content = CheckContent(v, request.content(), out.case_id);
  out.etag = ParseEtag(request.etag());
  v.ThrowIfAny();
  return out;
}

PartyAct ValidateRespond(const v1::RespondToAgreementRequest& request) {
  Violations v;
  auto out = CheckPartyAct(v, request.name(), request.version(), request.party());
  if (request.answer() != v1::ANSWER_ACCEPT && request.answer() != v1::ANSWER_DECLINE)
    v.Add("answer", "must be ACCEPT or DECLINE");
  v.Text("comment", request.comment(), 0, kTextMax, /*multiline=*/true);
  v.ThrowIfAny();
  out.answer = request.answer();
  out.text = request.comment();
  return out;
}

PartyAct ValidateWithdraw(const v1::WithdrawAcceptanceRequest& request) {
  Violations v;
  auto out = CheckPartyAct(v, request.name(), request.version(), request.party());
  v.Text("reason", request.reason(), 1, kReasonMax, /*multiline=*/true);
  v.ThrowIfAny();
  out.text = request.reason();
  return out;
}

Ending ValidateEnd(const v1::EndAgreementRequest& request) {
  Ending out;
  std::tie(out.case_id, out.agreement_id) = RequireChildName(request.name(), "agreements", "name");
  Violations v;
  v.Text("reason", request.reason(), 1, kReasonMax, /*multiline=*/true);
  out.etag = ParseEtag(request.etag());
  v.ThrowIfAny();
  out.reason = request.reason();
  return out;
}

std::optional<ChainHead> ValidateKeptHead(const v1::VerifyAgreementLogRequest& request) {
  if (request.kept_sequence() == 0 && request.kept_hash().empty()) return std::nullopt;
  Violations v;
  if (request.kept_sequence() <= 0) v.Add("kept_sequence", "is the sequence of an entry (1, 2, ...), given with kept_hash");
  const auto& hash = request.kept_hash();
  if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
    v.Add("kept_hash", "is an entry's hash: 64 lower-case hex digits, given with kept_sequence");
  v.ThrowIfAny();
  return ChainHead{request.kept_sequence(), hash};
}

}  // namespace kp::agreements
