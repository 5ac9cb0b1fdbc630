#include "consent/grpc/consent_service.h"

#include "common/page_token.h"
#include "consent/grpc/access_decider.h"
#include "consent/grpc/consent_validation.h"

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

class ConsentServiceImpl final : public v1::ConsentService::CallbackService {
 public:
  explicit ConsentServiceImpl(Runtime& runtime)
      : rt_(runtime), team_(*runtime.peers), audit_(*runtime.peers), decider_(runtime, team_, audit_) {}

  ServerUnaryReactor* GrantConsent(CallbackServerContext* ctx, const v1::GrantConsentRequest* req,
                                   v1::Consent* resp) override {
    return BeginCall(rt_, ctx, "GrantConsent", [this, req, resp](PendingCall call) {
      auto grant = std::make_shared<NewConsent>();
      if (!Guarded(call, [&] { *grant = ValidateGrantConsent(*req, call.call().caller, std::chrono::system_clock::now()); }))
        return;
      std::vector<std::string> asked = {req->consent().granted_by()};
      for (const auto& p : req->consent().recipient_participants()) asked.push_back(p);
      team_.DescribeTeams({TeamQueryOf(grant->case_id, call.call().caller, asked)},
                          [this, call, grant, resp](const grpc::Status& status, const std::vector<team::v1::TeamFacts>& facts) {
        if (!status.ok()) return call.Finish(team::TeamClient::ForCaller(status));
        if (!Guarded(call, [&] { CheckGrant(facts[0], call.call().caller, *grant); })) return;
        RunOnWorker(rt_, call, [grant, resp](const Call&, pqxx::connection& db) { InsertConsent(db, *grant, *resp); });
      });
    });
  }

  ServerUnaryReactor* GetConsent(CallbackServerContext* ctx, const v1::GetConsentRequest* req,
                                 v1::Consent* resp) override {
    return BeginCall(rt_, ctx, "GetConsent", [this, req, resp](PendingCall call) {
      std::pair<std::string, std::string> ids;
      if (!Guarded(call, [&] { ids = RequireChildName(req->name(), "consents", "name"); })) return;
      AfterReadAccess(call, ids.first, [ids, resp](const Call&, pqxx::connection& db) {
        if (!consent::GetConsent(db, ids.first, ids.second, *resp))
          throw Error::NotFound("CONSENT_NOT_FOUND", "no such consent in this case");
      });
    });
  }

  ServerUnaryReactor* ListConsents(CallbackServerContext* ctx, const v1::ListConsentsRequest* req,
                                   v1::ListConsentsResponse* resp) override {
    return BeginCall(rt_, ctx, "ListConsents", [this, req, resp](PendingCall call) {
      std::string case_id;
      Page page{};
      std::optional<int> state;
      if (!Guarded(call, [&] {
            case_id = RequireName(req->parent(), "cases", "parent");
            if (req->state() != v1::CONSENT_STATE_UNSPECIFIED) {
              if (!v1::ConsentState_IsValid(req->state())) throw Error::InvalidField("state", "is not a consent state");
              state = req->state();
            }
            page = DecodePage(req->page_size(), req->page_token(), "consents|" + case_id + "|" + std::to_string(state.value_or(0)));
          }))
        return;
      AfterReadAccess(call, case_id, [case_id, page, state, resp](const Call&, pqxx::connection& db) {
        auto last = consent::ListConsents(db, case_id, state, page.after, page.size, *resp);
        resp->set_next_page_token(NextToken(last, page));
      });
    });
  }

  ServerUnaryReactor* WithdrawConsent(CallbackServerContext* ctx, const v1::WithdrawConsentRequest* req,
                                      v1::Consent* resp) override {
    return BeginCall(rt_, ctx, "WithdrawConsent", [this, req, resp](PendingCall call) {
      std::pair<std::string, std::string> ids, by;
      if (!Guarded(call, [&] {
            ids = RequireChildName(req->name(), "consents", "name");
            by = RequireChildName(req->withdrawn_by(), "participants", "withdrawn_by");
            Violations v;
            if (by.first != ids.first) v.Add("withdrawn_by", "must be a participant of the consent's case");
            v.Text("reason", req->reason(), 0, 1000, /*multiline=*/true);
            v.ThrowIfAny();
          }))
        return;
      team_.DescribeTeams({TeamQueryOf(ids.first, call.call().caller, {req->withdrawn_by()})},
                          [this, call, ids, by, req, resp](const grpc::Status& status,
                                                          const std::vector<team::v1::TeamFacts>& facts) {
        if (!status.ok()) return call.Finish(team::TeamClient::ForCaller(status));
        // Anyone of an organisation that may see the case records a withdrawal for the client:
        // withdrawing must be as easy as granting, or easier.
        if (!MaySeeCase(facts[0], call.call().caller.organization)) return call.Finish(CaseNotFound().ToStatus());
        const auto withdrawer = facts[0].participants(0);
        RunOnWorker(rt_, call, [ids, by, withdrawer, req, resp](const Call& c, pqxx::connection& db) {
          const auto grantor = ConsentGrantor(db, ids.first, ids.second);
          if (!grantor) throw Error::NotFound("CONSENT_NOT_FOUND", "no such consent in this case");
          if (!withdrawer.found() || (*grantor != by.second && withdrawer.role() != team::v1::PARTICIPANT_ROLE_CLIENT))
            throw Error::FailedPrecondition("WITHDRAWER_NOT_ENTITLED",
                                            "a consent is withdrawn by whoever gave it, or by the client");
          if (!consent::WithdrawConsent(db, ids.first, ids.second, by.second, req->reason(), c.caller.person,
                                        c.caller.organization))
            throw Error::FailedPrecondition("ALREADY_WITHDRAWN", "this consent was withdrawn already");
          consent::GetConsent(db, ids.first, ids.second, *resp);
        });
      });
    });
  }

  ServerUnaryReactor* ListConsentEvents(CallbackServerContext* ctx, const v1::ListConsentEventsRequest* req,
                                        v1::ListConsentEventsResponse* resp) override {
    return BeginCall(rt_, ctx, "ListConsentEvents", [this, req, resp](PendingCall call) {
      std::string case_id;
      Page page{};
      if (!Guarded(call, [&] {
            case_id = RequireName(req->parent(), "cases", "parent");
            page = DecodePage(req->page_size(), req->page_token(), "consent-events|" + case_id);
          }))
        return;
      AfterReadAccess(call, case_id, [case_id, page, resp](const Call&, pqxx::connection& db) {
        auto last = consent::ListConsentEvents(db, case_id, page.after, page.size, *resp);
        resp->set_next_page_token(NextToken(last, page));
      });
    });
  }

  ServerUnaryReactor* CheckAccess(CallbackServerContext* ctx, const v1::CheckAccessRequest* req,
                                  v1::AccessDecision* resp) override {
    return BeginCall(rt_, ctx, "CheckAccess", [this, req, resp](PendingCall call) {
      OwnQuestion q;
      if (!Guarded(call, [&] { q = ValidateCheckAccess(*req); })) return;
      const auto& caller = call.call().caller;
      decider_.Decide(call, {{q.case_id, caller.organization, caller.person, "kruispunt.consent.v1.ConsentService/CheckAccess",
                        call.call().request_id, q.category, q.action, q.purpose, q.permission}},
                      [call, resp](const grpc::Status& status, std::vector<v1::AccessDecision> decisions) {
                        if (status.ok()) *resp = std::move(decisions[0]);
                        call.Finish(status);
                      });
    });
  }

  ServerUnaryReactor* BatchCheckAccess(CallbackServerContext* ctx, const v1::BatchCheckAccessRequest* req,
                                       v1::BatchCheckAccessResponse* resp) override {
    return BeginCall(rt_, ctx, "BatchCheckAccess", [this, req, resp](PendingCall call) {
      std::vector<AccessDecider::Ask> asks;
      if (!Guarded(call, [&] { asks = ValidateBatch(*req, call.call().caller); })) return;
      decider_.Decide(call, std::move(asks), [call, resp](const grpc::Status& status, std::vector<v1::AccessDecision> decisions) {
        for (auto& d : decisions) *resp->add_decisions() = std::move(d);
        call.Finish(status);
      });
    }, Callers::kOrganizationsAndPlatform);
  }

 private:
  // Reading a case's consents is reading the case: the caller's organisation needs the same
  // decision as for the case itself, and the read is logged.
  void AfterReadAccess(const PendingCall& call, const std::string& case_id, UnaryHandler read) {
    const auto& caller = call.call().caller;
    decider_.Decide(call, {{case_id, caller.organization, caller.person,
                      std::string("kruispunt.consent.v1.ConsentService/") + call.method(), call.call().request_id,
                      Category::kCase, Action::kRead, v1::PURPOSE_CARE_COORDINATION}},
                    [this, call, read](const grpc::Status& status, const std::vector<v1::AccessDecision>& decisions) {
                      if (!status.ok()) return call.Finish(status);
                      if (decisions[0].decision() != v1::DECISION_PERMIT) return call.Finish(CaseNotFound().ToStatus());
                      RunOnWorker(rt_, call, read);
                    });
  }

  static void CheckGrant(const team::v1::TeamFacts& facts, const Identity& caller, NewConsent& grant) {
    if (!MaySeeCase(facts, caller.organization)) throw CaseNotFound();
    if (!facts.person_may_manage_team())
      throw Error::PermissionDenied("NOT_TEAM_MANAGER",
                                    "consent is recorded by the case's care coordinator, or a participant whose "
                                    "mandate includes MANAGE_TEAM");
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

  static std::vector<AccessDecider::Ask> ValidateBatch(const v1::BatchCheckAccessRequest& req, const Identity& caller) {
    RequireService(caller, "only Kruispunt's services ask in batches");
    std::vector<AccessDecider::Ask> asks;
    Violations v;
    for (int i = 0; i < req.questions_size(); ++i) {
      const auto& q = req.questions(i);
      const std::string at = "questions[" + std::to_string(i) + "]";
      AccessDecider::Ask a;
      auto case_id = ParseResourceName(q.case_(), "cases");
      if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
      if (!IsValidPrincipalId(q.subject().organization())) v.Add(at + ".subject.organization", "must be an organisation id");
      if (!IsValidPrincipalId(q.subject().person())) v.Add(at + ".subject.person", "must be a person id");
      if (q.category() == 0 || !v1::DataCategory_IsValid(q.category())) v.Add(at + ".category", "must be a data category");
      if (q.action() == 0 || !v1::Action_IsValid(q.action())) v.Add(at + ".action", "must be READ or WRITE");
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

  Runtime& rt_;
  team::TeamClient team_;
  audit::AuditClient audit_;
  AccessDecider decider_;
};

}  // namespace

ServiceModule ConsentServiceModule() {
  return ServiceModule{
      v1::ConsentService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<ConsentServiceImpl>(runtime); },
      {team::v1::TeamService::service_full_name(), kruispunt::audit::v1::AuditService::service_full_name()}};
}

}  // namespace kp::consent
