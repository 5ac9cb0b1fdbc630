#include "feed/grpc/feed_service.h"

#include <algorithm>
#include <set>

#include "agreements/client/agreement_client.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "consent/client/access_gate.h"
#include "feed/domain/feed_cursor.h"
#include "kruispunt/feed/v1/feed.grpc.pb.h"
#include "team/client/team_client.h"

namespace kp::feed {

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace v1 = kruispunt::feed::v1;
namespace agreements_v1 = kruispunt::agreements::v1;
namespace consent_v1 = kruispunt::consent::v1;

const std::vector<PreparedStatement> kStatements = {
    // Every transaction below it has ended: no change can still commit there (feed_cursor.h).
    {"feed.commit_horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"},
};

v1::ChangeKind KindOf(agreements_v1::EventKind kind) {
  switch (kind) {
    case agreements_v1::EVENT_KIND_PROPOSED: return v1::CHANGE_KIND_AGREEMENT_PROPOSED;
    case agreements_v1::EVENT_KIND_ANSWERED: return v1::CHANGE_KIND_AGREEMENT_ANSWERED;
    case agreements_v1::EVENT_KIND_WITHDRAWN: return v1::CHANGE_KIND_AGREEMENT_ACCEPTANCE_WITHDRAWN;
    case agreements_v1::EVENT_KIND_AMENDED: return v1::CHANGE_KIND_AGREEMENT_AMENDED;
    case agreements_v1::EVENT_KIND_ENDED: return v1::CHANGE_KIND_AGREEMENT_ENDED;
    default: return v1::CHANGE_KIND_UNSPECIFIED;
  }
}

// A page token: the cursor after the page's last change, bound to the request's filters.
std::string PageToken(const FeedCursor& cursor, uint64_t fingerprint) {
  return std::to_string(fingerprint) + "~" + EncodeCursor(cursor);
}
std::optional<FeedCursor> CursorOfPageToken(const std::string& token, uint64_t fingerprint) {
  const auto tilde = token.find('~');
  if (tilde == std::string::npos || token.substr(0, tilde) != std::to_string(fingerprint)) return std::nullopt;
  return DecodeCursor(std::string_view(token).substr(tilde + 1));
}

// A request, validated.
struct Question {
  std::string case_id;  // empty: every case of the organisation
  std::set<v1::ChangeKind> kinds;  // empty: every kind
  FeedCursor from;
  int page_size = 0;
  uint64_t fingerprint = 0;
};

Question Validate(const v1::ListChangesRequest& req, const std::string& org) {
  Violations v;
  Question q;
  if (req.parent() != "organizations/" + org) {
    if (req.parent().rfind("organizations/", 0) != 0 || req.parent().size() == std::string_view("organizations/").size())
      throw Error::InvalidField("parent", "is organizations/{id}, your own organisation");
    throw Error::PermissionDenied("NOT_YOUR_ORGANIZATION", "an organisation reads only its own changes");
  }
  if (!req.after_cursor().empty()) {
    if (const auto cursor = DecodeCursor(req.after_cursor())) q.from = *cursor;
    else v.Add("after_cursor", "is not a cursor of the change feed");
  }
  std::string kinds_key;
  for (int i = 0; i < req.kinds_size(); ++i) {
    const auto kind = req.kinds(i);
    if (kind == v1::CHANGE_KIND_UNSPECIFIED || !v1::ChangeKind_IsValid(kind)) {
      v.Add("kinds[" + std::to_string(i) + "]", "is not a kind of change");
      continue;
    }
    q.kinds.insert(static_cast<v1::ChangeKind>(kind));
  }
  for (const auto kind : q.kinds) kinds_key += std::to_string(kind) + ",";
  if (!req.case_().empty()) {
    if (const auto id = ParseResourceName(req.case_(), "cases")) q.case_id = *id;
    else v.Add("case", "is cases/{uuid}");
  }
  q.page_size = NormalizePageSize(v, "page_size", req.page_size());
  v.ThrowIfAny();
  q.fingerprint = FilterFingerprint("feed|" + req.parent() + "|" + req.after_cursor() + "|" + kinds_key + "|" + q.case_id);
  if (!req.page_token().empty()) {
    const auto cursor = CursorOfPageToken(req.page_token(), q.fingerprint);
    if (!cursor) throw Error::InvalidField("page_token", "is not a token from this list with these filters");
    q.from = *cursor;
  }
  return q;
}

class FeedServiceImpl final : public v1::FeedService::CallbackService {
 public:
  explicit FeedServiceImpl(Runtime& runtime)
      : rt_(runtime), agreements_access_(runtime, v1::FeedService::service_full_name(), consent_v1::DATA_CATEGORY_AGREEMENTS) {}

  // The horizon first, then the organisation's cases, then each source's changes after the cursor
  // and below the horizon: every transaction below the horizon ended before the sources read, so
  // they see all of its changes. Then the access decision for each case the page names, logged,
  // at the moment of delivery: content where it permits, "withheld" where not.
  ServerUnaryReactor* ListChanges(CallbackServerContext* ctx, const v1::ListChangesRequest* req,
                                  v1::ListChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      const Question q = Validate(*req, call.caller.organization);
      const int64_t horizon = pqxx::nontransaction(db).exec_prepared1("feed.commit_horizon")[0].as<int64_t>();
      auto cases = team::OrganizationCases(*rt_.clients->team, {db, call}, call.caller.organization);
      if (!q.case_id.empty()) {
        // A case the organisation is not part of reads as one without changes: nothing tells
        // whether it exists.
        const bool ours = std::find(cases.begin(), cases.end(), q.case_id) != cases.end();
        cases = ours ? std::vector<std::string>{q.case_id} : std::vector<std::string>{};
      }
      FeedCursor next = q.from;
      bool more = false;
      if (!cases.empty()) {
        agreements_v1::ReadLogChangesRequest read;
        for (const auto& id : cases) read.add_cases("cases/" + id);
        const auto [after_transaction, after_position] = q.from.AfterIn(Source::kAgreements);
        read.mutable_after()->set_transaction(after_transaction);
        read.mutable_after()->set_position(after_position);
        read.set_horizon(horizon);
        read.set_limit(q.page_size + 1);
        auto log = rt_.clients->agreements->ReadLogChanges({db, call}, read);
        more = log.changes_size() > q.page_size;
        for (int i = 0; i < std::min(log.changes_size(), q.page_size); ++i) {
          auto& change = *log.mutable_changes(i);
          next = {change.position().transaction(), static_cast<int>(Source::kAgreements), change.position().position()};
          const auto kind = KindOf(change.entry().kind());
          if (!q.kinds.empty() && !q.kinds.count(kind)) continue;  // passed over, the cursor moves on
          Deliver(change, kind, EncodeCursor(next), *resp->add_changes());
        }
      }
      // Everything below the horizon is read: continue there (a cursor never moves back).
      if (!more) next = std::max(next, FeedCursor::AtHorizon(horizon));
      resp->set_next_page_token(more ? PageToken(next, q.fingerprint) : "");
      resp->set_cursor(EncodeCursor(next));
      WithholdWhatMayNotBeRead(call, db, *resp->mutable_changes());
    });
  }

 private:
  static void Deliver(agreements_v1::LogChange& change, v1::ChangeKind kind, std::string cursor, v1::Change& out) {
    auto& entry = *change.mutable_entry();
    const auto case_name = entry.agreement().substr(0, entry.agreement().find("/agreements/"));
    out.set_id(case_name + "/agreementLog/" + std::to_string(entry.sequence()));
    out.set_cursor(std::move(cursor));
    out.set_case_(case_name);
    out.set_kind(kind);
    out.set_resource(entry.agreement());
    out.set_actor_organization(change.actor_organization());
    out.set_actor_person(change.actor_person());
    *out.mutable_time() = entry.event_time();
    out.set_category(consent_v1::DATA_CATEGORY_AGREEMENTS);
    *out.mutable_agreement_log_entry() = std::move(entry);
  }

  // One decision per case of the page (logged by ConsentService as a read through ListChanges);
  // a change of a case whose agreements the caller may not read now keeps its place, without
  // content.
  void WithholdWhatMayNotBeRead(const Call& call, pqxx::connection& db,
                                google::protobuf::RepeatedPtrField<v1::Change>& changes) {
    const auto permitted = agreements_access_.Permitted(
        call, db, changes, [](const v1::Change& c) { return *ParseResourceName(c.case_(), "cases"); });
    for (std::size_t k = 0; k < permitted.size(); ++k) {
      if (permitted[k]) continue;
      auto& change = *changes.Mutable(static_cast<int>(k));
      change.clear_content();
      change.set_withheld(true);
    }
  }

  Runtime& rt_;
  consent::AccessGate agreements_access_;
};

}  // namespace

ServiceModule FeedServiceModule() {
  return ServiceModule{v1::FeedService::service_full_name(), nullptr, kStatements,
                       [](Runtime& runtime) { return std::make_unique<FeedServiceImpl>(runtime); },
                       {kruispunt::team::v1::TeamService::service_full_name(),
                        consent_v1::ConsentService::service_full_name(),
                        agreements_v1::AgreementService::service_full_name()},
                       nullptr, nullptr, {}};  // no other service calls the feed; no jobs
}

}  // namespace kp::feed
