#include "referrals/grpc/referral_service.h"

#include <algorithm>

#include "careplan/client/careplan_client.h"
#include "cases/client/case_client.h"
#include "common/calendar.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "consent/client/access_gate.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "referrals/client/referral_client.h"
#include "referrals/repo/referral_repository.h"
#include "socialmap/client/socialmap_client.h"
#include "team/client/team_client.h"

namespace kp::referrals {

const kp::MigrationSet& Migrations();  // generated from services/referrals/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using std::chrono::year_month_day;
namespace consent_v1 = kruispunt::consent::v1;

// One answer for a referral that does not exist and for one the caller may not know of.
Error ReferralNotFound() { return Error::NotFound("REFERRAL_NOT_FOUND", "no such referral"); }

year_month_day Today() { return BelgianDate(std::chrono::system_clock::now()); }

std::string DueAfter(year_month_day from, int working_days) { return IsoText(AddWorkingDays(from, working_days)); }

Actor ActorOf(const Call& call) { return {call.caller.organization, call.caller.person}; }

// CountReferralDemand, for the gRPC handler and LocalReferralClient alike.
void CountReferralDemandOn(pqxx::connection& db, const v1::CountReferralDemandRequest& req,
                           v1::CountReferralDemandResponse& resp) {
  CountDemand(db, ValidateCountDemand(req), resp);
}

// ReadReferralChanges (the change feed's read), for the gRPC handler and LocalReferralClient alike.
void ReadReferralChangesOn(pqxx::connection& db, const v1::ReadReferralChangesRequest& req,
                           v1::ReadReferralChangesResponse& resp) {
  std::optional<std::string> received_by;
  if (!req.received_by().empty()) {
    received_by = ParseOrganizationName(req.received_by());
    if (!received_by) throw Error::InvalidField("received_by", "must be 'organizations/{id}'");
  }
  ReadChangesAfter(db, HistoryReadCaseIds(req), received_by, req.after().transaction(), req.after().position(),
                   req.horizon(), req.limit(), resp);
}

// DescribeReferralOutcome (the care plan's read), for the gRPC handler and LocalReferralClient alike.
void DescribeReferralOutcomeOn(pqxx::connection& db, const v1::DescribeReferralOutcomeRequest& req,
                               v1::DescribeReferralOutcomeResponse& resp) {
  const auto key = RequireReferralName(req.referral(), "referral");
  pqxx::nontransaction tx(db);
  const auto found = GetReferral(tx, key.case_id, key.referral_id, Today());
  if (!found) return;
  resp.set_found(true);
  *resp.mutable_goals() = found->referral.goals();
  resp.set_status(found->referral.status());
  resp.set_outcome(found->referral.outcome());
  resp.set_receiving_organization(found->referral.receiving_organization());
}

class LocalReferralClient final : public ReferralClient {
 public:
  v1::CountReferralDemandResponse CountReferralDemand(const PeerContext& context,
                                                      const v1::CountReferralDemandRequest& request) override {
    v1::CountReferralDemandResponse response;
    CountReferralDemandOn(context.db, request, response);
    return response;
  }
  v1::ReadReferralChangesResponse ReadReferralChanges(const PeerContext& context,
                                                      const v1::ReadReferralChangesRequest& request) override {
    v1::ReadReferralChangesResponse response;
    ReadReferralChangesOn(context.db, request, response);
    return response;
  }
  v1::DescribeReferralOutcomeResponse DescribeReferralOutcome(
      const PeerContext& context, const v1::DescribeReferralOutcomeRequest& request) override {
    v1::DescribeReferralOutcomeResponse response;
    DescribeReferralOutcomeOn(context.db, request, response);
    return response;
  }
};

class ReferralServiceImpl final : public v1::ReferralService::CallbackService {
 public:
  explicit ReferralServiceImpl(Runtime& runtime)
      : rt_(runtime), access_(runtime, v1::ReferralService::service_full_name(), consent_v1::DATA_CATEGORY_CASE) {}

  ServerUnaryReactor* CreateReferral(CallbackServerContext* ctx, const v1::CreateReferralRequest* req,
                                     v1::Referral* resp) override {
    return ServeUnary(rt_, ctx, "CreateReferral", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto n = ValidateCreateReferral(*req);
      // One cannot pass on what one may not read: the caller's own access to each kind of data first.
      std::vector<consent::AccessGate::Question> reads, receives;
      for (int category : n.shared_categories) {
        reads.push_back(access_.For(call, n.case_id));
        reads.back().category = static_cast<consent_v1::DataCategory>(category);
        receives.push_back(reads.back());
        receives.back().org = n.receiving_org;
        receives.back().action = consent_v1::ACTION_RECEIVE;
      }
      access_.RequireAll(call, db, reads);
      const auto team = team::DescribeTeams(*rt_.clients->team, {db, call}, {TeamQuery(call, n.case_id)}).front();
      team::RequireCaseOpen(team.case_state());
      if (n.proposed_mandate != 0 && !team.person_may_manage_team())
        throw Error::PermissionDenied("NOT_TEAM_MANAGER",
                                      "only who may change the team proposes a mandate to join it: the care "
                                      "coordinator, or a participant whose mandate includes MANAGE_TEAM");
      RequireReceiverInDirectory(call, db, n.receiving_org);
      RequireServiceOnMap(call, db, n);
      RequireGoals(call, db, n);
      // Then the disclosure itself: the client's consent must name the receiver for each.
      access_.RequireAll(call, db, receives);
      BindRequestId(db, "referrals", call, req->request_id(), RequestFingerprint(*req));
      const auto today = Today();
      pqxx::work tx(db);
      LockCaseHistory(tx, n.case_id);  // before any write: the feed reads in commit order
      *resp = InsertReferral(tx, n, ActorOf(call), DueAfter(today, n.answer_days), today).referral;
      tx.commit();
    });
  }

  ServerUnaryReactor* GetReferral(CallbackServerContext* ctx, const v1::GetReferralRequest* req,
                                  v1::Referral* resp) override {
    return ServeUnary(rt_, ctx, "GetReferral", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto key = RequireReferralName(req->name(), "name");
      bool as_receiver = false;
      const auto found = Readable(call, db, key, &as_receiver);
      *resp = found.referral;
      if (as_receiver && Shares(found, consent_v1::DATA_CATEGORY_IDENTITY_AND_CONTACT)) {
        // Permitted with the other shared categories by Readable: the receiver learns who the client is.
        kruispunt::cases::v1::DescribeCaseClientRequest question;
        question.set_case_("cases/" + found.case_id);
        auto described = rt_.clients->cases->DescribeCaseClient({db, call}, question);
        if (described.found()) *resp->mutable_client() = std::move(*described.mutable_client());
      }
    });
  }

  ServerUnaryReactor* ListReferrals(CallbackServerContext* ctx, const v1::ListReferralsRequest* req,
                                    v1::ListReferralsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListReferrals", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "referrals|" + case_id);
      access_.RequireOrNotFound(call, db, access_.For(call, case_id));
      std::vector<StoredReferral> found;
      resp->set_next_page_token(NextToken(ListCaseReferrals(db, case_id, page.after, page.size, Today(), found), page));
      for (auto& r : found) *resp->add_referrals() = std::move(r.referral);
    });
  }

  ServerUnaryReactor* ListIncomingReferrals(CallbackServerContext* ctx, const v1::ListIncomingReferralsRequest* req,
                                            v1::ListReferralsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListIncomingReferrals", [this, req, resp](const Call& call, pqxx::connection& db) {
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "incoming|" + call.caller.organization + (req->open_only() ? "|open" : "|all"));
      std::vector<StoredReferral> found;
      resp->set_next_page_token(NextToken(kp::referrals::ListIncomingReferrals(db, call.caller.organization,
                                                                               req->open_only(), page.after,
                                                                               page.size, Today(), found),
                                          page));
      // Each referral's disclosure decided again (and logged): one whose consent no longer names
      // the caller's organisation is left out, so a page may come out short.
      std::vector<consent::AccessGate::Question> questions;
      for (const auto& r : found)
        for (const auto& q : ReceiveQuestions(call, r)) questions.push_back(q);
      const auto verdicts = access_.Verdicts(call, db, questions);
      std::size_t next = 0;
      for (auto& r : found) {
        bool permitted = true;
        for (std::size_t k = 0; k < r.shared_categories.size(); ++k) permitted = verdicts[next++].ok() && permitted;
        if (permitted) *resp->add_referrals() = std::move(r.referral);
      }
    });
  }

  ServerUnaryReactor* AcceptReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                     v1::Referral* resp) override {
    return Serve(ctx, "AcceptReferral", Change::kAccept, req, resp);
  }
  ServerUnaryReactor* WaitlistReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                       v1::Referral* resp) override {
    return Serve(ctx, "WaitlistReferral", Change::kWaitlist, req, resp);
  }
  ServerUnaryReactor* RejectReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                     v1::Referral* resp) override {
    return Serve(ctx, "RejectReferral", Change::kReject, req, resp);
  }
  ServerUnaryReactor* StartReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                    v1::Referral* resp) override {
    return Serve(ctx, "StartReferral", Change::kStart, req, resp);
  }
  ServerUnaryReactor* CompleteReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                       v1::Referral* resp) override {
    return Serve(ctx, "CompleteReferral", Change::kComplete, req, resp);
  }
  ServerUnaryReactor* FailReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                   v1::Referral* resp) override {
    return Serve(ctx, "FailReferral", Change::kFail, req, resp);
  }
  ServerUnaryReactor* CancelReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                     v1::Referral* resp) override {
    return Serve(ctx, "CancelReferral", Change::kCancel, req, resp);
  }
  ServerUnaryReactor* HoldReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                   v1::Referral* resp) override {
    return Serve(ctx, "HoldReferral", Change::kHold, req, resp);
  }
  ServerUnaryReactor* ResumeReferral(CallbackServerContext* ctx, const v1::ChangeReferralRequest* req,
                                     v1::Referral* resp) override {
    return Serve(ctx, "ResumeReferral", Change::kResume, req, resp);
  }

  ServerUnaryReactor* ListReferralChanges(CallbackServerContext* ctx, const v1::ListReferralChangesRequest* req,
                                          v1::ListReferralChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListReferralChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto key = RequireReferralName(req->parent(), "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "changes|" + req->parent());
      Readable(call, db, key);
      resp->set_next_page_token(NextToken(
          kp::referrals::ListReferralChanges(db, key.case_id, key.referral_id, page.after, page.size, *resp), page));
    });
  }

  ServerUnaryReactor* RecordUnmetNeed(CallbackServerContext* ctx, const v1::RecordUnmetNeedRequest* req,
                                      v1::UnmetNeed* resp) override {
    return ServeUnary(rt_, ctx, "RecordUnmetNeed", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto need = ValidateRecordUnmetNeed(*req);
      access_.RequireOrNotFound(call, db, access_.For(call, need.case_id));
      InsertUnmetNeed(db, need, ActorOf(call), *resp);
    });
  }

 private:
  static kruispunt::team::v1::TeamQuery TeamQuery(const Call& call, const std::string& case_id) {
    kruispunt::team::v1::TeamQuery q;
    q.set_case_("cases/" + case_id);
    q.set_organization(call.caller.organization);
    q.set_person(call.caller.person);
    return q;
  }

  // The disclosure of a referral to its receiver, one question per kind of data it shares, asked
  // for the caller of the receiving organisation.
  std::vector<consent::AccessGate::Question> ReceiveQuestions(const Call& call, const StoredReferral& r) const {
    std::vector<consent::AccessGate::Question> questions;
    for (int category : r.shared_categories) {
      questions.push_back(access_.For(call, r.case_id, consent_v1::ACTION_RECEIVE));
      questions.back().category = static_cast<consent_v1::DataCategory>(category);
    }
    return questions;
  }

  // Whether the receiving organisation may be given the referral now (each decision logged).
  bool ReceiverMayRead(const Call& call, pqxx::connection& db, const StoredReferral& r) {
    if (call.caller.organization != r.receiving_org) return false;
    for (const auto& verdict : access_.Verdicts(call, db, ReceiveQuestions(call, r)))
      if (!verdict.ok()) return false;
    return true;
  }

  bool TeamMayRead(const Call& call, pqxx::connection& db, const StoredReferral& r) {
    return access_.Verdicts(call, db, {access_.For(call, r.case_id)}).front().ok();
  }

  static bool Shares(const StoredReferral& r, consent_v1::DataCategory category) {
    return std::find(r.shared_categories.begin(), r.shared_categories.end(), category) != r.shared_categories.end();
  }

  // The referral, for the receiving organisation while its consent holds (then *as_receiver is
  // set), or for whoever may read the case; else the NOT_FOUND of a missing referral.
  StoredReferral Readable(const Call& call, pqxx::connection& db, const ReferralKey& key, bool* as_receiver = nullptr) {
    std::optional<StoredReferral> found;
    {
      pqxx::nontransaction tx(db);
      found = kp::referrals::GetReferral(tx, key.case_id, key.referral_id, Today());
    }
    if (!found) throw ReferralNotFound();
    if (ReceiverMayRead(call, db, *found)) {
      if (as_receiver) *as_receiver = true;
      return *found;
    }
    if (TeamMayRead(call, db, *found)) return *found;
    throw ReferralNotFound();
  }

  // Who may make `change`: the receiving organisation's people while the consent names it, for
  // its answers; the referring organisation's people while they may read the case, for the
  // referring side's. The one place this is decided.
  void RequireSide(const Call& call, pqxx::connection& db, Change change, const StoredReferral& r) {
    if (SideOf(change) == Side::kReceiver) {
      if (ReceiverMayRead(call, db, r)) return;
      if (TeamMayRead(call, db, r))
        throw Error::PermissionDenied("NOT_RECEIVER", "only the receiving organisation answers a referral");
      throw ReferralNotFound();
    }
    if (call.caller.organization == r.receiving_org && call.caller.organization != r.referring_org)
      throw Error::PermissionDenied("NOT_REFERRER", "only the referring organisation cancels or holds a referral");
    if (!TeamMayRead(call, db, r)) throw ReferralNotFound();
    if (call.caller.organization != r.referring_org)
      throw Error::PermissionDenied("NOT_REFERRER", "only the referring organisation cancels or holds a referral");
  }

  ServerUnaryReactor* Serve(CallbackServerContext* ctx, const char* method, Change change,
                            const v1::ChangeReferralRequest* req, v1::Referral* resp) {
    return ServeUnary(rt_, ctx, method, [this, change, req, resp](const Call& call, pqxx::connection& db) {
      const auto request = ValidateChangeReferral(*req, change);
      const auto today = Today();
      std::optional<StoredReferral> seen;
      {
        pqxx::nontransaction tx(db);
        seen = kp::referrals::GetReferral(tx, request.key.case_id, request.key.referral_id, today);
      }
      if (!seen) throw ReferralNotFound();
      // Decided (and logged) before the change's transaction: the decision runs on this connection.
      RequireSide(call, db, change, *seen);
      RequireAllowed(change, request, *seen);
      // A TeamService in another process commits a join itself, and takes the case's history lock
      // to do so: it is asked before this transaction takes that lock (a retry gets the same
      // participant back). Hosted here, the join is part of this transaction.
      std::optional<std::string> participant_id;
      const bool join_first = request.join_as && !rt_.clients->team->SharesTransactions();
      if (join_first) participant_id = Join(call, db, nullptr, *seen, *request.join_as);
      pqxx::work tx(db);
      LockCaseHistory(tx, request.key.case_id);  // before the row lock, which is a write
      const auto current = kp::referrals::GetReferral(tx, request.key.case_id, request.key.referral_id, today, /*for_update=*/true);
      if (current->version != seen->version)
        throw Error::Aborted("REFERRAL_CHANGED", "the referral changed while you changed it; try again");
      const auto next = After(change, current->standing, request.outcome);
      // Resuming a referral still unanswered gives the receiver its working days again.
      std::string due = current->due_iso;
      if (change == Change::kResume && current->standing.status == Status::kRequested)
        due = DueAfter(today, current->answer_days);
      if (request.join_as && !join_first) participant_id = Join(call, db, &tx, *current, *request.join_as);
      *resp = ChangeReferral(tx, *current, next, request.reason, due, participant_id, ActorOf(call), today).referral;
      tx.commit();
    });
  }

  // The change's etag and the referral's standing allow it.
  static void RequireAllowed(Change change, const ChangeRequest& request, const StoredReferral& referral) {
    if (request.etag && *request.etag != referral.version)
      throw Error::Aborted("ETAG_MISMATCH", "the referral changed since you read it; read it again");
    if (const auto refusal = Refusal(change, referral.standing))
      throw Error::FailedPrecondition(std::string(*refusal), RefusalMessage(*refusal));
  }

  static std::string RefusalMessage(std::string_view refusal) {
    if (refusal == "REFERRAL_CLOSED") return "the referral is closed: rejected, completed, cancelled or failed";
    if (refusal == "REFERRAL_ON_HOLD") return "the referral is on hold at the client's pace; it is resumed first";
    if (refusal == "REFERRAL_NOT_ON_HOLD") return "the referral is not on hold";
    return "the referral's status does not allow this change (see the method's description)";
  }

  // The receiver's professional joins the team with the proposed mandate: in `tx`, the acceptance's
  // transaction, when TeamService is hosted here; else TeamService commits the join itself, and a
  // retried acceptance gets the same participant back (one join per referral).
  std::string Join(const Call& call, pqxx::connection& db, pqxx::transaction_base* tx, const StoredReferral& r,
                   const std::string& person_key) {
    if (r.proposed_mandate.empty())
      throw Error::InvalidField("join_as", "the referral proposes no mandate to join the team with");
    if (person_key.rfind(r.receiving_org + "/", 0) != 0)
      throw Error::InvalidField("join_as", "must be a professional of the receiving organisation");
    kruispunt::team::v1::JoinFromReferralRequest join;
    join.set_referral(r.referral.name());
    join.set_person(team::PersonName(person_key));
    for (int p : r.proposed_mandate) join.add_mandate(static_cast<kruispunt::team::v1::Permission>(p));
    join.add_life_domains(static_cast<kruispunt::type::v1::LifeDomain>(r.life_domain));
    join.set_accepted_by_organization(call.caller.organization);
    join.set_accepted_by_person(call.caller.person);
    const auto participant = rt_.clients->team->JoinFromReferral({db, call, tx}, join);
    return participant.name().substr(participant.name().rfind('/') + 1);
  }

  void RequireReceiverInDirectory(const Call& call, pqxx::connection& db, const std::string& org_id) {
    const auto found = team::FindOrganizations(*rt_.clients->team, {db, call}, {org_id});
    const auto org = found.find(org_id);
    if (org == found.end())
      throw Error::FailedPrecondition("ORGANIZATION_NOT_FOUND", "no such organisation in the partner directory");
    if (!org->second.active())
      throw Error::FailedPrecondition("ORGANIZATION_INACTIVE", "the receiving organisation is no longer active");
  }

  // A referral to a service names one on the social map that is still offered. One closed for a
  // while may be referred to: its answer may be a waiting list.
  void RequireServiceOnMap(const Call& call, pqxx::connection& db, const NewReferral& n) {
    if (!n.service_id) return;
    kruispunt::socialmap::v1::DescribeServiceRequest question;
    question.set_service("organizations/" + n.receiving_org + "/services/" + *n.service_id);
    const auto service = rt_.clients->socialmap->DescribeService({db, call}, question);
    if (!service.found())
      throw Error::FailedPrecondition("SERVICE_NOT_FOUND", "the receiving organisation has no such service on the social map");
    if (service.status() == kruispunt::socialmap::v1::SERVICE_STATUS_INACTIVE)
      throw Error::FailedPrecondition("SERVICE_INACTIVE", "the service is no longer offered");
  }

  void RequireGoals(const Call& call, pqxx::connection& db, const NewReferral& n) {
    if (n.goal_ids.empty()) return;
    const auto exist = careplan::GoalsExist(*rt_.clients->careplan, {db, call}, n.case_id, n.goal_ids);
    Violations v;
    for (std::size_t i = 0; i < exist.size(); ++i)
      if (!exist[i]) v.Add("referral.goals[" + std::to_string(i) + "]", "is no goal of this case's care plan");
    v.ThrowIfAny();
  }

  Runtime& rt_;
  consent::AccessGate access_;
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class ReferralInternalServiceImpl final : public v1::ReferralInternalService::CallbackService {
 public:
  explicit ReferralInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* CountReferralDemand(CallbackServerContext* ctx, const v1::CountReferralDemandRequest* req,
                                          v1::CountReferralDemandResponse* resp) override {
    return ServeUnary(rt_, ctx, "CountReferralDemand", [req, resp](const Call&, pqxx::connection& db) {
      CountReferralDemandOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* ReadReferralChanges(CallbackServerContext* ctx, const v1::ReadReferralChangesRequest* req,
                                          v1::ReadReferralChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ReadReferralChanges", [req, resp](const Call&, pqxx::connection& db) {
      ReadReferralChangesOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* DescribeReferralOutcome(CallbackServerContext* ctx, const v1::DescribeReferralOutcomeRequest* req,
                                              v1::DescribeReferralOutcomeResponse* resp) override {
    return ServeUnary(rt_, ctx, "DescribeReferralOutcome", [req, resp](const Call&, pqxx::connection& db) {
      DescribeReferralOutcomeOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule ReferralServiceModule() {
  return ServiceModule{v1::ReferralService::service_full_name(), &Migrations(), Statements(),
                       [](Runtime& runtime) { return std::make_unique<ReferralServiceImpl>(runtime); },
                       {kruispunt::cases::v1::CaseService::service_full_name(),
                        kruispunt::team::v1::TeamService::service_full_name(),
                        kruispunt::consent::v1::ConsentService::service_full_name(),
                        kruispunt::careplan::v1::CarePlanService::service_full_name(),
                        kruispunt::socialmap::v1::SocialMapService::service_full_name()},
                       [](PeerClients& clients) { clients.referrals = std::make_shared<LocalReferralClient>(); },
                       [](Runtime& runtime) { return std::make_unique<ReferralInternalServiceImpl>(runtime); },
                       {}};  // no jobs
}

}  // namespace kp::referrals
