#include "consent/grpc/access_decider.h"

#include <mutex>
#include <set>
#include <unordered_map>

#include "common/errors.h"
#ifdef KP_BENCH_BUILD
#include "common/bench_shortcut.h"
#endif
#include "common/peer_call.h"
#include "consent/repo/consent_repository.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

namespace {

constexpr std::size_t kMaxBatch = 64;
constexpr std::size_t kMaxParallelBatches = 2;

// The two fact-finding steps run at once; the last to finish decides.
struct Gathering {
  std::vector<AccessDecider::Ask> asks;   // every question of the batch
  std::vector<std::size_t> first;         // per request: the index of its first question
  std::vector<std::size_t> count;         // per request: how many
  std::vector<AccessDecider::Done> done;  // per request
  std::mutex mutex;
  int pending = 2;
  grpc::Status team_status, consent_status;
  std::vector<team::v1::TeamFacts> team;
  std::unordered_map<std::string, std::vector<ConsentInForce>> consents;
  std::shared_ptr<void> slot;  // the batch's place in the coalescer, let go with the gathering

  // Returns true for the caller that completed the gathering.
  bool Arrived() {
    std::lock_guard lock(mutex);
    return --pending == 0;
  }
  void Fail(const grpc::Status& status) {
    for (auto& d : done) d(status, {});
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

AccessDecider::AccessDecider(Runtime& runtime, team::TeamClient& team, audit::AuditClient& audit)
    : team_(team), audit_(audit),
      requests_(*runtime.db, kMaxBatch, kMaxParallelBatches,
                [this](pqxx::connection& db, std::vector<Request>& batch, Coalescer<Request>::Slot slot) {
                  RunBatch(db, batch, std::move(slot));
                }) {}

void AccessDecider::Decide(const PendingCall& call, std::vector<Ask> asks, Done done) {
  if (asks.empty()) return done(grpc::Status::OK, {});
  requests_.Add(Request{call, std::move(asks), std::move(done)});
}

// Runs on a database worker: asks TeamService for the batch's facts and, meanwhile, reads the
// consents in force on this worker's connection. The batch keeps its slot until its decisions are
// logged and answered.
void AccessDecider::RunBatch(pqxx::connection& db, std::vector<Request>& batch, Coalescer<Request>::Slot slot) {
  auto g = std::make_shared<Gathering>();
  g->slot = std::move(slot);
  for (auto& r : batch) {
    g->first.push_back(g->asks.size());
    g->count.push_back(r.asks.size());
    g->asks.insert(g->asks.end(), r.asks.begin(), r.asks.end());
    g->done.push_back(std::move(r.done));
  }

  auto finish = [this, g] {
    if (!g->team_status.ok()) return g->Fail(team::TeamClient::ForCaller(g->team_status));
    if (!g->consent_status.ok()) return g->Fail(g->consent_status);
    std::vector<v1::AccessDecision> decisions;
    std::vector<kruispunt::audit::v1::AccessLogEntry> entries;
    static const std::vector<ConsentInForce> kNone;
    for (std::size_t i = 0; i < g->asks.size(); ++i) {
      const auto& a = g->asks[i];
      const auto it = g->consents.find(a.case_id);
      const auto verdict = consent::Decide({a.org, a.category, a.action, a.purpose, a.permission}, FromTeam(g->team[i], a.case_id),
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
    auto answer = [g, decisions = std::move(decisions)](const grpc::Status& status,
                                                         const std::vector<std::string>& names) mutable {
      // No access without a record of it.
      if (!status.ok()) return g->Fail(PeerStatusForCaller(status, "the audit service", "AUDIT_UNAVAILABLE"));
      for (std::size_t i = 0; i < decisions.size(); ++i) decisions[i].set_log_entry(names[i]);
      for (std::size_t r = 0; r < g->done.size(); ++r) {
        const auto begin = decisions.begin() + static_cast<long>(g->first[r]);
        g->done[r](grpc::Status::OK, std::vector<v1::AccessDecision>(
                                         std::make_move_iterator(begin),
                                         std::make_move_iterator(begin + static_cast<long>(g->count[r]))));
      }
    };
#ifdef KP_BENCH_BUILD
    if (BenchSkipping() == BenchSkip::kLog) return answer(grpc::Status::OK, std::vector<std::string>(entries.size()));
#endif
    audit_.RecordDecisions(std::move(entries), std::move(answer));
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
  const std::vector<std::string> ids(case_ids.begin(), case_ids.end());
  g->consent_status = RunMapped("CheckAccess", [&] { g->consents = ConsentsInForce(db, ids); });
  if (g->Arrived()) finish();
}

}  // namespace kp::consent
