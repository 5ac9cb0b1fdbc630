#include "consent/grpc/consent_service.h"

#include <spdlog/spdlog.h>

#include "common/batcher.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "common/periodic.h"
#include "consent/grpc/access_decider.h"
#include "consent/client/access_gate.h"
#include "consent/client/consent_client.h"
#include "consent/grpc/consent_validation.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"
#include "team/client/team_client.h"

namespace kp::consent {

const kp::MigrationSet& Migrations();  // generated from services/consent/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

// The caller's organisation may see the case (it owns it, or takes part with READ_CASE).
bool MaySeeCase(const team::v1::TeamFacts& facts, const std::string& org) {
  if (!facts.case_known()) return false;
  if (facts.owner_organization() == org) return true;
  for (int p : facts.organization_permissions())
    if (p == team::v1::PERMISSION_READ_CASE) return true;
  return false;
}

team::v1::TeamQuery TeamQueryOf(const std::string& case_id, const Identity& caller,
                                const std::vector<std::string>& participant_names) {
  team::v1::TeamQuery q;
  q.set_case_("cases/" + case_id);
  q.set_organization(caller.organization);
  q.set_person(caller.person);
  for (const auto& name : participant_names) q.add_participants(name);
  return q;
}

// The questions of a BatchCheckAccess, each checked.
std::vector<Ask> ValidateBatch(const v1::BatchCheckAccessRequest& req) {
  std::vector<Ask> asks;
  Violations v;
  for (int i = 0; i < req.questions_size(); ++i) {
    const auto& q = req.questions(i);
    const std::string at = "questions[" + std::to_string(i) + "]";
    Ask a;
    auto case_id = ParseResourceName(q.case_(), "cases");
    if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
    if (!IsValidPrincipalId(q.subject().organization())) v.Add(at + ".subject.organization", "must be an organisation id");
    if (!IsValidPrincipalId(q.subject().person())) v.Add(at + ".subject.person", "must be a person id");
    if (q.category() == 0 || !v1::DataCategory_IsValid(q.category())) v.Add(at + ".category", "must be a data category");
    if (q.action() == 0 || !v1::Action_IsValid(q.action())) v.Add(at + ".action", "must be READ, WRITE or RECEIVE");
    if (q.purpose() == 0 || !v1::Purpose_IsValid(q.purpose())) v.Add(at + ".purpose", "must be a purpose");
    if (!IsValidPrincipalId(q.request_id())) v.Add(at + ".request_id", "must be a request id");
    CheckNarrowedPermission(v, at + ".permission", q.permission(), q.category(), q.action());
    if (case_id) a.case_id = *case_id;
    a.org = q.subject().organization();
    a.person = q.subject().person();
    a.rpc = q.rpc();
    a.request_id = q.request_id();
    a.category = static_cast<Category>(q.category());
    a.action = static_cast<Action>(q.action());
    a.purpose = q.purpose();
    a.permission = q.permission();
    asks.push_back(std::move(a));
  }
  v.ThrowIfAny();
  return asks;
}

// BatchCheckAccess, for the gRPC handler and the local client alike.
v1::BatchCheckAccessResponse BatchCheckAccessOn(PeerClients& peers, const PeerContext& context,
                                                const v1::BatchCheckAccessRequest& req) {
  v1::BatchCheckAccessResponse resp;
  for (auto& d : DecideAccess(peers, context, ValidateBatch(req))) *resp.add_decisions() = std::move(d);
  return resp;
}

// A CheckAccess call waiting for its batch (concurrent calls share one decision).
struct Check {
  PendingCall call;
  Ask ask;
  v1::AccessDecision* response;
  grpc::Status status;
};

// ReadConsentChanges (the change feed's read of consent events), for the gRPC handler and the
// local client alike.
void ReadConsentChangesOn(pqxx::connection& db, const v1::ReadConsentChangesRequest& req,
                          v1::ReadConsentChangesResponse& resp) {
  ReadConsentChanges(db, HistoryReadCaseIds(req), req.after().transaction(), req.after().position(), req.horizon(), req.limit(), resp);
}

class LocalConsentClient final : public ConsentClient {
 public:
  explicit LocalConsentClient(PeerClients& peers) : peers_(peers) {}
  v1::BatchCheckAccessResponse BatchCheckAccess(const PeerContext& context,
                                                const v1::BatchCheckAccessRequest& request) override {
    return BatchCheckAccessOn(peers_, context, request);
  }
  v1::ReadConsentChangesResponse ReadConsentChanges(const PeerContext& context,
                                                    const v1::ReadConsentChangesRequest& request) override {
    v1::ReadConsentChangesResponse response;
    ReadConsentChangesOn(context.db, request, response);
    return response;
  }

 private:
  PeerClients& peers_;
};

class ConsentServiceImpl final : public v1::ConsentService::CallbackService {
 public:
  explicit ConsentServiceImpl(Runtime& runtime)
      : rt_(runtime),
        access_(runtime, v1::ConsentService::service_full_name(), v1::DATA_CATEGORY_CASE),
        checks_(*runtime.db, [this](pqxx::connection& db, std::vector<Check>& batch) { DecideChecks(db, batch); }),
        expiries_(EveryOnAWorker(*runtime.db, "consent_expiry", std::chrono::seconds(runtime.config->expiry_check_seconds),
                                 [lookback_days = runtime.config->feed_retention_days](pqxx::connection& db) {
                                   RecordExpiries(db, lookback_days);
                                 })) {}

  ServerUnaryReactor* GrantConsent(CallbackServerContext* ctx, const v1::GrantConsentRequest* req,
                                   v1::Consent* resp) override {
    return ServeUnary(rt_, ctx, "GrantConsent", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto grant = ValidateGrantConsent(*req, call.caller, std::chrono::system_clock::now());
      BindRequestId(db, "consent", call, req->request_id(), RequestFingerprint(*req));
      std::vector<std::string> asked = {req->consent().granted_by()};
      for (const auto& p : req->consent().recipient_participants()) asked.push_back(p);
      const auto facts = team::DescribeTeams(*rt_.clients->team, {db, call}, {TeamQueryOf(grant.case_id, call.caller, asked)});
      CheckGrant(facts[0], call.caller, grant);
      team::RequireCaseOpen(facts[0].case_state());
      // A recipient must be in the partner directory: a typo would otherwise be recorded, and an
      // organisation registered later under that id would be covered.
      const auto known = team::FindOrganizations(*rt_.clients->team, {db, call}, grant.recipient_orgs);
      Violations unknown;
      for (const auto& org : grant.recipient_orgs)
        if (!known.count(org))
          unknown.Add("consent.recipient_organizations", OrganizationName(org) + " is not in the partner directory");
      unknown.ThrowIfAny();
      InsertConsent(db, grant, *resp);
    });
  }

  ServerUnaryReactor* GetConsent(CallbackServerContext* ctx, const v1::GetConsentRequest* req,
                                 v1::Consent* resp) override {
    return ServeUnary(rt_, ctx, "GetConsent", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->name(), "consents", "name");
      RequireCaseRead(call, db, ids.first);
      if (!consent::GetConsent(db, ids.first, ids.second, *resp))
        throw Error::NotFound("CONSENT_NOT_FOUND", "no such consent in this case");
    });
  }

  ServerUnaryReactor* ListConsents(CallbackServerContext* ctx, const v1::ListConsentsRequest* req,
                                   v1::ListConsentsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListConsents", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      std::optional<int> state;
      if (req->state() != v1::CONSENT_STATE_UNSPECIFIED) {
        if (!v1::ConsentState_IsValid(req->state())) throw Error::InvalidField("state", "is not a consent state");
        state = req->state();
      }
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "consents|" + case_id + "|" + std::to_string(state.value_or(0)));
      RequireCaseRead(call, db, case_id);
      auto last = consent::ListConsents(db, case_id, state, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

  ServerUnaryReactor* WithdrawConsent(CallbackServerContext* ctx, const v1::WithdrawConsentRequest* req,
                                      v1::Consent* resp) override {
    return ServeUnary(rt_, ctx, "WithdrawConsent", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->name(), "consents", "name");
      const auto by = RequireChildName(req->withdrawn_by(), "participants", "withdrawn_by");
      Violations v;
      if (by.first != ids.first) v.Add("withdrawn_by", "must be a participant of the consent's case");
      v.Text("reason", req->reason(), 0, 1000, /*multiline=*/true);
      v.ThrowIfAny();
      const auto facts =
          team::DescribeTeams(*rt_.clients->team, {db, call}, {TeamQueryOf(ids.first, call.caller, {req->withdrawn_by()})});
      // Who records a grant records a withdrawal (the case's care coordinator, or a participant whose
      // mandate includes MANAGE_TEAM): withdrawing is as easy as granting, not easier for others.
      if (!MaySeeCase(facts[0], call.caller.organization)) throw CaseNotFound();
      RequireTeamManager(facts[0]);
      const auto& withdrawer = facts[0].participants(0);
      const auto grantor = ConsentGrantor(db, ids.first, ids.second);
      if (!grantor) throw Error::NotFound("CONSENT_NOT_FOUND", "no such consent in this case");
      if (!withdrawer.found() || (*grantor != by.second && withdrawer.role() != team::v1::PARTICIPANT_ROLE_CLIENT))
        throw Error::FailedPrecondition("WITHDRAWER_NOT_ENTITLED",
                                        "a consent is withdrawn by whoever gave it, or by the client");
      if (!consent::WithdrawConsent(db, ids.first, ids.second, by.second, req->reason(), call.caller.person,
                                    call.caller.organization))
        throw Error::FailedPrecondition("ALREADY_WITHDRAWN", "this consent was withdrawn already");
      consent::GetConsent(db, ids.first, ids.second, *resp);
    });
  }

  ServerUnaryReactor* ListConsentEvents(CallbackServerContext* ctx, const v1::ListConsentEventsRequest* req,
                                        v1::ListConsentEventsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListConsentEvents", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "consent-events|" + case_id);
      RequireCaseRead(call, db, case_id);
      auto last = consent::ListConsentEvents(db, case_id, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

  // Concurrent questions share their statements (common/batcher.h): one decision for all.
  ServerUnaryReactor* CheckAccess(CallbackServerContext* ctx, const v1::CheckAccessRequest* req,
                                  v1::AccessDecision* resp) override {
    return ServeBatched(rt_, ctx, "CheckAccess", checks_, [req, resp](const PendingCall& call) {
      const OwnQuestion q = ValidateCheckAccess(*req);
      const auto& c = call.call();
      return Check{call,
                   {q.case_id, c.caller.organization, c.caller.person, "kruispunt.consent.v1.ConsentService/CheckAccess",
                    c.request_id, q.category, q.action, q.purpose, q.permission},
                   resp, grpc::Status::OK};
    });
  }

 private:
  void DecideChecks(pqxx::connection& db, std::vector<Check>& batch) {
    std::vector<Ask> asks;
    for (const auto& item : batch) asks.push_back(item.ask);
    auto decisions = DecideAccess(*rt_.clients, {db, batch.front().call.call()}, asks);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& d = *batch[i].response = std::move(decisions[i]);
      d.set_deny_reason(static_cast<v1::DenyReason>(ToldToAsker(static_cast<DenyReason>(d.deny_reason()))));
    }
  }

  // Reading a case's consents is reading the case: the caller's organisation needs the same
  // decision as for the case itself, and the read is logged. Anyone denied is told the case does
  // not exist.
  void RequireCaseRead(const Call& call, pqxx::connection& db, const std::string& case_id) {
    access_.RequireOrNotFound(call, db, access_.For(call, case_id));
  }

  // Consent (given or withdrawn) is recorded by the case's care coordinator or a participant whose
  // mandate includes MANAGE_TEAM.
  static void RequireTeamManager(const team::v1::TeamFacts& facts) {
    if (!facts.person_may_manage_team())
      throw Error::PermissionDenied("NOT_TEAM_MANAGER",
                                    "consent is recorded by the case's care coordinator, or a participant whose "
                                    "mandate includes MANAGE_TEAM");
  }

  static void CheckGrant(const team::v1::TeamFacts& facts, const Identity& caller, NewConsent& grant) {
    if (!MaySeeCase(facts, caller.organization)) throw CaseNotFound();
    RequireTeamManager(facts);
    const auto& grantor = facts.participants(0);
    if (!grantor.found() || !grantor.active() ||
        (grantor.role() != team::v1::PARTICIPANT_ROLE_CLIENT && grantor.role() != team::v1::PARTICIPANT_ROLE_LEGAL_REPRESENTATIVE))
      throw Error::FailedPrecondition("GRANTOR_NOT_ENTITLED",
                                      "consent is given by the client or an active legal representative of the case");
    for (int i = 1; i < facts.participants_size(); ++i)
      if (!facts.participants(i).found() || !facts.participants(i).active())
        throw Error::FailedPrecondition("RECIPIENT_NOT_IN_TEAM",
                                        "a recipient participant is not an active participant of the case");
    grant.grantor_role = grantor.role();
  }

  // A consent whose period ended covers nobody from that moment (the decision reads the period);
  // recording its end puts it in the case's consent history, and the change feed tells the
  // organisations it named that their access ended. Ends older than the feed serves are told to
  // nobody and not recorded.
  static void RecordExpiries(pqxx::connection& db, int lookback_days) {
    if (const auto consents = RecordDueExpiries(db, lookback_days, 100)) spdlog::info("consents_expired consents={}", consents);
  }

  Runtime& rt_;
  AccessGate access_;
  Batcher<Check> checks_;
  std::unique_ptr<Periodic> expiries_;  // last: stopped first, before the members it uses
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class ConsentInternalServiceImpl final : public v1::ConsentInternalService::CallbackService {
 public:
  explicit ConsentInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* BatchCheckAccess(CallbackServerContext* ctx, const v1::BatchCheckAccessRequest* req,
                                       v1::BatchCheckAccessResponse* resp) override {
    return ServeUnary(rt_, ctx, "BatchCheckAccess", [this, req, resp](const Call& call, pqxx::connection& db) {
      *resp = BatchCheckAccessOn(*rt_.clients, {db, call}, *req);
    }, Callers::kServices);
  }

  ServerUnaryReactor* ReadConsentChanges(CallbackServerContext* ctx, const v1::ReadConsentChangesRequest* req,
                                         v1::ReadConsentChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ReadConsentChanges", [req, resp](const Call&, pqxx::connection& db) {
      ReadConsentChangesOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule ConsentServiceModule() {
  return ServiceModule{
      v1::ConsentService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<ConsentServiceImpl>(runtime); },
      {team::v1::TeamService::service_full_name(), kruispunt::audit::v1::AuditService::service_full_name()},
      [](PeerClients& clients) { clients.consent = std::make_shared<LocalConsentClient>(clients); },
      [](Runtime& runtime) { return std::make_unique<ConsentInternalServiceImpl>(runtime); }, {}};
}

}  // namespace kp::consent
