#include "agreements/grpc/agreement_service.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <set>

#include <spdlog/spdlog.h>

#include "agreements/client/agreement_client.h"
#include "agreements/domain/agreement_log.h"
#include "agreements/domain/agreement_rules.h"
#include "agreements/grpc/agreement_validation.h"
#include "careplan/client/careplan_client.h"
#include "common/metrics.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "common/pg_values.h"
#include "consent/client/access_gate.h"
#include "kruispunt/agreements/v1/agreements.grpc.pb.h"
#include "kruispunt/agreements/v1/agreements_internal.grpc.pb.h"
#include "team/client/team_client.h"

namespace kp::agreements {

const kp::MigrationSet& Migrations();  // generated from services/agreements/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace consent_v1 = kruispunt::consent::v1;
namespace team_v1 = kruispunt::team::v1;
using nlohmann::json;

constexpr int kPropose = team_v1::PERMISSION_PROPOSE_AGREEMENTS;
constexpr int kAnswer = team_v1::PERMISSION_ANSWER_AGREEMENTS;

// A party key as the API names it.
std::string PartyName(const std::string& case_id, const std::string& key) {
  return key.rfind("organizations/", 0) == 0 ? key : "cases/" + case_id + "/" + key;
}

json ContentJson(const std::string& case_id, const Content& c) {
  json j = {{"text", c.text}, {"schedule", c.schedule}};
  j["goals"] = json::array();
  for (const auto& g : c.goal_ids) j["goals"].push_back("cases/" + case_id + "/goals/" + g);
  j["performers"] = json::array();
  for (const auto& p : c.performers) j["performers"].push_back(PartyName(case_id, p));
  j["required_parties"] = json::array();
  for (const auto& p : c.parties) j["required_parties"].push_back(PartyName(case_id, p));
  if (c.start_date) j["start_date"] = *c.start_date;
  if (c.end_date) j["end_date"] = *c.end_date;
  if (c.consultation_date) j["consultation_date"] = *c.consultation_date;
  return j;
}

// People without an account here (they take part without an organisation): their answers are
// recorded by the case's care coordinator.
bool HasNoAccount(team_v1::ParticipantRole role) {
  switch (role) {
    case team_v1::PARTICIPANT_ROLE_CLIENT:
    case team_v1::PARTICIPANT_ROLE_LEGAL_REPRESENTATIVE:
    case team_v1::PARTICIPANT_ROLE_INFORMAL_CARER:
    case team_v1::PARTICIPANT_ROLE_TRUSTED_PERSON:
    case team_v1::PARTICIPANT_ROLE_PEER_EXPERT:
      return true;
    default:
      return false;
  }
}

Error Precondition(const char* reason, const std::string& message) { return Error::FailedPrecondition(reason, message); }

// "cases/{case}/agreements/{id}" -> the case id.
std::string CaseOf(const std::string& agreement_name) { return ParseChildName(agreement_name, "agreements")->first; }

Error AgreementNotFound() { return Error::NotFound("AGREEMENT_NOT_FOUND", "no such agreement in this case"); }

// What a change appends to the log; kind UNSPECIFIED: nothing changed (a retry), roll back.
struct Event {
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
  std::string agreement_id;
  int version = 0;
  json fields = json::object();  // the kind's own fields of the canonical content
};

using ChangeFn = std::function<Event(pqxx::work&, const std::string& time, const std::vector<team_v1::TeamFacts>&)>;

class AgreementServiceImpl final : public v1::AgreementService::CallbackService {
 public:
  explicit AgreementServiceImpl(Runtime& runtime)
      : rt_(runtime), access_(runtime, v1::AgreementService::service_full_name(), consent_v1::DATA_CATEGORY_AGREEMENTS) {}

  ServerUnaryReactor* ProposeAgreement(CallbackServerContext* ctx, const v1::ProposeAgreementRequest* req,
                                       v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "ProposeAgreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto p = std::make_shared<Proposal>(ValidatePropose(*req));
      BindRequestId(db, "agreements", call, req->request_id(), RequestFingerprint(*req));
      const Actor actor = ActorOf(call);
      ChangeContent(call, db, p->case_id, p->content, resp, [p, actor](pqxx::work& tx, const std::string& time) {
        if (p->request_id)
          if (auto earlier = AgreementByRequest(tx, p->case_id, *p->request_id)) return Event{{}, *earlier, 1, {}};
        const auto id = InsertAgreement(tx, p->case_id, p->request_id);
        AddVersion(tx, p->case_id, id, 1, p->content, actor, time);
        return Event{v1::EVENT_KIND_PROPOSED, id, 1, {{"content", ContentJson(p->case_id, p->content)}}};
      });
    });
  }

  ServerUnaryReactor* GetAgreement(CallbackServerContext* ctx, const v1::GetAgreementRequest* req,
                                   v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "GetAgreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->name(), "agreements", "name");
      Read(call, db, ids.first);
      pqxx::nontransaction tx(db);
      if (!ReadAgreement(tx, ids.first, ids.second, *resp)) throw AgreementNotFound();
    });
  }

  ServerUnaryReactor* ListAgreements(CallbackServerContext* ctx, const v1::ListAgreementsRequest* req,
                                     v1::ListAgreementsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListAgreements", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      std::optional<int> status;
      if (req->status() != 0) {
        if (!v1::AgreementStatus_IsValid(req->status()) || req->status() == v1::AGREEMENT_STATUS_SUPERSEDED)
          throw Error::InvalidField("status", "must be PROPOSED, IN_FORCE, DECLINED or ENDED");
        status = req->status();
      }
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "agreements|" + case_id + "|" + std::to_string(req->status()));
      Read(call, db, case_id);
      resp->set_next_page_token(
          NextToken(agreements::ListAgreements(db, case_id, status, page.after, page.size, *resp), page));
    });
  }

  ServerUnaryReactor* ListAgreementVersions(CallbackServerContext* ctx, const v1::ListAgreementVersionsRequest* req,
                                            v1::ListAgreementVersionsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListAgreementVersions", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->name(), "agreements", "name");
      Read(call, db, ids.first);
      auto versions = ReadVersions(db, ids.first, ids.second);
      if (versions.empty()) throw AgreementNotFound();
      for (auto& v : versions) *resp->add_versions() = std::move(v);
    });
  }

  ServerUnaryReactor* RespondToAgreement(CallbackServerContext* ctx, const v1::RespondToAgreementRequest* req,
                                         v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "RespondToAgreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto act = std::make_shared<PartyAct>(ValidateRespond(*req));
      const Actor actor = ActorOf(call);
      ActForParty(call, db, act, resp, [act, actor](pqxx::work& tx, const std::string& time, const AgreementState& state) {
        v1::Answer standing = v1::ANSWER_UNSPECIFIED;
        for (const auto& p : state.parties)
          if (p.party == act->party) standing = p.answer;
        switch (ConsiderAnswer(standing, act->answer)) {
          case AnswerOutcome::kAlreadyGiven:
            return Event{{}, act->agreement_id, act->version, {}};
          case AnswerOutcome::kConflicts:
            throw Precondition("ALREADY_ANSWERED", "this party answered this version otherwise; an acceptance can be "
                                                   "withdrawn, a decline is answered by amending the agreement");
          case AnswerOutcome::kRecord:
            break;
        }
        RecordAnswer(tx, act->case_id, act->agreement_id, act->version, act->party, act->answer, act->text, actor, time,
                     StatusAfter(state, act->party, act->answer));
        return Event{v1::EVENT_KIND_ANSWERED, act->agreement_id, act->version,
                     {{"party", PartyName(act->case_id, act->party)},
                      {"answer", act->answer == v1::ANSWER_ACCEPT ? "ACCEPT" : "DECLINE"},
                      {"comment", act->text}}};
      });
    });
  }

  ServerUnaryReactor* WithdrawAcceptance(CallbackServerContext* ctx, const v1::WithdrawAcceptanceRequest* req,
                                         v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "WithdrawAcceptance", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto act = std::make_shared<PartyAct>(ValidateWithdraw(*req));
      const Actor actor = ActorOf(call);
      ActForParty(call, db, act, resp, [act, actor](pqxx::work& tx, const std::string& time, const AgreementState& state) {
        for (const auto& p : state.parties)
          if (p.party == act->party && p.answer != v1::ANSWER_ACCEPT)
            throw Precondition("NOT_ACCEPTED", "this party has no acceptance of this version to withdraw");
        RecordWithdrawal(tx, act->case_id, act->agreement_id, act->version, act->party, act->text, actor, time,
                         StatusAfter(state, act->party, v1::ANSWER_UNSPECIFIED));
        return Event{v1::EVENT_KIND_WITHDRAWN, act->agreement_id, act->version,
                     {{"party", PartyName(act->case_id, act->party)}, {"reason", act->text}}};
      });
    });
  }

  ServerUnaryReactor* AmendAgreement(CallbackServerContext* ctx, const v1::AmendAgreementRequest* req,
                                     v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "AmendAgreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto a = std::make_shared<Amendment>(ValidateAmend(*req));
      const Actor actor = ActorOf(call);
      ChangeContent(call, db, a->case_id, a->content, resp, [a, actor](pqxx::work& tx, const std::string& time) {
        const auto state = StateOf(tx, a->case_id, a->agreement_id);
        if (!state) throw AgreementNotFound();
        if (a->etag && *a->etag != state->current_version)
          throw Error::Aborted("ETAG_MISMATCH", "the agreement has a newer version; read it again");
        if (state->status == v1::AGREEMENT_STATUS_ENDED)
          throw Precondition("AGREEMENT_ENDED", "an ended agreement is not amended");
        const int version = state->current_version + 1;
        AddVersion(tx, a->case_id, a->agreement_id, version, a->content, actor, time);
        return Event{v1::EVENT_KIND_AMENDED, a->agreement_id, version,
                     {{"content", ContentJson(a->case_id, a->content)}}};
      });
    });
  }

  ServerUnaryReactor* EndAgreement(CallbackServerContext* ctx, const v1::EndAgreementRequest* req,
                                   v1::Agreement* resp) override {
    return ServeUnary(rt_, ctx, "EndAgreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto e = std::make_shared<Ending>(ValidateEnd(*req));
      Change(call, db, e->case_id, kPropose, {}, resp,
             [e](pqxx::work& tx, const std::string&, const std::vector<team_v1::TeamFacts>&) {
               const auto state = StateOf(tx, e->case_id, e->agreement_id);
               if (!state) throw AgreementNotFound();
               if (e->etag && *e->etag != state->current_version)
                 throw Error::Aborted("ETAG_MISMATCH", "the agreement has a newer version; read it again");
               if (state->status == v1::AGREEMENT_STATUS_ENDED)
                 throw Precondition("AGREEMENT_ENDED", "this agreement has ended already");
               agreements::EndAgreement(tx, e->case_id, e->agreement_id, e->reason);
               return Event{v1::EVENT_KIND_ENDED, e->agreement_id, state->current_version, {{"reason", e->reason}}};
             });
    });
  }

  ServerUnaryReactor* ListAwaitingAnswer(CallbackServerContext* ctx, const v1::ListAwaitingAnswerRequest* req,
                                         v1::ListAgreementsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListAwaitingAnswer", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto& org = call.caller.organization;
      RequireOwnOrganization(req->parent(), org);
      const Page page = DecodePage(req->page_size(), req->page_token(), "awaiting|" + org);
      resp->set_next_page_token(NextToken(ListAwaiting(db, org, page.after, page.size, *resp), page));
      access_.KeepPermitted(call, db, resp->mutable_agreements(), [](const v1::Agreement& a) { return CaseOf(a.name()); });
    });
  }

  ServerUnaryReactor* ListAgreementChanges(CallbackServerContext* ctx, const v1::ListAgreementChangesRequest* req,
                                           v1::ListAgreementChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListAgreementChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      std::string case_id;
      const auto& org = call.caller.organization;
      if (req->parent().rfind("organizations/", 0) == 0) RequireOwnOrganization(req->parent(), org);
      else case_id = RequireName(req->parent(), "cases", "parent");
      // A cursor is a position in commit order, good for any parent; a page token only for its list.
      const uint64_t cursor_fingerprint = FilterFingerprint("agreement-changes-cursor");
      Position2 from{0, 0};
      if (!req->after_cursor().empty()) {
        const auto cursor = DecodePageToken2(req->after_cursor(), cursor_fingerprint);
        if (!cursor) throw Error::InvalidArgument({{"after_cursor", "is not a cursor of ListAgreementChanges"}});
        from = *cursor;
      }
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "agreement-changes|" + req->parent() + "|" + req->after_cursor());
      if (!req->page_token().empty()) from = {page.after, page.then};
      if (!case_id.empty()) Read(call, db, case_id);
      // Across the organisation's cases (owned or taken part in), keeping only the cases whose
      // agreements it may read now.
      const auto cases = case_id.empty() ? team::OrganizationCases(*rt_.clients->team, {db, call}, org)
                                         : std::vector<std::string>{case_id};
      const auto read = ListChanges(db, cases, from, page.size, *resp);
      resp->set_next_page_token(NextToken(read.more ? std::optional(read.next) : std::nullopt, page));
      resp->set_cursor(EncodePageToken(read.next, cursor_fingerprint));
      if (case_id.empty())
        access_.KeepPermitted(call, db, resp->mutable_entries(),
                              [](const v1::AgreementLogEntry& e) { return CaseOf(e.agreement()); });
    });
  }

  ServerUnaryReactor* ListAgreementLog(CallbackServerContext* ctx, const v1::ListAgreementLogRequest* req,
                                       v1::ListAgreementLogResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListAgreementLog", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      if (req->after_sequence() < 0)
        throw Error::InvalidArgument({{"after_sequence", "is a sequence of the log (1, 2, ...) or 0 for the first"}});
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "agreement-log|" + case_id + "|" + std::to_string(req->after_sequence()));
      Read(call, db, case_id);
      const int64_t after = req->page_token().empty() ? req->after_sequence() : page.after;
      resp->set_next_page_token(NextToken(ListLog(db, case_id, after, page.size, *resp), page));
    });
  }

  ServerUnaryReactor* VerifyAgreementLog(CallbackServerContext* ctx, const v1::VerifyAgreementLogRequest* req,
                                         v1::VerifyAgreementLogResponse* resp) override {
    return ServeUnary(rt_, ctx, "VerifyAgreementLog", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const auto kept = ValidateKeptHead(*req);
      Read(call, db, case_id);
      const auto result = VerifyChain(db, case_id, kept);
      if (!result.intact) {
        spdlog::error("agreement_log_broken first_broken_sequence={} problem=\"{}\" request_id={}",
                      result.first_broken, result.problem, call.request_id);
        ProcessMetrics().CountBrokenAgreementLog();
      }
      resp->set_intact(result.intact);
      resp->set_entries_checked(result.checked);
      resp->set_first_broken_sequence(result.first_broken);
      resp->set_problem(result.problem);
      if (result.intact) {  // a head to keep only from a chain that verified
        resp->set_head_hash(result.head_hash);
        resp->set_head_sequence(result.checked);
      }
    });
  }

 private:
  static Actor ActorOf(const Call& call) { return {call.caller.organization, call.caller.person}; }

  static void RequireOwnOrganization(const std::string& parent, const std::string& org) {
    if (parent != "organizations/" + org)
      throw Error::PermissionDenied("NOT_YOUR_ORGANIZATION", "an organisation lists only its own agreements");
  }

  // The facts to check that the parties and performers take part in the case: the first query
  // describes the named participants, one more per organisation named (in the order of `orgs`).
  struct TeamCheck {
    std::vector<team_v1::TeamQuery> queries;
    std::vector<std::string> orgs;
  };
  static TeamCheck TeamQueries(const Call& call, const std::string& case_id, const Content& content) {
    TeamCheck check;
    check.queries.push_back(Query(call, case_id, call.caller.organization));
    std::set<std::string> orgs;
    for (const auto* keys : {&content.parties, &content.performers})
      for (const auto& key : *keys) {
        if (key.rfind("organizations/", 0) == 0) orgs.insert(key.substr(std::string_view("organizations/").size()));
        else check.queries[0].add_participants("cases/" + case_id + "/" + key);
      }
    for (const auto& org : orgs) {
      check.queries.push_back(Query(call, case_id, org));
      check.orgs.push_back(org);
    }
    return check;
  }

  static team_v1::TeamQuery Query(const Call& call, const std::string& case_id, const std::string& org) {
    team_v1::TeamQuery q;
    q.set_case_("cases/" + case_id);
    q.set_organization(org);
    q.set_person(call.caller.person);
    return q;
  }

  static void CheckPartiesTakePart(const std::vector<team_v1::TeamFacts>& facts, const std::vector<std::string>& orgs) {
    for (const auto& p : facts[0].participants())
      if (!p.found() || !p.active())
        throw Precondition("PARTY_NOT_IN_TEAM", "a participant named is not an active participant of the case");
    for (std::size_t i = 0; i < orgs.size(); ++i) {
      const auto& f = facts[i + 1];
      if (f.owner_organization() != orgs[i] && f.organization_permissions_size() == 0)
        throw Precondition("PARTY_NOT_IN_TEAM", "an organisation named neither owns the case nor takes part in it");
    }
  }

  // For an answer or withdrawal by a participant party: the facts of the caller and that
  // participant. An organisation party needs none (its own people answer for it).
  static std::vector<team_v1::TeamQuery> PartyQuery(const Call& call, const PartyAct& act) {
    if (act.party.rfind("participants/", 0) != 0) return {};
    auto q = Query(call, act.case_id, call.caller.organization);
    q.add_participants("cases/" + act.case_id + "/" + act.party);
    return {q};
  }

  // Only the party acts for itself: an organisation through its own people; a participant
  // themselves, or, for a participant without an account here, the case's care coordinator.
  static void CheckActsForParty(const std::vector<team_v1::TeamFacts>& facts, const Actor& actor, const std::string& party) {
    const auto not_this_party = Error::PermissionDenied("NOT_THIS_PARTY", "you cannot answer for this party");
    if (party.rfind("organizations/", 0) == 0) {
      if (party != "organizations/" + actor.org) throw not_this_party;
      return;
    }
    const auto& p = facts[0].participants(0);
    if (!p.found()) throw Precondition("NOT_A_PARTY", "this participant is not a required party of the agreement");
    if (!p.active()) throw Precondition("PARTY_NOT_IN_TEAM", "this participant no longer takes part in the case");
    if (p.member() == team::PersonName(team::ProfessionalKey(actor.org, actor.person))) return;
    if (HasNoAccount(p.role()) && facts[0].person_is_coordinator()) return;
    throw not_this_party;
  }

  // An answer or withdrawal: the write decision (ANSWER_AGREEMENTS), the caller acting for the
  // party, then `act` with the current version's standing, under the case's chain lock.
  void ActForParty(const Call& call, pqxx::connection& db, const std::shared_ptr<PartyAct>& act, v1::Agreement* resp,
                   std::function<Event(pqxx::work&, const std::string& time, const AgreementState&)> change) {
    const Actor actor = ActorOf(call);
    Change(call, db, act->case_id, kAnswer, PartyQuery(call, *act), resp,
           [act, actor, change = std::move(change)](pqxx::work& tx, const std::string& time,
                                                    const std::vector<team_v1::TeamFacts>& facts) {
             CheckActsForParty(facts, actor, act->party);
             return change(tx, time, CurrentState(tx, *act));
           });
  }

  // The status once `party`'s standing becomes `answer`.
  static v1::AgreementStatus StatusAfter(const AgreementState& state, const std::string& party, v1::Answer answer) {
    std::vector<v1::Answer> answers;
    for (const auto& p : state.parties) answers.push_back(p.party == party ? answer : p.answer);
    return DeriveStatus(false, answers);
  }

  static AgreementState CurrentState(pqxx::work& tx, const PartyAct& act) {
    auto state = StateOf(tx, act.case_id, act.agreement_id);
    if (!state) throw AgreementNotFound();
    if (state->status == v1::AGREEMENT_STATUS_ENDED) throw Precondition("AGREEMENT_ENDED", "this agreement has ended");
    if (act.version != state->current_version)
      throw Precondition("VERSION_SUPERSEDED", "version " + std::to_string(act.version) +
                                                   " is not the agreement's current version (" +
                                                   std::to_string(state->current_version) + ")");
    const bool named = std::any_of(state->parties.begin(), state->parties.end(),
                                   [&](const PartyStanding& p) { return p.party == act.party; });
    if (!named) throw Precondition("NOT_A_PARTY", "this party is not a required party of this version");
    return *state;
  }

  // A change that sets an agreement's content (a proposal, an amendment): it needs the mandate to
  // propose, every party and performer it names must take part in the case, and every goal it
  // serves must be in the case's care plan.
  void ChangeContent(const Call& call, pqxx::connection& db, const std::string& case_id, const Content& content,
                     v1::Agreement* resp, std::function<Event(pqxx::work&, const std::string& time)> change) {
    auto check = TeamQueries(call, case_id, content);
    Change(call, db, case_id, kPropose, check.queries, resp,
           [orgs = check.orgs, change = std::move(change)](pqxx::work& tx, const std::string& time,
                                                           const std::vector<team_v1::TeamFacts>& facts) {
             CheckPartiesTakePart(facts, orgs);
             return change(tx, time);
           },
           content.goal_ids);
  }

  // Returns when the case's care plan has every goal named (at once when none is); else throws
  // INVALID_ARGUMENT on content.goals, naming each goal not found. Asked only after the access
  // decision, so that nobody else learns which goals exist.
  void RequireGoals(const Call& call, pqxx::connection& db, const std::string& case_id,
                    const std::vector<std::string>& goal_ids) {
    const auto exists = careplan::GoalsExist(*rt_.clients->careplan, {db, call}, case_id, goal_ids);
    Violations v;
    for (std::size_t i = 0; i < goal_ids.size(); ++i)
      if (!exists[i])
        v.Add("content.goals", "cases/" + case_id + "/goals/" + goal_ids[i] + " is not a goal of this case's care plan");
    v.ThrowIfAny();
  }

  // A read of the case's agreements: returns when decided (and logged) that the caller may.
  void Read(const Call& call, pqxx::connection& db, const std::string& case_id) {
    access_.Require(call, db, access_.For(call, case_id));
  }

  // A change: the write decision (needing `permission`), the goals it names looked up in the care
  // plan and the team's facts when asked, then one transaction that takes the case's chain lock,
  // runs `change`, appends its event to the log and answers the agreement as it is then.
  void Change(const Call& call, pqxx::connection& db, const std::string& case_id, int permission,
              std::vector<team_v1::TeamQuery> queries, v1::Agreement* resp, const ChangeFn& change,
              const std::vector<std::string>& goal_ids = {}) {
    access_.Require(call, db, access_.For(call, case_id, consent_v1::ACTION_WRITE, permission));
    RequireGoals(call, db, case_id, goal_ids);
    if (queries.empty()) queries.push_back(Query(call, case_id, call.caller.organization));
    const auto facts = team::DescribeTeams(*rt_.clients->team, {db, call}, std::move(queries));
    team::RequireCaseOpen(facts[0].case_state());
    const Actor actor = ActorOf(call);
    pqxx::work tx(db);
    const auto head = LockChain(tx, case_id);
    // The event's time, to the microsecond (TimeUtil::GetCurrentTime has whole seconds only).
    google::protobuf::Timestamp now;
    SetTime(&now, std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count());
    const auto time = google::protobuf::util::TimeUtil::ToString(now);
    auto event = change(tx, time, facts);
    if (!ReadAgreement(tx, case_id, event.agreement_id, *resp)) throw AgreementNotFound();
    if (event.kind == v1::EVENT_KIND_UNSPECIFIED) return tx.abort();
    json content = std::move(event.fields);
    content["sequence"] = head.last_sequence + 1;
    content["case"] = "cases/" + case_id;
    content["agreement"] = resp->name();
    content["version"] = event.version;
    content["kind"] = v1::EventKind_Name(event.kind).substr(std::string_view("EVENT_KIND_").size());
    content["time"] = time;
    content["actor"] = {{"organization", actor.org}, {"person", actor.person}};
    const auto canonical = Canonical(content);
    AppendLog(tx, case_id, head, event.kind, event.agreement_id, event.version, time, canonical,
              ChainHash(head.last_hash, canonical));
    tx.commit();
  }

  Runtime& rt_;
  consent::AccessGate access_;
};

// The change feed's read of the log (ReadLogChanges), on the caller's connection: the entries
// with where each stands in commit order and who made the change (from its canonical content).
void ReadLogChangesOn(pqxx::connection& db, const v1::ReadLogChangesRequest& request,
                      v1::ReadLogChangesResponse& response) {
  const auto case_ids = HistoryReadCaseIds(request);
  pqxx::nontransaction tx(db);
  const Position2 after{request.after().transaction(), request.after().position()};
  for (auto& change : ReadChanges(tx, case_ids, after, request.horizon(), request.limit())) {
    auto& out = *response.add_changes();
    const auto actor = json::parse(change.entry.canonical()).at("actor");
    out.set_actor_organization("organizations/" + actor.at("organization").get<std::string>());
    out.set_actor_person(actor.at("person").get<std::string>());
    out.mutable_position()->set_transaction(change.position.after);
    out.mutable_position()->set_position(change.position.then);
    *out.mutable_entry() = std::move(change.entry);
  }
}

class LocalAgreementClient final : public AgreementClient {
 public:
  v1::ReadLogChangesResponse ReadLogChanges(const PeerContext& context,
                                            const v1::ReadLogChangesRequest& request) override {
    v1::ReadLogChangesResponse response;
    ReadLogChangesOn(context.db, request, response);
    return response;
  }
};

class AgreementInternalServiceImpl final : public v1::AgreementInternalService::CallbackService {
 public:
  explicit AgreementInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* ReadLogChanges(CallbackServerContext* ctx, const v1::ReadLogChangesRequest* req,
                                     v1::ReadLogChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ReadLogChanges", [req, resp](const Call&, pqxx::connection& db) {
      ReadLogChangesOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule AgreementServiceModule() {
  return ServiceModule{v1::AgreementService::service_full_name(), &Migrations(), Statements(),
                       [](Runtime& runtime) { return std::make_unique<AgreementServiceImpl>(runtime); },
                       {team::v1::TeamService::service_full_name(),
                        kruispunt::consent::v1::ConsentService::service_full_name(),
                        kruispunt::careplan::v1::CarePlanService::service_full_name()},
                       [](PeerClients& clients) { clients.agreements = std::make_shared<LocalAgreementClient>(); },
                       [](Runtime& runtime) { return std::make_unique<AgreementInternalServiceImpl>(runtime); },
                       {}};  // no jobs
}

}  // namespace kp::agreements
