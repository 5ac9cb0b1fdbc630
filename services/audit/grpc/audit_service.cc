#include "audit/grpc/audit_service.h"

#include "audit/repo/audit_repository.h"
#include "common/coalescer.h"
#include "common/page_token.h"
#include "common/pg_values.h"
#include "common/validation.h"
#include "consent/client/consent_client.h"

namespace kp::audit {

const kp::MigrationSet& Migrations();  // generated from services/audit/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace consent_v1 = kruispunt::consent::v1;

// Concurrent RecordDecisions calls share one insert and one commit.
constexpr std::size_t kMaxBatch = 64;
constexpr std::size_t kMaxParallelBatches = 2;

struct Record {
  PendingCall call;
  std::vector<NewEntry> entries;
  v1::RecordDecisionsResponse* response;
};

void AppendBatch(pqxx::connection& db, std::vector<Record>& batch, Coalescer<Record>::Slot) {
  std::vector<NewEntry> all;
  for (const auto& r : batch) all.insert(all.end(), r.entries.begin(), r.entries.end());
  const auto seqs = AppendEntries(db, all);
  std::size_t next = 0;
  for (auto& r : batch) {
    for (std::size_t i = 0; i < r.entries.size(); ++i) r.response->add_names("accessLog/" + std::to_string(seqs.at(next++)));
    r.call.Finish(grpc::Status::OK);
  }
}

std::vector<NewEntry> ValidateEntries(const v1::RecordDecisionsRequest& req, const Identity& caller) {
  RequireService(caller, "only Kruispunt's services write the access log");
  std::vector<NewEntry> entries;
  Violations v;
  for (int i = 0; i < req.entries_size(); ++i) {
    const auto& e = req.entries(i);
    const std::string at = "entries[" + std::to_string(i) + "]";
    NewEntry n;
    auto case_id = ParseResourceName(e.case_(), "cases");
    if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
    else n.case_id = *case_id;
    if (!IsValidPrincipalId(e.organization())) v.Add(at + ".organization", "must be an organisation id");
    if (!IsValidPrincipalId(e.person())) v.Add(at + ".person", "must be a person id");
    if (!IsValidPrincipalId(e.request_id())) v.Add(at + ".request_id", "must be a request id");
    v.Text(at + ".rpc", e.rpc(), 1, 200);
    for (const auto& c : e.consents()) {
      auto consent = ParseChildName(c, "consents");
      if (!consent || !case_id || consent->first != *case_id) v.Add(at + ".consents", "must be consents of the case");
      else n.consent_ids.push_back(consent->second);
    }
    n.organization = e.organization();
    n.person = e.person();
    n.category = e.category();
    n.action = e.action();
    n.purpose = e.purpose();
    n.decision = e.decision();
    n.ground = e.ground();
    n.deny_reason = e.deny_reason();
    n.rpc = e.rpc();
    n.request_id = e.request_id();
    entries.push_back(std::move(n));
  }
  v.ThrowIfAny();
  return entries;
}

class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  explicit AuditServiceImpl(Runtime& runtime)
      : rt_(runtime), consent_(*runtime.peers), appends_(*runtime.db, kMaxBatch, kMaxParallelBatches, AppendBatch) {}

  ServerUnaryReactor* RecordDecisions(CallbackServerContext* ctx, const v1::RecordDecisionsRequest* req,
                                      v1::RecordDecisionsResponse* resp) override {
    return BeginCall(rt_, ctx, "RecordDecisions", [this, req, resp](PendingCall call) {
      std::vector<NewEntry> entries;
      if (!Guarded(call, [&] {
            entries = ValidateEntries(*req, call.call().caller);
          }))
        return;
      if (entries.empty()) return call.Finish(grpc::Status::OK);
      appends_.Add(Record{call, std::move(entries), resp});
    }, Callers::kOrganizationsAndPlatform);
  }

  // The log of a case is the client's data too: only the organisation that owns the case reads
  // it (for the client's right of access), and that read is itself decided and logged.
  ServerUnaryReactor* ListCaseAccessLog(CallbackServerContext* ctx, const v1::ListCaseAccessLogRequest* req,
                                        v1::ListAccessLogResponse* resp) override {
    return BeginCall(rt_, ctx, "ListCaseAccessLog", [this, req, resp](PendingCall call) {
      LogFilter filter;
      Page page{};
      if (!Guarded(call, [&] {
            filter.case_id = RequireName(req->parent(), "cases", "parent");
            page = DecodePage(req->page_size(), req->page_token(), "log|" + *filter.case_id);
          }))
        return;
      const auto& c = call.call();
      auto q = consent::CaseQuestion(*filter.case_id, c.caller.organization, c.caller.person,
                                     consent_v1::DATA_CATEGORY_CASE, consent_v1::ACTION_READ,
                                     "kruispunt.audit.v1.AuditService/ListCaseAccessLog", c.request_id);
      consent_.BatchCheckAccess({q}, [this, call, filter, page, resp](const grpc::Status& status,
                                                                     const std::vector<consent_v1::AccessDecision>& d) {
        if (!status.ok()) return call.Finish(consent::ConsentClient::ForCaller(status));
        if (d[0].ground() != consent_v1::GROUND_OWNER)
          return call.Finish(Error::NotFound("CASE_NOT_FOUND", "no such case, or not owned by your organisation").ToStatus());
        RunOnWorker(rt_, call, [filter, page, resp](const Call&, pqxx::connection& db) {
          resp->set_next_page_token(NextToken(ListEntries(db, filter, page.after, page.size, *resp), page));
        });
      });
    });
  }

  ServerUnaryReactor* SearchAccessLog(CallbackServerContext* ctx, const v1::SearchAccessLogRequest* req,
                                      v1::ListAccessLogResponse* resp) override {
    return ServeUnary(rt_, ctx, "SearchAccessLog", [req, resp](const Call& call, pqxx::connection& db) {
      if (call.caller.role != "dpo")
        throw Error::PermissionDenied("DPO_ONLY", "the whole access log is for a data-protection officer");
      LogFilter filter;
      Violations v;
      if (!req->organization().empty()) {
        if (!IsValidPrincipalId(req->organization())) v.Add("organization", "must be an organisation id");
        filter.organization = req->organization();
      }
      if (req->has_start_time()) filter.start_micros = Micros(req->start_time());
      if (req->has_end_time()) filter.end_micros = Micros(req->end_time());
      if (filter.start_micros && filter.end_micros && *filter.end_micros <= *filter.start_micros)
        v.Add("end_time", "must be after start_time");
      if (req->decision() != consent_v1::DECISION_UNSPECIFIED) {
        if (!consent_v1::Decision_IsValid(req->decision())) v.Add("decision", "must be PERMIT or DENY");
        filter.decision = req->decision();
      }
      v.ThrowIfAny();
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "search|" + filter.organization.value_or("") + "|" +
                                       std::to_string(filter.start_micros.value_or(0)) + "|" +
                                       std::to_string(filter.end_micros.value_or(0)) + "|" +
                                       std::to_string(filter.decision.value_or(0)));
      resp->set_next_page_token(NextToken(ListEntries(db, filter, page.after, page.size, *resp), page));
    }, Callers::kOrganizationsAndPlatform);
  }

 private:
  Runtime& rt_;
  consent::ConsentClient consent_;
  Coalescer<Record> appends_;
};

}  // namespace

ServiceModule AuditServiceModule() {
  return ServiceModule{
      v1::AuditService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<AuditServiceImpl>(runtime); },
      {kruispunt::consent::v1::ConsentService::service_full_name()}};
}

}  // namespace kp::audit
