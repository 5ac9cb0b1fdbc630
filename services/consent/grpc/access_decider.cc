#include "consent/grpc/access_decider.h"

#include <mutex>
#include <set>
#include <unordered_map>

#include "common/errors.h"
#include "common/peer_call.h"
#include "consent/repo/consent_repository.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

namespace {

// The two fact-finding calls run at once; the last to finish decides.
struct Gathering {
  std::vector<AccessDecider::Ask> asks;
  AccessDecider::Done done;
  std::mutex mutex;
  int pending = 2;
  grpc::Status team_status, consent_status;
  std::vector<team::v1::TeamFacts> team;
  std::unordered_map<std::string, std::vector<ConsentInForce>> consents;

  // Returns true for the caller that completed the gathering.
  bool Arrived() {
    std::lock_guard lock(mutex);
    return --pending == 0;
  }
};

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

kruispunt::audit::v1::AccessLogEntry LogEntry(const AccessDecider::Ask& a, const v1::AccessDecision& d) {
  kruispunt::audit::v1::AccessLogEntry e;
  e.set_case_("cases/" + a.case_id);
  e.set_organization(a.org);
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
  return e;
}

}  // namespace

void AccessDecider::Decide(std::vector<Ask> asks, Done done) {
  if (asks.empty()) return done(grpc::Status::OK, {});
  auto g = std::make_shared<Gathering>();
  g->asks = std::move(asks);
  g->done = std::move(done);

  auto finish = [this, g] {
    if (!g->team_status.ok()) return g->done(team::TeamClient::ForCaller(g->team_status), {});
    if (!g->consent_status.ok()) return g->done(g->consent_status, {});
    std::vector<v1::AccessDecision> decisions;
    std::vector<kruispunt::audit::v1::AccessLogEntry> entries;
    for (std::size_t i = 0; i < g->asks.size(); ++i) {
      const auto& a = g->asks[i];
      const auto it = g->consents.find(a.case_id);
      static const std::vector<ConsentInForce> kNone;
      const auto verdict = consent::Decide({a.org, a.category, a.action, a.purpose}, FromTeam(g->team[i], a.case_id),
                                           it == g->consents.end() ? kNone : it->second);
      v1::AccessDecision d;
      d.set_decision(verdict.permit ? v1::DECISION_PERMIT : v1::DECISION_DENY);
      d.set_ground(static_cast<v1::Ground>(verdict.ground));
      d.set_permission(verdict.permission);
      for (const auto& id : verdict.consents) d.add_consents("cases/" + a.case_id + "/consents/" + id);
      d.set_deny_reason(static_cast<v1::DenyReason>(verdict.deny));
      entries.push_back(LogEntry(a, d));
      decisions.push_back(std::move(d));
    }
    audit_.RecordDecisions(std::move(entries), [g, decisions = std::move(decisions)](
                                                   const grpc::Status& status, const std::vector<std::string>& names) mutable {
      if (!status.ok()) {
        // No access without a record of it.
        return g->done(PeerStatusForCaller(status, "the audit service", "AUDIT_UNAVAILABLE"), {});
      }
      for (std::size_t i = 0; i < decisions.size(); ++i) decisions[i].set_log_entry(names[i]);
      g->done(grpc::Status::OK, std::move(decisions));
    });
  };

  std::vector<team::v1::TeamQuery> queries;
  std::set<std::string> case_ids;
  for (const auto& a : g->asks) {
    team::v1::TeamQuery q;
    q.set_case_("cases/" + a.case_id);
    q.set_organization(a.org);
    q.set_person(a.person);
    queries.push_back(std::move(q));
    case_ids.insert(a.case_id);
  }
  team_.DescribeTeams(std::move(queries), [g, finish](const grpc::Status& status,
                                                      const std::vector<team::v1::TeamFacts>& facts) {
    g->team_status = status;
    g->team = facts;
    if (g->Arrived()) finish();
  });
  const bool queued = rt_.db->Submit([g, finish, ids = std::vector<std::string>(case_ids.begin(), case_ids.end())](
                                         DbPool::Session& session) {
    g->consent_status = RunMapped("BatchCheckAccess", [&] { g->consents = ConsentsInForce(session.conn(), ids); });
    if (g->Arrived()) finish();
  });
  if (!queued) {
    g->consent_status = OverloadedStatus();
    if (g->Arrived()) finish();
  }
}

}  // namespace kp::consent
