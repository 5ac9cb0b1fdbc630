#include "cases/grpc/case_service.h"

#include "cases/domain/case_access.h"
#include "cases/grpc/case_validation.h"
#include "common/coalescer.h"
#include "common/page_token.h"

namespace kp::cases {

const kp::MigrationSet& Migrations();  // generated from services/cases/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

Error CaseNotFound() {
  return Error::NotFound("CASE_NOT_FOUND", "no such case, or not visible to your organisation");
}
Error ClientNotFound() {
  return Error::NotFound("CLIENT_NOT_FOUND", "no such client, or not visible to your organisation");
}

// Decodes page_size and page_token, collecting their violations.
struct Page {
  int size;
  int64_t after;
  uint64_t fingerprint;
};
Page DecodePage(int32_t page_size, const std::string& token, const std::string& filters) {
  Violations v;
  Page page{NormalizePageSize(v, "page_size", page_size), 0, FilterFingerprint(filters)};
  if (!token.empty()) {
    auto after = DecodePageToken(token, page.fingerprint);
    if (!after) v.Add("page_token", "is not a token from this list with these filters");
    else page.after = *after;
  }
  v.ThrowIfAny();
  return page;
}

std::string NextToken(std::optional<int64_t> last, const Page& page) {
  return last ? EncodePageToken(*last, page.fingerprint) : std::string{};
}

// Up to kMaxBatch concurrent GetCase (or CreateCase) calls share one round trip (one commit),
// in at most kMaxParallelBatches batches at once, leaving the other workers for other calls.
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

// One statement reads every case of the batch; each caller sees only what it may read.
void ReadCases(pqxx::connection& db, std::vector<CaseRead>& batch) {
  std::vector<std::string> ids;
  for (const auto& item : batch) ids.push_back(item.case_id);
  const auto found = GetCases(db, ids);
  for (auto& item : batch) {
    auto it = found.find(item.case_id);
    if (it == found.end() || !MayReadCase(item.call.call().caller.organization, it->second.owner_organization())) {
      item.call.Finish(CaseNotFound().ToStatus());
      continue;
    }
    item.response->CopyFrom(it->second);
    item.call.Finish(grpc::Status::OK);
  }
}

// Inserts one case in tx; the status the caller gets for it.
grpc::Status CreateOne(pqxx::transaction_base& tx, const CaseCreate& item) {
  if (InsertCase(tx, item.request, *item.response)) return grpc::Status::OK;
  return Error::FailedPrecondition("CLIENT_NOT_FOUND",
                                   "case.client does not name a client of your organisation").ToStatus();
}

// The batch's inserts share one transaction and so one commit (one WAL flush). Should the shared
// transaction fail, each create runs again on its own, so one bad call cannot fail the others.
void CreateCases(pqxx::connection& db, std::vector<CaseCreate>& batch) {
  std::vector<grpc::Status> results;
  if (batch.size() > 1) {
    try {
      pqxx::work tx(db);
      for (const auto& item : batch) results.push_back(CreateOne(tx, item));
      tx.commit();
    } catch (const pqxx::broken_connection&) {
      throw;  // outcome unknown: every call gets UNAVAILABLE; a retry with its request_id is safe
    } catch (const pqxx::in_doubt_error&) {
      throw;
    } catch (const pqxx::statement_completion_unknown&) {
      throw;
    } catch (const pqxx::failure&) {
      results.clear();  // rolled back: nothing of the batch was written
    }
  }
  if (results.size() != batch.size()) {
    results.clear();
    for (const auto& item : batch) {
      grpc::Status created;
      const grpc::Status ran = RunMapped(item.call.method(), [&] {
        pqxx::nontransaction tx(db);
        created = CreateOne(tx, item);
      });
      results.push_back(ran.ok() ? created : ran);
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].call.Finish(results[i]);
}

class CaseServiceImpl final : public v1::CaseService::CallbackService {
 public:
  explicit CaseServiceImpl(Runtime& runtime)
      : rt_(runtime), reads_(*runtime.db, kMaxBatch, kMaxParallelBatches, ReadCases),
        creates_(*runtime.db, kMaxBatch, kMaxParallelBatches, CreateCases) {}

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

  ServerUnaryReactor* ListCases(CallbackServerContext* ctx, const v1::ListCasesRequest* req,
                                v1::ListCasesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListCases", [req, resp](const Call& call, pqxx::connection& db) {
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
    });
  }

  ServerUnaryReactor* UpdateCase(CallbackServerContext* ctx, const v1::UpdateCaseRequest* req,
                                 v1::Case* resp) override {
    return ServeUnary(rt_, ctx, "UpdateCase", [req, resp](const Call& call, pqxx::connection& db) {
      const auto update = ValidateUpdateCase(*req);
      const auto& org = call.caller.organization;
      if (cases::UpdateCase(db, update.case_id, org, update.changes, update.expected_version, *resp))
        return;
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
    return ServeUnary(rt_, ctx, "ListCaseStatusChanges", [req, resp](const Call& call, pqxx::connection& db) {
      const auto id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "changes|" + id);
      auto probe = ProbeCase(db, id);
      if (!probe || !MayReadCase(call.caller.organization, probe->owner_org)) throw CaseNotFound();
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

  ServerUnaryReactor* TransitionRpc(CallbackServerContext* ctx, const char* method,
                                    Transition transition, const v1::TransitionCaseRequest* req,
                                    v1::Case* resp) {
    return ServeUnary(rt_, ctx, method, [transition, req, resp](const Call& call, pqxx::connection& db) {
      const auto t = ValidateTransition(*req, transition);
      const auto& org = call.caller.organization;
      if (TransitionCase(db, t.case_id, org, t.allowed_from, t.to_state, t.reason,
                         t.expected_version, call.caller.person, *resp))
        return;
      const auto state = static_cast<CaseState>(ExplainRefusedWrite(db, t.case_id, org, t.expected_version).state);
      throw Error(grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION",
                  "cannot " + std::string(Name(transition)) + " a case that is " +
                      std::string(Name(state)),
                  {}, {{"state", std::string(Name(state))}, {"transition", std::string(Name(transition))}});
    });
  }

  Runtime& rt_;
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
      [](Runtime& runtime) { return std::make_unique<CaseServiceImpl>(runtime); }};
}

}  // namespace kp::cases
