#include "cases/grpc/case_service.h"

#include <spdlog/spdlog.h>

#include "consent/client/access_gate.h"
#include "cases/grpc/case_validation.h"
#include "team/client/team_client.h"
#include "common/coalescer.h"
#include "common/page_token.h"

namespace kp::cases {

const kp::MigrationSet& Migrations();  // generated from services/cases/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using team::TeamClient;

Error ClientNotFound() {
  return Error::NotFound("CLIENT_NOT_FOUND", "no such client, or not visible to your organisation");
}

// Up to kMaxBatch concurrent GetCase (or CreateCase) calls share one round trip (one commit),
// in at most kMaxParallelBatches batches in flight at once (a read batch until its decisions are
// in, a create batch until TeamService registered its cases), leaving the other workers for
// other calls.
constexpr std::size_t kMaxBatch = 32;
constexpr std::size_t kMaxParallelBatches = 2;

struct CaseRead {
  PendingCall call;
  std::string case_id;
  v1::Case* response;
};

struct CaseCreate {
  PendingCall call;
  NewCase request;
  v1::Case* response;
};

// Inserts one case in tx; the status the caller gets for it.
grpc::Status CreateOne(pqxx::transaction_base& tx, const CaseCreate& item) {
  if (InsertCase(tx, item.request, *item.response)) return grpc::Status::OK;
  return Error::FailedPrecondition("CLIENT_NOT_FOUND",
                                   "case.client does not name a client of your organisation").ToStatus();
}

// Each create on its own, committed at once: the fallback when a shared transaction failed.
std::vector<grpc::Status> InsertEach(pqxx::connection& db, const std::vector<CaseCreate>& batch) {
  std::vector<grpc::Status> results;
  for (const auto& item : batch) {
    grpc::Status created;
    const grpc::Status ran = RunMapped(item.call.method(), [&] {
      pqxx::nontransaction tx(db);
      created = CreateOne(tx, item);
    });
    results.push_back(ran.ok() ? created : ran);
  }
  return results;
}

// The answer to the callers of created cases once both the cases' commit and TeamService's
// registration are known.
grpc::Status CreatedAnswer(const grpc::Status& cases, const grpc::Status& team, std::size_t count) {
  if (!cases.ok()) {
    if (team.ok()) spdlog::warn("case_commit_failed_after_team_registration cases={}", count);
    return cases;
  }
  if (team.ok()) return grpc::Status::OK;
  spdlog::warn("team_register_failed code={} cases={}", static_cast<int>(team.error_code()), count);
  return Error::Unavailable("TEAM_UNAVAILABLE",
                            "the case was saved but its team could not be set up; retry with the "
                            "same request_id").ToStatus();
}

// Waits for two outcomes (the cases' commit, the team's registration), then answers the callers.
class CreateJoin {
 public:
  explicit CreateJoin(std::vector<PendingCall> calls) : calls_(std::move(calls)) {}
  void CasesDone(const grpc::Status& status) { Done(&cases_, status); }
  void TeamDone(const grpc::Status& status) { Done(&team_, status); }

 private:
  void Done(grpc::Status* slot, const grpc::Status& status) {
    {
      std::lock_guard lock(mutex_);
      *slot = status;
      if (--pending_ > 0) return;
    }
    const auto answer = CreatedAnswer(cases_, team_, calls_.size());
    for (auto& call : calls_) call.Finish(answer);
  }

  std::mutex mutex_;
  int pending_ = 2;
  grpc::Status cases_, team_;
  std::vector<PendingCall> calls_;
};

// What TeamService is told of a case: its owner, client and state.
team::v1::CaseRegistration Registration(const std::string& case_name, const std::string& owner_org,
                                        const std::string& client_name, int state,
                                        const std::string& person) {
  team::v1::CaseRegistration r;
  r.set_case_(case_name);
  r.set_owner_organization("organizations/" + owner_org);
  r.set_client(client_name);
  r.set_case_state(state);
  r.set_created_by_person(person);
  return r;
}

class CaseServiceImpl final : public v1::CaseService::CallbackService {
 public:
  explicit CaseServiceImpl(Runtime& runtime)
      : rt_(runtime), team_(*runtime.peers), consent_(*runtime.peers), access_(consent_, v1::CaseService::service_full_name(), kruispunt::consent::v1::DATA_CATEGORY_CASE),
        reads_(*runtime.db, kMaxBatch, kMaxParallelBatches,
               [this](pqxx::connection& db, std::vector<CaseRead>& batch, Coalescer<CaseRead>::Slot slot) {
                 ReadCases(db, batch, std::move(slot));
               }),
        creates_(*runtime.db, kMaxBatch, kMaxParallelBatches,
                 [this](pqxx::connection& db, std::vector<CaseCreate>& batch, Coalescer<CaseCreate>::Slot slot) {
                   CreateCases(db, batch, std::move(slot));
                 }) {}

  ServerUnaryReactor* CreateClient(CallbackServerContext* ctx, const v1::CreateClientRequest* req,
                                   v1::Client* resp) override {
    return ServeUnary(rt_, ctx, "CreateClient", [req, resp](const Call& call, pqxx::connection& db) {
      const NewClient client = ValidateCreateClient(*req, call.caller);
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

  ServerUnaryReactor* CreateCase(CallbackServerContext* ctx, const v1::CreateCaseRequest* req,
                                 v1::Case* resp) override {
    return ServeCoalesced(rt_, ctx, "CreateCase", creates_, [req, resp](const PendingCall& call) {
      return CaseCreate{call, ValidateCreateCase(*req, call.call().caller), resp};
    });
  }

  ServerUnaryReactor* GetCase(CallbackServerContext* ctx, const v1::GetCaseRequest* req,
                              v1::Case* resp) override {
    return ServeCoalesced(rt_, ctx, "GetCase", reads_, [req, resp](const PendingCall& call) {
      return CaseRead{call, RequireName(req->name(), "cases", "name"), resp};
    });
  }

  // Lists the cases the caller's organisation owns; the read of each listed case is decided and
  // logged like any other read before the page is answered.
  ServerUnaryReactor* ListCases(CallbackServerContext* ctx, const v1::ListCasesRequest* req,
                                v1::ListCasesResponse* resp) override {
    return BeginCall(rt_, ctx, "ListCases", [this, req, resp](PendingCall pending) {
      RunOnWorkerThen(rt_, pending, [req, resp](const Call& call, pqxx::connection& db) {
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
      auto last = cases::ListCases(db, call.caller.organization, filter, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
      }, [this, resp](PendingCall listed) {
        // A listed case whose read is denied is left out (one created a moment ago may not be
        // known to its team yet).
        access_.KeepPermitted(listed, resp->mutable_cases(),
                              [](const v1::Case& c) { return c.name().substr(std::string_view("cases/").size()); });
      });
    });
  }

  ServerUnaryReactor* UpdateCase(CallbackServerContext* ctx, const v1::UpdateCaseRequest* req,
                                 v1::Case* resp) override {
    return BeginCall(rt_, ctx, "UpdateCase", [this, req, resp](PendingCall pending) {
      auto update = std::make_shared<CaseUpdate>();
      if (!Guarded(pending, [&] {
            *update = ValidateUpdateCase(*req);
          }))
        return;
      AfterWriteAccess(pending, update->case_id, [this, update, resp](PendingCall allowed) {
        RunOnWorker(rt_, allowed, [update, resp](const Call& call, pqxx::connection& db) {
          const auto& org = call.caller.organization;
          if (cases::UpdateCase(db, update->case_id, org, update->changes, update->expected_version, *resp))
            return;
          ExplainRefusedWrite(db, update->case_id, org, update->expected_version);
          throw Error::FailedPrecondition("CASE_CLOSED", "a closed case cannot be edited; reopen it first");
        });
      });
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
    return BeginCall(rt_, ctx, "ListCaseStatusChanges", [this, req, resp](PendingCall pending) {
      std::string id;
      Page page{};
      if (!Guarded(pending, [&] {
            id = RequireName(req->parent(), "cases", "parent");
            page = DecodePage(req->page_size(), req->page_token(), "changes|" + id);
          }))
        return;
      access_.Decide({access_.For(pending, id)}, [this, id, page, resp, pending](std::size_t, const grpc::Status& verdict) {
        if (!verdict.ok()) return pending.Finish(verdict);
        RunOnWorker(rt_, pending, [id, page, resp](const Call&, pqxx::connection& db) {
          auto last = ListStatusChanges(db, id, page.after, page.size, *resp);
          resp->set_next_page_token(NextToken(last, page));
        });
      });
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

  ServerUnaryReactor* TransitionRpc(CallbackServerContext* ctx, const char* method,
                                    Transition transition, const v1::TransitionCaseRequest* req,
                                    v1::Case* resp) {
    return BeginCall(rt_, ctx, method, [this, transition, req, resp](PendingCall begun) {
      std::string case_id;
      if (!Guarded(begun, [&] {
            case_id = ValidateTransition(*req, transition).case_id;
          }))
        return;
      AfterWriteAccess(begun, case_id, [this, transition, req, resp](PendingCall allowed) {
        Transit(allowed, transition, req, resp);
      });
    });
  }

  // A case may become active only with a care coordinator in its team, a rule TeamService
  // keeps. So the order of the two writes is chosen so that a failure between them leaves the
  // team stricter, never looser: towards ACTIVE, TeamService first (it refuses without a
  // coordinator); away from ACTIVE, the case first, then TeamService learns the new state (until
  // it does, it keeps refusing to let the coordinator go).
  void Transit(const PendingCall& pending, Transition transition, const v1::TransitionCaseRequest* req,
               v1::Case* resp) {
    auto commit = [transition, req, resp](const Call& call, pqxx::connection& db) {
      const auto t = ValidateTransition(*req, transition);
      const auto& org = call.caller.organization;
      if (TransitionCase(db, t.case_id, org, t.allowed_from, t.to_state, t.reason,
                         t.expected_version, call.caller.person, *resp))
        return;
      const auto probe = ExplainRefusedWrite(db, t.case_id, org, t.expected_version);
      throw IllegalTransition(static_cast<CaseState>(probe.state), transition);
    };
    if (RuleFor(transition).to != CaseState::kActive) {
      RunOnWorkerThen(rt_, pending, commit, [this, resp](PendingCall done) {
        auto registration = Registration(resp->name(), resp->owner_organization(), resp->client(),
                                         resp->state(), done.call().caller.person);
        team_.RegisterCases({registration}, [done](const grpc::Status& status) {
          // The case's new state is committed; the team stays stricter until it learns it.
          if (!status.ok())
            spdlog::warn("team_sync_failed code={} request_id={}", static_cast<int>(status.error_code()),
                         done.call().request_id);
          done.Finish(grpc::Status::OK);
        });
      });
      return;
    }
    auto registration = std::make_shared<team::v1::CaseRegistration>();
    RunOnWorkerThen(rt_, pending, [transition, req, registration](const Call& call, pqxx::connection& db) {
      const auto t = ValidateTransition(*req, transition);
      const auto probe = ExplainRefusedWrite(db, t.case_id, call.caller.organization, t.expected_version);
      if (!Apply(static_cast<CaseState>(probe.state), transition))
        throw IllegalTransition(static_cast<CaseState>(probe.state), transition);
      *registration = Registration("cases/" + t.case_id, probe.owner_org, "clients/" + probe.client_id,
                                   static_cast<int>(CaseState::kActive), call.caller.person);
    }, [this, registration, commit](PendingCall checked) {
      team_.RegisterCases({*registration}, [this, checked, commit](const grpc::Status& status) {
        if (!status.ok()) return checked.Finish(TeamClient::ForCaller(status));
        RunOnWorker(rt_, checked, commit);
      });
    });
  }

  // Runs `then` once the decision permits the caller to change the case (only its owner may; the
  // change is logged); else finishes the call.
  void AfterWriteAccess(const PendingCall& pending, const std::string& case_id, std::function<void(PendingCall)> then) {
    access_.Then(pending, access_.For(pending, case_id, kruispunt::consent::v1::ACTION_WRITE), std::move(then));
  }

  static Error IllegalTransition(CaseState state, Transition transition) {
    return Error(grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION",
                 "cannot " + std::string(Name(transition)) + " a case that is " + std::string(Name(state)),
                 {}, {{"state", std::string(Name(state))}, {"transition", std::string(Name(transition))}});
  }

  // One statement reads every case of the batch; each caller gets it only if it may read it. The
  // batch keeps its slot until the decisions are in.
  void ReadCases(pqxx::connection& db, std::vector<CaseRead>& batch, Coalescer<CaseRead>::Slot slot) {
    std::vector<std::string> ids;
    for (const auto& item : batch) ids.push_back(item.case_id);
    const auto found = GetCases(db, ids);
    std::vector<consent::AccessGate::Question> questions;
    auto calls = std::make_shared<std::vector<PendingCall>>();
    for (auto& item : batch) {
      auto it = found.find(item.case_id);
      if (it == found.end()) {
        item.call.Finish(CaseNotFound().ToStatus());
        continue;
      }
      item.response->CopyFrom(it->second);  // sent only if access is granted
      questions.push_back(access_.For(item.call, item.case_id));
      calls->push_back(item.call);
    }
    access_.Decide(questions, [calls, slot](std::size_t i, const grpc::Status& verdict) { (*calls)[i].Finish(verdict); });
  }

  // Creates the batch's cases and has TeamService register them (each client as the first
  // participant) before answering: a case is never reported created without its team. The
  // batch's inserts share one transaction, so one commit (one WAL flush); the registration is
  // sent once the rows are written but before they are committed, so that the cases' commit and
  // the team's overlap instead of adding up. Should the cases' commit then fail, TeamService keeps
  // a registration of a case that does not exist; nobody can reach it, as its id was never handed
  // out. Should the shared transaction fail, each create runs again on its own, so one bad call
  // cannot fail the others.
  // The batch keeps its slot until TeamService answered.
  void CreateCases(pqxx::connection& db, std::vector<CaseCreate>& batch, Coalescer<CaseCreate>::Slot slot) {
    std::vector<grpc::Status> results;
    std::optional<pqxx::work> tx;
    try {
      tx.emplace(db);
      for (const auto& item : batch) results.push_back(CreateOne(*tx, item));
    } catch (const pqxx::broken_connection&) {
      throw;  // outcome unknown: every call gets UNAVAILABLE; a retry with its request_id is safe
    } catch (const pqxx::statement_completion_unknown&) {
      throw;
    } catch (const pqxx::failure&) {
      tx.reset();  // rolled back: nothing of the batch was written
    }
    if (!tx) {
      RegisterAndFinish(batch, InsertEach(db, batch), std::move(slot));
      return;
    }
    std::vector<team::v1::CaseRegistration> registrations;
    std::vector<PendingCall> created;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!results[i].ok()) {
        batch[i].call.Finish(results[i]);
        continue;
      }
      registrations.push_back(RegistrationOf(batch[i]));
      created.push_back(batch[i].call);
    }
    if (created.empty()) return;  // nothing written; the transaction rolls back
    auto join = std::make_shared<CreateJoin>(std::move(created));
    team_.RegisterCases(std::move(registrations), [join, slot](const grpc::Status& status) { join->TeamDone(status); });
    grpc::Status committed = grpc::Status::OK;
    try {
      tx->commit();
    } catch (...) {
      committed = StatusFromException(std::current_exception(), "CreateCase");
    }
    join->CasesDone(committed);
  }

  // Registers the cases that were created (committed already) and then answers every caller.
  void RegisterAndFinish(std::vector<CaseCreate>& batch, const std::vector<grpc::Status>& results,
                         Coalescer<CaseCreate>::Slot slot) {
    std::vector<team::v1::CaseRegistration> registrations;
    auto created = std::make_shared<std::vector<PendingCall>>();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!results[i].ok()) {
        batch[i].call.Finish(results[i]);
        continue;
      }
      registrations.push_back(RegistrationOf(batch[i]));
      created->push_back(batch[i].call);
    }
    if (created->empty()) return;
    team_.RegisterCases(std::move(registrations), [created, slot](const grpc::Status& status) {
      const auto answer = CreatedAnswer(grpc::Status::OK, status, created->size());
      for (auto& call : *created) call.Finish(answer);
    });
  }

  static team::v1::CaseRegistration RegistrationOf(const CaseCreate& item) {
    const auto& c = *item.response;
    return Registration(c.name(), c.owner_organization(), c.client(), c.state(), item.call.call().caller.person);
  }

  Runtime& rt_;
  TeamClient team_;
  consent::ConsentClient consent_;
  consent::AccessGate access_;
  Coalescer<CaseRead> reads_;
  Coalescer<CaseCreate> creates_;
};

}  // namespace

ServiceModule CaseServiceModule() {
  RegisterConstraintError("uniq_client_insz_per_org",
                          Error::AlreadyExists("CLIENT_ALREADY_EXISTS",
                                               "your organisation already registered a client with this INSZ"));
  return ServiceModule{
      v1::CaseService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<CaseServiceImpl>(runtime); },
      {team::v1::TeamService::service_full_name(), kruispunt::consent::v1::ConsentService::service_full_name()}};
}

}  // namespace kp::cases
