#include "consent/grpc/access_decider.h"

#include <set>

#include "audit/client/audit_client.h"
#ifdef KP_BENCH_BUILD
#include "common/bench_shortcut.h"
#endif
#include "common/validation.h"
#include "consent/repo/consent_repository.h"
#include "team/client/team_client.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

namespace {

TeamFacts FromTeam(const team::v1::TeamFacts& t, const std::string& case_id) {
  TeamFacts f;
  f.case_known = t.case_known();
  f.owner_org = t.owner_organization();
  for (int p : t.organization_permissions()) f.org_permissions |= PermissionBit(p);
  const std::string prefix = "cases/" + case_id + "/participants/";
  for (const auto& name : t.person_participations())
    if (name.rfind(prefix, 0) == 0) f.person_participations.push_back(name.substr(prefix.size()));
  return f;
}

void AddLogEntry(const Ask& a, const v1::AccessDecision& d, kruispunt::audit::v1::RecordDecisionsRequest& log) {
  auto& e = *log.add_entries();
  e.set_case_("cases/" + a.case_id);
  e.set_organization(OrganizationName(a.org));
  e.set_person(a.person);
  e.set_category(static_cast<v1::DataCategory>(a.category));
  e.set_action(static_cast<v1::Action>(a.action));
  e.set_purpose(static_cast<v1::Purpose>(a.purpose));
  e.set_decision(d.decision());
  e.set_ground(d.ground());
  e.set_deny_reason(d.deny_reason());
  for (const auto& c : d.consents()) e.add_consents(c);
  e.set_rpc(a.rpc);
  e.set_request_id(a.request_id);
}

}  // namespace

std::vector<v1::AccessDecision> DecideAccess(PeerClients& peers, const PeerContext& context,
                                             const std::vector<Ask>& asks) {
  if (asks.empty()) return {};
  std::vector<team::v1::TeamQuery> queries;
  std::set<std::string> case_ids;
  for (const auto& a : asks) {
    team::v1::TeamQuery q;
    q.set_case_("cases/" + a.case_id);
    q.set_organization(a.org);
    q.set_person(a.person);
    queries.push_back(std::move(q));
    case_ids.insert(a.case_id);
  }
  const auto team = team::DescribeTeams(*peers.team, context, std::move(queries));
  const auto consents = ConsentsInForce(context.db, {case_ids.begin(), case_ids.end()});

  std::vector<v1::AccessDecision> decisions;
  kruispunt::audit::v1::RecordDecisionsRequest log;
  static const std::vector<ConsentInForce> kNone;
  for (std::size_t i = 0; i < asks.size(); ++i) {
    const auto& a = asks[i];
    const auto in_force = consents.find(a.case_id);
    const auto verdict = Decide({a.org, a.category, a.action, a.purpose, a.permission}, FromTeam(team[i], a.case_id),
                                in_force == consents.end() ? kNone : in_force->second);
    v1::AccessDecision d;
    d.set_decision(verdict.permit ? v1::DECISION_PERMIT : v1::DECISION_DENY);
    d.set_ground(static_cast<v1::Ground>(verdict.ground));
    d.set_permission(verdict.permission);
    for (const auto& id : verdict.consents) d.add_consents("cases/" + a.case_id + "/consents/" + id);
    d.set_deny_reason(static_cast<v1::DenyReason>(verdict.deny));
    AddLogEntry(a, d, log);
    decisions.push_back(std::move(d));
  }
#ifdef KP_BENCH_BUILD
  if (BenchSkipping() == BenchSkip::kLog) return decisions;
#endif
  // No access without a record of it: a failed write throws, and nobody gets an answer.
  const auto logged = peers.audit->RecordDecisions(context, log);
  RequireOneAnswerEach(logged.names_size(), decisions.size(), "the audit service");
  for (std::size_t i = 0; i < decisions.size(); ++i) decisions[i].set_log_entry(logged.names(static_cast<int>(i)));
  return decisions;
}

}  // namespace kp::consent
