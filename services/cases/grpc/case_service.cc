#include "cases/grpc/case_service.h"

#include <spdlog/spdlog.h>

#include "consent/client/access_gate.h"
#include "cases/client/case_client.h"
#include "cases/grpc/case_validation.h"
#include "team/client/team_client.h"
#include "common/batcher.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "common/periodic.h"

namespace kp::cases {

const kp::MigrationSet& Migrations();  // generated from services/cases/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

Error ClientNotFound() {
  return Error::NotFound("CLIENT_NOT_FOUND", "no such client, or not visible to your organisation");
}

// What TeamService is told of a case: its owner, client and state.
team::v1::RegisterCasesRequest Registration(const std::string& case_name, const std::string& owner_name,
                                            const std::string& client_name, int state, const std::string& person) {
  team::v1::RegisterCasesRequest request;
  auto& r = *request.add_cases();
  r.set_case_(case_name);
  r.set_owner_organization(owner_name);
  r.set_client(client_name);
  r.set_case_state(state);
  r.set_created_by_person(person);
  return request;
}

team::v1::RegisterCasesRequest RegistrationOf(const v1::Case& c, const std::string& person) {
  return Registration(c.name(), c.owner_organization(), c.client(), c.state(), person);
}

// A CreateCase or GetCase call waiting for its batch (concurrent calls share their statements).
struct CaseCreate {
  PendingCall call;
  NewCase request;
  std::string fingerprint;  // of the request, to bind its request_id
  v1::Case* response;
  grpc::Status status;
};

struct CaseRead {
  PendingCall call;
  std::string case_id;
  v1::Case* response;
  grpc::Status status;
};

// How often the reconciler looks for cases whose team registration is unconfirmed, and how old a
// mark must be before it is re-sent (younger ones are usually a change still in flight).
constexpr std::chrono::seconds kTeamSyncEvery{2};
constexpr int kTeamSyncMinAgeSeconds = 2;
constexpr int kTeamSyncBatch = 100;

// DescribeCaseClient (ReferralService's question), for the gRPC handler and LocalCaseClient alike.
void DescribeCaseClientOn(pqxx::connection& db, const v1::DescribeCaseClientRequest& req,
                          v1::DescribeCaseClientResponse& resp) {
  const auto case_id = RequireName(req.case_(), "cases", "case");
  auto found = GetCases(db, {case_id});
  const auto it = found.find(case_id);
  if (it == found.end()) return;
  resp.set_found(true);
  *resp.mutable_client() = std::move(*it->second.mutable_client_summary());
}

class LocalCaseClient final : public CaseClient {
 public:
  v1::DescribeCaseClientResponse DescribeCaseClient(const PeerContext& context,
                                                    const v1::DescribeCaseClientRequest& request) override {
    v1::DescribeCaseClientResponse response;
    DescribeCaseClientOn(context.db, request, response);
    return response;
  }
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class CaseInternalServiceImpl final : public v1::CaseInternalService::CallbackService {
 public:
  explicit CaseInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* DescribeCaseClient(grpc::CallbackServerContext* ctx, const v1::DescribeCaseClientRequest* req,
                                               v1::DescribeCaseClientResponse* resp) override {
    return ServeUnary(rt_, ctx, "DescribeCaseClient", [req, resp](const Call&, pqxx::connection& db) {
      DescribeCaseClientOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

class CaseServiceImpl final : public v1::CaseService::CallbackService {
 public:
  explicit CaseServiceImpl(Runtime& runtime)
      : rt_(runtime),
        access_(runtime, v1::CaseService::service_full_name(), kruispunt::consent::v1::DATA_CATEGORY_CASE),
        reads_(*runtime.db, [this](pqxx::connection& db, std::vector<CaseRead>& batch) { ReadCases(db, batch); }),
        creates_(*runtime.db, [this](pqxx::connection& db, std::vector<CaseCreate>& batch) { CreateCases(db, batch); }) {
    if (!rt_.clients->team->SharesTransactions())
      reconciler_ = EveryOnAWorker(*rt_.db, "team_sync_reconcile", kTeamSyncEvery,
                                   [this](pqxx::connection& db) { SendDueTeamSyncs(db); });
  }

  ServerUnaryReactor* CreateClient(CallbackServerContext* ctx, const v1::CreateClientRequest* req,
                                   v1::Client* resp) override {
    return ServeUnary(rt_, ctx, "CreateClient", [req, resp](const Call& call, pqxx::connection& db) {
      const NewClient client = ValidateCreateClient(*req, call.caller);
      BindRequestId(db, "cases", call, req->request_id(), RequestFingerprint(*req));
      if (!InsertClient(db, client, *resp))
        throw Error(grpc::StatusCode::INTERNAL, "INTERNAL", "client was neither created nor found");
    });
  }

  ServerUnaryReactor* GetClient(CallbackServerContext* ctx, const v1::GetClientRequest* req,
                                v1::Client* resp) override {
    return ServeUnary(rt_, ctx, "GetClient", [req, resp](const Call& call, pqxx::connection& db) {
      const auto id = RequireName(req->name(), "clients", "name");
      if (!cases::GetClient(db, id, call.caller.organization, *resp)) throw ClientNotFound();
    });
  }

  ServerUnaryReactor* UpdateClient(CallbackServerContext* ctx, const v1::UpdateClientRequest* req,
                                   v1::Client* resp) override {
    return ServeUnary(rt_, ctx, "UpdateClient", [req, resp](const Call& call, pqxx::connection& db) {
      const auto update = ValidateUpdateClient(*req);
      const auto& org = call.caller.organization;
      if (cases::UpdateClient(db, update.client_id, org, update.changes, update.expected_version, *resp))
        return;
      if (!ClientVersion(db, update.client_id, org)) throw ClientNotFound();
      throw Error::Aborted("ETAG_MISMATCH", "the client changed since you read it; read it again");
    });
  }

  ServerUnaryReactor* ListClients(CallbackServerContext* ctx, const v1::ListClientsRequest* req,
                                  v1::ListClientsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListClients", [req, resp](const Call& call, pqxx::connection& db) {
      std::optional<std::string> insz;
      if (!req->insz().empty()) insz = RequireInsz(req->insz(), "insz");
      const Page page = DecodePage(req->page_size(), req->page_token(), "clients|" + insz.value_or(""));
      auto last = cases::ListClients(db, call.caller.organization, insz, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

  // Concurrent creates share one transaction and commit (common/batcher.h). A case is never
  // reported created without its team: see CreateCases.
  ServerUnaryReactor* CreateCase(CallbackServerContext* ctx, const v1::CreateCaseRequest* req,
                                 v1::Case* resp) override {
    return ServeBatched(rt_, ctx, "CreateCase", creates_, [req, resp](const PendingCall& call) {
      return CaseCreate{call, ValidateCreateCase(*req, call.call().caller), RequestFingerprint(*req), resp,
                        grpc::Status::OK};
    });
  }

  // Concurrent reads share their statements (common/batcher.h): one decision for all of them,
  // then one read of the cases permitted.
  ServerUnaryReactor* GetCase(CallbackServerContext* ctx, const v1::GetCaseRequest* req,
                              v1::Case* resp) override {
    return ServeBatched(rt_, ctx, "GetCase", reads_, [req, resp](const PendingCall& call) {
      return CaseRead{call, RequireName(req->name(), "cases", "name"), resp, grpc::Status::OK};
    });
  }

  // A page of ListCases: first the organisation's own cases, oldest first (position: (case_seq,
  // 0)); once they run out, in the same page, the cases it takes part in, in the order it joined
  // them (position: (the team's position, 1)). Each part reads about a page of rows, however many
  // cases the organisation has. A partner's cases are never found by the client's INSZ: the client
  // register is the owner's, and a match would tell a partner the identity its consent may not
  // cover. Returns where the next page starts, or nothing at the end.
  std::optional<Position2> ListPage(const Call& call, pqxx::connection& db, const CaseListFilter& filter,
                                    const Page& page, v1::ListCasesResponse& out) {
    constexpr int64_t kOwned = 0, kTakenPartIn = 1;
    int room = page.size;
    int64_t after_position = page.after;
    if (page.then == kOwned) {
      if (const auto last = cases::ListOwnedCases(db, call.caller.organization, filter, page.after, page.size, out))
        return Position2{*last, kOwned};
      if (filter.client_insz) return std::nullopt;
      room -= out.cases_size();
      after_position = 0;
      if (room == 0) return Position2{0, kTakenPartIn};
    }
    auto taken_part_in = team::PartnerCasesPage(*rt_.clients->team, {db, call}, call.caller.organization,
                                                after_position, room + 1);
    const bool more = static_cast<int>(taken_part_in.size()) > room;
    if (more) taken_part_in.resize(static_cast<std::size_t>(room));
    std::vector<std::string> ids;
    for (const auto& [id, position] : taken_part_in) ids.push_back(id);
    cases::ListCasesByIds(db, ids, filter, out);
    if (!more) return std::nullopt;
    return Position2{taken_part_in.back().second, kTakenPartIn};
  }

  // Lists the cases the caller's organisation owns or takes part in; the read of each listed case
  // is decided and logged like any other read before the page is answered. A listed case whose
  // read is denied is left out (a partner's without consent; one created a moment ago may not be
  // known to its team yet), so a page may hold fewer than page_size.
  ServerUnaryReactor* ListCases(CallbackServerContext* ctx, const v1::ListCasesRequest* req,
                                v1::ListCasesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListCases", [this, req, resp](const Call& call, pqxx::connection& db) {
      CaseListFilter filter;
      Violations v;
      if (req->state() != v1::CASE_STATE_UNSPECIFIED) {
        if (!v1::CaseState_IsValid(req->state())) v.Add("state", "is not a case state");
        filter.state = req->state();
      }
      if (req->life_domain() != kruispunt::type::v1::LIFE_DOMAIN_UNSPECIFIED) {
        if (!kruispunt::type::v1::LifeDomain_IsValid(req->life_domain()))
          v.Add("life_domain", "is not a life domain");
        filter.life_domain = req->life_domain();
      }
      v.ThrowIfAny();
      if (!req->client_insz().empty()) filter.client_insz = RequireInsz(req->client_insz(), "client_insz");
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "cases|" + std::to_string(filter.state.value_or(0)) + "|" +
                                       std::to_string(filter.life_domain.value_or(0)) + "|" +
                                       filter.client_insz.value_or(""));
      resp->set_next_page_token(NextToken(ListPage(call, db, filter, page, *resp), page));
      KeepReadable(call, db, *resp->mutable_cases());
    });
  }

  ServerUnaryReactor* UpdateCase(CallbackServerContext* ctx, const v1::UpdateCaseRequest* req,
                                 v1::Case* resp) override {
    return ServeUnary(rt_, ctx, "UpdateCase", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto update = ValidateUpdateCase(*req);
      RequireWriteAccess(call, db, update.case_id);
      const auto& org = call.caller.organization;
      if (cases::UpdateCase(db, update.case_id, org, update.changes, update.expected_version, *resp)) return;
      ExplainRefusedWrite(db, update.case_id, org, update.expected_version);
      throw Error::FailedPrecondition("CASE_CLOSED", "a closed case cannot be edited; reopen it first");
    });
  }

  ServerUnaryReactor* ActivateCase(CallbackServerContext* ctx, const v1::TransitionCaseRequest* req,
                                   v1::Case* resp) override {
    return TransitionRpc(ctx, "ActivateCase", Transition::kActivate, req, resp);
  }
  ServerUnaryReactor* SuspendCase(CallbackServerContext* ctx, const v1::TransitionCaseRequest* req,
                                  v1::Case* resp) override {
    return TransitionRpc(ctx, "SuspendCase", Transition::kSuspend, req, resp);
  }
  ServerUnaryReactor* CloseCase(CallbackServerContext* ctx, const v1::TransitionCaseRequest* req,
                                v1::Case* resp) override {
    return TransitionRpc(ctx, "CloseCase", Transition::kClose, req, resp);
  }
  ServerUnaryReactor* ReopenCase(CallbackServerContext* ctx, const v1::TransitionCaseRequest* req,
                                 v1::Case* resp) override {
    return TransitionRpc(ctx, "ReopenCase", Transition::kReopen, req, resp);
  }

  ServerUnaryReactor* ListCaseStatusChanges(CallbackServerContext* ctx,
                                            const v1::ListCaseStatusChangesRequest* req,
                                            v1::ListCaseStatusChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListCaseStatusChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "changes|" + id);
      access_.Require(call, db, access_.For(call, id));
      auto last = ListStatusChanges(db, id, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

 private:
  // A conditional write touched no row: say why (missing or invisible, or a stale etag). Returns
  // the case's state when neither applies, leaving the caller to name its own precondition.
  static CaseProbe ExplainRefusedWrite(pqxx::connection& db, const std::string& case_id,
                                       const std::string& org, std::optional<int> expected_version) {
    auto probe = ProbeCase(db, case_id);
    if (!probe || probe->owner_org != org) throw CaseNotFound();
    if (expected_version && *expected_version != probe->version)
      throw Error::Aborted("ETAG_MISMATCH", "the case changed since you read it; read it again");
    return *probe;
  }

  ServerUnaryReactor* TransitionRpc(CallbackServerContext* ctx, const char* method, Transition transition,
                                    const v1::TransitionCaseRequest* req, v1::Case* resp) {
    return ServeUnary(rt_, ctx, method, [this, transition, req, resp](const Call& call, pqxx::connection& db) {
      const auto t = ValidateTransition(*req, transition);
      RequireWriteAccess(call, db, t.case_id);
      if (rt_.clients->team->SharesTransactions()) return TransitTogether(call, db, transition, t, *resp);
      if (RuleFor(transition).to == CaseState::kActive) return ActivateWithRemoteTeam(call, db, transition, t, *resp);
      TransitThenTellRemoteTeam(call, db, transition, t, *resp);
    });
  }

  // Changes the case's state in `tx`; false when the case refused it (see WhyRefused).
  static bool ChangeState(pqxx::transaction_base& tx, const Call& call, const CaseTransition& t, v1::Case& resp) {
    return TransitionCase(tx, t.case_id, call.caller.organization, t.allowed_from, t.to_state, t.reason,
                          t.expected_version, call.caller.person, resp);
  }
  // Why the case refused a transition, looked up after the rollback.
  static Error WhyRefused(pqxx::connection& db, const Call& call, Transition transition, const CaseTransition& t) {
    const auto probe = ExplainRefusedWrite(db, t.case_id, call.caller.organization, t.expected_version);
    return IllegalTransition(static_cast<CaseState>(probe.state), transition);
  }

  // TeamService hosted here: the case's new state and the team's commit together (the team
  // refuses ACTIVE without a care coordinator, which rolls back the case's change too).
  void TransitTogether(const Call& call, pqxx::connection& db, Transition transition, const CaseTransition& t,
                       v1::Case& resp) {
    {
      pqxx::work tx(db);
      if (ChangeState(tx, call, t, resp)) {
        rt_.clients->team->RegisterCases({db, call, &tx}, RegistrationOf(resp, call.caller.person));
        tx.commit();
        return;
      }
    }
    throw WhyRefused(db, call, transition, t);
  }

  // TeamService elsewhere, towards ACTIVE: TeamService first (it refuses without a care
  // coordinator), then the case. Should the case's change then fail, the team holds the case as
  // active, which is stricter (it keeps the coordinator), never looser.
  void ActivateWithRemoteTeam(const Call& call, pqxx::connection& db, Transition transition,
                              const CaseTransition& t, v1::Case& resp) {
    const auto probe = ExplainRefusedWrite(db, t.case_id, call.caller.organization, t.expected_version);
    if (!Apply(static_cast<CaseState>(probe.state), transition))
      throw IllegalTransition(static_cast<CaseState>(probe.state), transition);
    rt_.clients->team->RegisterCases({db, call}, Registration("cases/" + t.case_id, OrganizationName(probe.owner_org),
                                                              "clients/" + probe.client_id,
                                                              static_cast<int>(CaseState::kActive), call.caller.person));
    {
      pqxx::work tx(db);
      if (ChangeState(tx, call, t, resp)) return tx.commit();
    }
    throw WhyRefused(db, call, transition, t);
  }

  // TeamService elsewhere, away from ACTIVE: the case first, marked as not yet confirmed by
  // TeamService; until TeamService learns the new state it stays stricter (it keeps refusing to let
  // the coordinator go). The reconciler re-sends what a failure leaves.
  void TransitThenTellRemoteTeam(const Call& call, pqxx::connection& db, Transition transition,
                                 const CaseTransition& t, v1::Case& resp) {
    bool changed = false;
    {
      pqxx::work tx(db);
      changed = ChangeState(tx, call, t, resp);
      if (changed) {
        MarkTeamSyncPending(tx, t.case_id, CaseVersion(resp));
        tx.commit();
      }
    }
    if (!changed) throw WhyRefused(db, call, transition, t);
    try {
      rt_.clients->team->RegisterCases({db, call}, RegistrationOf(resp, call.caller.person));
    } catch (const StatusError& e) {
      // The case's new state is committed; the reconciler tells TeamService later.
      spdlog::warn("team_sync_deferred code={} request_id={}", static_cast<int>(e.status().error_code()),
                   call.request_id);
      return;
    }
    ClearTeamSyncPending(db, t.case_id, CaseVersion(resp));
  }

  // Re-sends to TeamService (in another process) the cases whose registration is unconfirmed: a
  // create or state change whose call to TeamService failed, or whose process stopped in between.
  void SendDueTeamSyncs(pqxx::connection& db) {
    Call reconciler;
    reconciler.request_id = "team-sync";
    std::size_t sent = 0, failed = 0;
    for (const auto& d : DueTeamSyncs(db, kTeamSyncMinAgeSeconds, kTeamSyncBatch)) {
      reconciler.deadline = std::chrono::system_clock::now() + Peers::kCallTimeout;
      try {
        rt_.clients->team->RegisterCases({db, reconciler}, Registration("cases/" + d.case_id, OrganizationName(d.owner_org),
                                                                        "clients/" + d.client_id, d.state,
                                                                        d.created_by));
      } catch (const StatusError&) {
        ++failed;  // stays marked: tried again next round
        continue;
      }
      ClearTeamSyncPending(db, d.case_id, d.version);
      ++sent;
    }
    if (sent + failed > 0) spdlog::info("team_sync_reconciled sent={} failed={}", sent, failed);
  }

  // Where TeamService is hosted here, the batch's cases and their registrations commit together.
  // Elsewhere the cases commit first, each marked as not yet confirmed by TeamService; the marks
  // are cleared once TeamService registered them (a failure answers UNAVAILABLE TEAM_UNAVAILABLE;
  // a retry with the same request_id, or the reconciler, completes it).
  void CreateCases(pqxx::connection& db, std::vector<CaseCreate>& batch) {
    auto& team = *rt_.clients->team;
    const Call& first = batch.front().call.call();
    team::v1::RegisterCasesRequest registrations;
    std::vector<CaseCreate*> created;
    for (auto& item : batch)
      item.status = RunMapped("CreateCase", [&] {
        BindRequestId(db, "cases", item.call.call(), item.request.request_id.value_or(""), item.fingerprint);
      });
    {
      pqxx::work tx(db);
      for (auto& item : batch) {
        if (!item.status.ok()) continue;
        if (!InsertCase(tx, item.request, *item.response)) {
          item.status = Error::FailedPrecondition("CLIENT_NOT_FOUND",
                                                  "case.client does not name a client of your organisation").ToStatus();
          continue;
        }
        registrations.MergeFrom(RegistrationOf(*item.response, item.call.call().caller.person));
        created.push_back(&item);
      }
      if (created.empty()) return;
      if (team.SharesTransactions()) {
        team.RegisterCases({db, first, &tx}, registrations);
        tx.commit();
        return;
      }
      for (const auto* item : created) MarkTeamSyncPending(tx, CaseId(*item->response), CaseVersion(*item->response));
      tx.commit();
    }
    try {
      team.RegisterCases({db, first}, registrations);
    } catch (const StatusError& e) {
      spdlog::warn("team_register_failed code={} cases={}", static_cast<int>(e.status().error_code()), created.size());
      for (auto* item : created)
        item->status = Error::Unavailable("TEAM_UNAVAILABLE", "the case was saved but its team could not be set up; "
                                                              "retry with the same request_id").ToStatus();
      return;
    }
    for (const auto* item : created) ClearTeamSyncPending(db, CaseId(*item->response), CaseVersion(*item->response));
  }

  void ReadCases(pqxx::connection& db, std::vector<CaseRead>& batch) {
    std::vector<consent::AccessGate::Question> reads;
    for (const auto& item : batch) reads.push_back(access_.For(item.call.call(), item.case_id));
    const auto verdicts = DecideReads(batch.front().call.call(), db, std::move(reads));
    std::vector<std::string> permitted;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].status = verdicts.cases[i];
      if (verdicts.cases[i].ok()) permitted.push_back(batch[i].case_id);
    }
    if (permitted.empty()) return;
    const auto found = GetCases(db, permitted);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& item = batch[i];
      if (!item.status.ok()) continue;
      const auto it = found.find(item.case_id);
      if (it == found.end()) {
        item.status = CaseNotFound().ToStatus();
        continue;
      }
      item.response->CopyFrom(it->second);
      ShowIdentityOnlyIf(verdicts.identities[i], *item.response);
    }
  }

  // Keeps the listed cases the caller may read, each with its client's identity where that is
  // permitted.
  void KeepReadable(const Call& call, pqxx::connection& db, google::protobuf::RepeatedPtrField<v1::Case>& cases) {
    std::vector<consent::AccessGate::Question> reads;
    for (const auto& c : cases) reads.push_back(access_.For(call, CaseId(c)));
    const auto verdicts = DecideReads(call, db, std::move(reads));
    google::protobuf::RepeatedPtrField<v1::Case> kept;
    for (int i = 0; i < cases.size(); ++i) {
      if (!verdicts.cases[static_cast<std::size_t>(i)].ok()) continue;
      ShowIdentityOnlyIf(verdicts.identities[static_cast<std::size_t>(i)], *cases.Mutable(i));
      kept.Add(std::move(*cases.Mutable(i)));
    }
    cases.Swap(&kept);
  }

  // The client summary in a case is data of its own category, IDENTITY_AND_CONTACT: a partner's
  // consent may cover the case and not the client's identity. Every read of a case is decided for
  // both, in one batch (one round trip to the decision and the log), each logged under its
  // category. Writes need not: only the owner writes, and a case's client is the owner's own
  // client record (GetClient).
  struct ReadVerdicts {
    std::vector<grpc::Status> cases, identities;  // one each per read asked, in order
  };
  ReadVerdicts DecideReads(const Call& call, pqxx::connection& db, std::vector<consent::AccessGate::Question> reads) {
    const std::size_t n = reads.size();
    for (std::size_t i = 0; i < n; ++i) {
      auto identity = reads[i];
      identity.category = kruispunt::consent::v1::DATA_CATEGORY_IDENTITY_AND_CONTACT;
      reads.push_back(std::move(identity));
    }
    auto verdicts = access_.Verdicts(call, db, reads);
    return {{verdicts.begin(), verdicts.begin() + static_cast<std::ptrdiff_t>(n)},
            {verdicts.begin() + static_cast<std::ptrdiff_t>(n), verdicts.end()}};
  }
  static void ShowIdentityOnlyIf(const grpc::Status& identity_verdict, v1::Case& answer) {
    if (identity_verdict.ok()) return;
    answer.clear_client_summary();
    answer.add_withheld_categories(kruispunt::consent::v1::DATA_CATEGORY_IDENTITY_AND_CONTACT);
  }

  // Returns when the decision permits the caller to change the case (only its owner may; the
  // change is logged); else throws the denial.
  void RequireWriteAccess(const Call& call, pqxx::connection& db, const std::string& case_id) {
    access_.Require(call, db, access_.For(call, case_id, kruispunt::consent::v1::ACTION_WRITE));
  }

  static Error IllegalTransition(CaseState state, Transition transition) {
    return Error(grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION",
                 "cannot " + std::string(Name(transition)) + " a case that is " + std::string(Name(state)),
                 {}, {{"state", std::string(Name(state))}, {"transition", std::string(Name(transition))}});
  }

  static std::string CaseId(const v1::Case& c) { return c.name().substr(std::string_view("cases/").size()); }

  Runtime& rt_;
  consent::AccessGate access_;
  Batcher<CaseRead> reads_;
  Batcher<CaseCreate> creates_;
  std::unique_ptr<Periodic> reconciler_;  // last: stopped first, before the members it uses
};

}  // namespace

ServiceModule CaseServiceModule() {
  RegisterConstraintError("uniq_client_insz_per_org",
                          Error::AlreadyExists("CLIENT_ALREADY_EXISTS",
                                               "your organisation already registered a client with this INSZ"));
  return ServiceModule{
      v1::CaseService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<CaseServiceImpl>(runtime); },
      {team::v1::TeamService::service_full_name(), kruispunt::consent::v1::ConsentService::service_full_name()},
      [](PeerClients& clients) { clients.cases = std::make_shared<LocalCaseClient>(); },
      [](Runtime& runtime) { return std::make_unique<CaseInternalServiceImpl>(runtime); }, {}};  // no jobs
}

}  // namespace kp::cases
