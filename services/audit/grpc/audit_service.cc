#include "audit/grpc/audit_service.h"

#include <spdlog/spdlog.h>

#include "audit/repo/access_log_expiry.h"
#include "audit/repo/audit_repository.h"
#include "common/metrics.h"
#include "common/page_token.h"
#include "common/periodic.h"
#include "common/pg_values.h"
#include "common/validation.h"
#include "audit/client/audit_client.h"
#include "consent/client/consent_client.h"

namespace kp::audit {

const kp::MigrationSet& Migrations();  // generated from services/audit/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace consent_v1 = kruispunt::consent::v1;

std::vector<NewEntry> ValidateEntries(const v1::RecordDecisionsRequest& req) {
  std::vector<NewEntry> entries;
  Violations v;
  for (int i = 0; i < req.entries_size(); ++i) {
    const auto& e = req.entries(i);
    const std::string at = "entries[" + std::to_string(i) + "]";
    NewEntry n;
    auto case_id = ParseResourceName(e.case_(), "cases");
    if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
    else n.case_id = *case_id;
    const auto organization = ParseOrganizationName(e.organization());
    if (!organization) v.Add(at + ".organization", "must be 'organizations/{id}'");
    if (!IsValidPrincipalId(e.person())) v.Add(at + ".person", "must be a person id");
    if (!IsValidPrincipalId(e.request_id())) v.Add(at + ".request_id", "must be a request id");
    v.Text(at + ".rpc", e.rpc(), 1, 200);
    for (const auto& c : e.consents()) {
      auto consent = ParseChildName(c, "consents");
      if (!consent || !case_id || consent->first != *case_id) v.Add(at + ".consents", "must be consents of the case");
      else n.consent_ids.push_back(consent->second);
    }
    n.organization = organization.value_or("");
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

// RecordDecisions, for the gRPC handler and the local client alike: the entries in one insert.
void RecordDecisionsOn(pqxx::connection& db, const v1::RecordDecisionsRequest& req, v1::RecordDecisionsResponse& resp) {
  const auto entries = ValidateEntries(req);
  if (entries.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  const auto ids = AppendEntries(db, entries);
  auto& metrics = ProcessMetrics();
  metrics.ObserveLogAppend(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  for (const auto& e : entries)
    metrics.CountDecision(consent_v1::Decision_Name(e.decision), consent_v1::Ground_Name(e.ground),
                          consent_v1::DenyReason_Name(e.deny_reason));
  for (std::size_t i = 0; i < ids.size(); ++i) resp.add_names(EntryName(entries[i].case_id, ids[i]));
}

class LocalAuditClient final : public AuditClient {
 public:
  v1::RecordDecisionsResponse RecordDecisions(const PeerContext& context, const v1::RecordDecisionsRequest& request) override {
    v1::RecordDecisionsResponse response;
    RecordDecisionsOn(context.db, request, response);
    return response;
  }
};

// How often the service makes sure the access log has its partitions for the months ahead: at
// start (soon, not at once: the pool may still be connecting), then hourly, so that a month
// never begins without one while a server runs.
constexpr std::chrono::seconds kPartitionsFirst{1};
constexpr std::chrono::hours kPartitionsEvery{1};

class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  explicit AuditServiceImpl(Runtime& runtime)
      : rt_(runtime), partitions_(kPartitionsFirst, kPartitionsEvery, [this] { KeepPartitionsAhead(); }) {}


  // The log of a case is the client's data too: only the organisation that owns the case reads
  // it (for the client's right of access), and that read is itself decided and logged.
  ServerUnaryReactor* ListCaseAccessLog(CallbackServerContext* ctx, const v1::ListCaseAccessLogRequest* req,
                                        v1::ListAccessLogResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListCaseAccessLog", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "log-by-time|" + case_id);
      consent_v1::BatchCheckAccessRequest question;
      *question.add_questions() = consent::CaseQuestion(case_id, call.caller.organization, call.caller.person,
                                                        consent_v1::DATA_CATEGORY_CASE, consent_v1::ACTION_READ,
                                                        "kruispunt.audit.v1.AuditService/ListCaseAccessLog",
                                                        call.request_id);
      const auto decided = rt_.clients->consent->BatchCheckAccess({db, call}, question);
      RequireOneAnswerEach(decided.decisions_size(), 1, "the consent service");
      if (decided.decisions(0).ground() != consent_v1::GROUND_OWNER)
        throw Error::NotFound("CASE_NOT_FOUND", "no such case, or not owned by your organisation");
      resp->set_next_page_token(NextToken(ListCaseEntries(db, case_id, page, *resp), page));
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
        filter.organization = ParseOrganizationName(req->organization());
        if (!filter.organization) v.Add("organization", "must be 'organizations/{id}'");
      }
      const TimeWindow window = ParseTimeWindow(v, *req);
      filter.start_micros = window.start_micros;
      filter.end_micros = window.end_micros;
      if (req->decision() != consent_v1::DECISION_UNSPECIFIED) {
        if (!consent_v1::Decision_IsValid(req->decision())) v.Add("decision", "must be PERMIT or DENY");
        filter.decision = req->decision();
      }
      v.ThrowIfAny();
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "search-by-time|" + filter.organization.value_or("") + "|" +
                                       std::to_string(filter.start_micros.value_or(0)) + "|" +
                                       std::to_string(filter.end_micros.value_or(0)) + "|" +
                                       std::to_string(filter.decision.value_or(0)));
      resp->set_next_page_token(NextToken(SearchEntries(db, filter, page, *resp), page));
    }, Callers::kOrganizationsAndPlatform);
  }

 private:
  // Creates the partitions due, and reports how far ahead they reach (metric and alert
  // kruispunt_access_log_months_ahead): a failure is retried next hour, months before it matters.
  void KeepPartitionsAhead() {
    rt_.db->Submit([](DbPool::Session& session) {
      int created = 0;
      const auto status = RunMapped("CreatePartitionsAhead", [&] { created = CreatePartitionsAhead(session.conn()); });
      if (!status.ok()) spdlog::error("access_log_partitions_failed code={}", static_cast<int>(status.error_code()));
      else if (created > 0) spdlog::info("access_log_partitions_created count={}", created);
      RunMapped("MonthsAhead", [&] { ProcessMetrics().SetAccessLogMonthsAhead(MonthsAhead(session.conn())); });
    });
  }

  Runtime& rt_;
  Periodic partitions_;  // last: stopped first, before the members it uses
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class AuditInternalServiceImpl final : public v1::AuditInternalService::CallbackService {
 public:
  explicit AuditInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* RecordDecisions(CallbackServerContext* ctx, const v1::RecordDecisionsRequest* req,
                                      v1::RecordDecisionsResponse* resp) override {
    return ServeUnary(rt_, ctx, "RecordDecisions", [req, resp](const Call&, pqxx::connection& db) {
      RecordDecisionsOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule AuditServiceModule() {
  return ServiceModule{
      v1::AuditService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<AuditServiceImpl>(runtime); },
      {kruispunt::consent::v1::ConsentService::service_full_name()},
      [](PeerClients& clients) { clients.audit = std::make_shared<LocalAuditClient>(); },
      [](Runtime& runtime) { return std::make_unique<AuditInternalServiceImpl>(runtime); },
      {{"expire-access-log",
        "removes, whole, the access log's months older than --access-log-retention-months, after exporting them "
        "to --access-log-archive-dir when set, and records each removal",
        [](pqxx::connection& owner, const Config& config) {
          ExpireAccessLog(owner, config.access_log_retention_months, config.access_log_archive_dir);
        }}}};
}

}  // namespace kp::audit
