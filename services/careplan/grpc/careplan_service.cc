#include "careplan/grpc/careplan_service.h"

#include <algorithm>

#include "careplan/client/careplan_client.h"
#include "careplan/grpc/careplan_validation.h"
#include "common/calendar.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "consent/client/access_gate.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "referrals/client/referral_client.h"
#include "team/client/team_client.h"

namespace kp::careplan {

const kp::MigrationSet& Migrations();  // generated from services/careplan/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace consent_v1 = kruispunt::consent::v1;
namespace referrals_v1 = kruispunt::referrals::v1;

// Mandate permissions (kruispunt.team.v1.Permission) a change needs. Editing the plan, its goals
// and actions needs EDIT_CARE_PLAN; an evaluation may also be recorded with RECORD_EVALUATIONS,
// which is any permission that allows writing the care plan.
constexpr int kEditCarePlan = kruispunt::team::v1::PERMISSION_EDIT_CARE_PLAN;
constexpr int kAnyCarePlanWrite = 0;

// What a change did, for its history entry; json is the changed resource now. A kind of
// UNSPECIFIED means nothing changed (a retried create): the transaction is rolled back.
struct Changed {
  v1::ChangeKind kind = v1::CHANGE_KIND_UNSPECIFIED;
  std::vector<std::string> fields;
  std::string reason;
  std::string json;
};

// The facts of the participants a change names, in the order named.
using Participants = google::protobuf::RepeatedPtrField<kruispunt::team::v1::ParticipantFacts>;
using ChangeFn = std::function<Changed(pqxx::work&, const OpenedChange&, const Participants&)>;

Error Precondition(const char* reason, const std::string& message) { return Error::FailedPrecondition(reason, message); }

void CheckEtag(std::optional<int> given, int current, const char* what) {
  if (given && *given != current)
    throw Error::Aborted("ETAG_MISMATCH", std::string("the ") + what + " changed since you read it; read it again");
}

GoalStanding RequireGoal(pqxx::transaction_base& tx, const std::string& case_id, const std::string& goal_id) {
  auto standing = GoalStandingOf(tx, case_id, goal_id);
  if (!standing) throw Error::NotFound("GOAL_NOT_FOUND", "no such goal in this case");
  return *standing;
}

// A referral's outcome noted on a goal: the referral must exist, serve the goal and have an
// outcome; its standing is kept with the note as ReferralService gave it.
void NoteReferral(NewEvaluation& e, const referrals_v1::DescribeReferralOutcomeResponse& referral) {
  if (!referral.found()) throw Error::NotFound("REFERRAL_NOT_FOUND", "no such referral");
  const auto goal = "cases/" + e.case_id + "/goals/" + e.goal_id;
  if (std::find(referral.goals().begin(), referral.goals().end(), goal) == referral.goals().end())
    throw Precondition("REFERRAL_DOES_NOT_SERVE_GOAL", "the referral does not serve this goal");
  if (referral.outcome() == referrals_v1::REFERRAL_OUTCOME_UNSPECIFIED)
    throw Precondition("REFERRAL_HAS_NO_OUTCOME", "the referral has no outcome recorded yet");
  e.referral_status = referral.status();
  e.referral_outcome = referral.outcome();
  e.referral_receiver = ParseOrganizationName(referral.receiving_organization()).value_or("");
}

Changed Unchanged(std::string json) {
  Changed c;
  c.json = std::move(json);
  return c;
}

// DescribeGoals, for the gRPC handler and the local client alike.
void DescribeGoalsOn(pqxx::connection& db, const v1::DescribeGoalsRequest& req, v1::DescribeGoalsResponse& resp) {
  const auto question = ValidateDescribeGoals(req);
  if (question.goal_ids.empty()) return;
  const auto existing = ExistingGoals(db, question.case_id, question.goal_ids);
  for (const auto& id : question.goal_ids) resp.add_exists(existing.count(id) > 0);
}

// ReadPlanChanges (the change feed's read of the history), for the gRPC handler and the local
// client alike.
void ReadPlanChangesOn(pqxx::connection& db, const v1::ReadPlanChangesRequest& req, v1::ReadPlanChangesResponse& resp) {
  ReadChangesAfter(db, HistoryReadCaseIds(req), req.after().transaction(), req.after().position(), req.horizon(), req.limit(), resp);
}

class LocalCarePlanClient final : public CarePlanClient {
 public:
  v1::DescribeGoalsResponse DescribeGoals(const PeerContext& context, const v1::DescribeGoalsRequest& request) override {
    v1::DescribeGoalsResponse response;
    DescribeGoalsOn(context.db, request, response);
    return response;
  }
  v1::ReadPlanChangesResponse ReadPlanChanges(const PeerContext& context,
                                              const v1::ReadPlanChangesRequest& request) override {
    v1::ReadPlanChangesResponse response;
    ReadPlanChangesOn(context.db, request, response);
    return response;
  }
};

class CarePlanServiceImpl final : public v1::CarePlanService::CallbackService {
 public:
  explicit CarePlanServiceImpl(Runtime& runtime)
      : rt_(runtime), access_(runtime, v1::CarePlanService::service_full_name(), consent_v1::DATA_CATEGORY_CARE_PLAN) {}

  ServerUnaryReactor* GetCarePlan(CallbackServerContext* ctx, const v1::GetCarePlanRequest* req,
                                  v1::CarePlan* resp) override {
    return ServeUnary(rt_, ctx, "GetCarePlan", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequirePlanName(req->name(), "name");
      Read(call, db, case_id);
      if (auto json = CarePlanJson(db, case_id)) return FromJson(*json, *resp);
      // Nobody changed the plan yet: an empty draft.
      resp->set_name("cases/" + case_id + "/carePlan");
      resp->set_state(v1::CARE_PLAN_STATE_DRAFT);
      resp->set_etag("1");
    });
  }

  ServerUnaryReactor* UpdateCarePlan(CallbackServerContext* ctx, const v1::UpdateCarePlanRequest* req,
                                     v1::CarePlan* resp) override {
    return ServeUnary(rt_, ctx, "UpdateCarePlan", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto u = std::make_shared<PlanUpdate>(ValidateUpdateCarePlan(*req));
      Change(call, db, u->case_id, kEditCarePlan, {}, resp, [u](pqxx::work& tx, const OpenedChange& opened, const Participants&) {
        CheckEtag(u->etag, opened.plan_version, "care plan");
        return Changed{v1::CHANGE_KIND_UPDATED, u->fields, "",
                       careplan::UpdateCarePlan(tx, u->case_id, u->set_next_review, u->next_review)};
      });
    });
  }

  ServerUnaryReactor* ActivateCarePlan(CallbackServerContext* ctx, const v1::ChangeCarePlanStateRequest* req,
                                       v1::CarePlan* resp) override {
    return ChangePlanState(ctx, "ActivateCarePlan", PlanChange::kActivate, req, resp);
  }
  ServerUnaryReactor* HoldCarePlan(CallbackServerContext* ctx, const v1::ChangeCarePlanStateRequest* req,
                                   v1::CarePlan* resp) override {
    return ChangePlanState(ctx, "HoldCarePlan", PlanChange::kHold, req, resp);
  }
  ServerUnaryReactor* CompleteCarePlan(CallbackServerContext* ctx, const v1::ChangeCarePlanStateRequest* req,
                                       v1::CarePlan* resp) override {
    return ChangePlanState(ctx, "CompleteCarePlan", PlanChange::kComplete, req, resp);
  }
  ServerUnaryReactor* RevokeCarePlan(CallbackServerContext* ctx, const v1::ChangeCarePlanStateRequest* req,
                                     v1::CarePlan* resp) override {
    return ChangePlanState(ctx, "RevokeCarePlan", PlanChange::kRevoke, req, resp);
  }

  ServerUnaryReactor* ListCarePlanChanges(CallbackServerContext* ctx, const v1::ListCarePlanChangesRequest* req,
                                          v1::ListCarePlanChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListCarePlanChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "careplan-changes|" + case_id);
      Read(call, db, case_id);
      resp->set_next_page_token(NextToken(ListChanges(db, case_id, page.after, page.size, *resp), page));
    });
  }

  ServerUnaryReactor* CreateGoal(CallbackServerContext* ctx, const v1::CreateGoalRequest* req, v1::Goal* resp) override {
    return ServeUnary(rt_, ctx, "CreateGoal", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto g = std::make_shared<NewGoal>(ValidateCreateGoal(*req));
      BindRequestId(db, "careplan", call, req->request_id(), RequestFingerprint(*req));
      Change(call, db, g->case_id, kEditCarePlan, {req->goal().held_by()}, resp,
             [g](pqxx::work& tx, const OpenedChange&, const Participants& named) {
               if (g->request_id)
                 if (auto earlier = GoalByRequest(tx, g->case_id, *g->request_id)) return Unchanged(*earlier);
               g->held_by_role = named[0].role();
               return Changed{v1::CHANGE_KIND_CREATED, {}, "", InsertGoal(tx, *g)};
             });
    });
  }

  ServerUnaryReactor* GetGoal(CallbackServerContext* ctx, const v1::GetGoalRequest* req, v1::Goal* resp) override {
    return ServeUnary(rt_, ctx, "GetGoal", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->name(), "goals", "name");
      Read(call, db, ids.first);
      auto json = GoalJson(db, ids.first, ids.second);
      if (!json) throw Error::NotFound("GOAL_NOT_FOUND", "no such goal in this case");
      FromJson(*json, *resp);
    });
  }

  ServerUnaryReactor* ListGoals(CallbackServerContext* ctx, const v1::ListGoalsRequest* req,
                                v1::ListGoalsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListGoals", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      GoalFilter filter;
      Violations v;
      if (req->life_domain() != 0) {
        if (!kruispunt::type::v1::LifeDomain_IsValid(req->life_domain())) v.Add("life_domain", "must be a life domain");
        filter.life_domain = req->life_domain();
      }
      if (req->state() != 0) {
        if (!v1::GoalState_IsValid(req->state())) v.Add("state", "must be a goal state");
        filter.state = req->state();
      }
      v.ThrowIfAny();
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "goals|" + case_id + "|" + std::to_string(req->life_domain()) + "|" +
                                       std::to_string(req->state()));
      Read(call, db, case_id);
      resp->set_next_page_token(NextToken(careplan::ListGoals(db, case_id, filter, page.after, page.size, *resp), page));
    });
  }

  ServerUnaryReactor* UpdateGoal(CallbackServerContext* ctx, const v1::UpdateGoalRequest* req, v1::Goal* resp) override {
    return ServeUnary(rt_, ctx, "UpdateGoal", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto u = std::make_shared<GoalUpdate>(ValidateUpdateGoal(*req));
      Change(call, db, u->case_id, kEditCarePlan, {}, resp, [u](pqxx::work& tx, const OpenedChange&, const Participants&) {
        const auto standing = RequireGoal(tx, u->case_id, u->goal_id);
        CheckEtag(u->etag, standing.version, "goal");
        if (GoalIsFinal(standing.state))
          throw Precondition("GOAL_CLOSED", "a goal that is " + std::string(Name(standing.state)) + " is not edited");
        return Changed{v1::CHANGE_KIND_UPDATED, u->fields, "", careplan::UpdateGoal(tx, u->case_id, u->goal_id, u->edit)};
      });
    });
  }

  ServerUnaryReactor* AcceptGoal(CallbackServerContext* ctx, const v1::ChangeGoalStateRequest* req, v1::Goal* resp) override {
    return ChangeGoalState(ctx, "AcceptGoal", GoalChange::kAccept, req, resp);
  }
  ServerUnaryReactor* StartGoal(CallbackServerContext* ctx, const v1::ChangeGoalStateRequest* req, v1::Goal* resp) override {
    return ChangeGoalState(ctx, "StartGoal", GoalChange::kStart, req, resp);
  }
  ServerUnaryReactor* HoldGoal(CallbackServerContext* ctx, const v1::ChangeGoalStateRequest* req, v1::Goal* resp) override {
    return ChangeGoalState(ctx, "HoldGoal", GoalChange::kHold, req, resp);
  }
  ServerUnaryReactor* ConcludeGoal(CallbackServerContext* ctx, const v1::ChangeGoalStateRequest* req, v1::Goal* resp) override {
    return ChangeGoalState(ctx, "ConcludeGoal", GoalChange::kConclude, req, resp);
  }
  ServerUnaryReactor* CancelGoal(CallbackServerContext* ctx, const v1::ChangeGoalStateRequest* req, v1::Goal* resp) override {
    return ChangeGoalState(ctx, "CancelGoal", GoalChange::kCancel, req, resp);
  }

  ServerUnaryReactor* RecordDisagreement(CallbackServerContext* ctx, const v1::RecordDisagreementRequest* req,
                                         v1::Goal* resp) override {
    return ServeUnary(rt_, ctx, "RecordDisagreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto d = std::make_shared<DisagreementInput>(ValidateRecordDisagreement(*req));
      const auto person = call.caller.person;
      Change(call, db, {DisagreementAccess(call, db, d->case_id, req->participant())}, {req->participant()}, resp,
             [d, person](pqxx::work& tx, const OpenedChange&, const Participants&) {
               RequireGoal(tx, d->case_id, d->goal_id);
               PutDisagreement(tx, d->case_id, d->goal_id, d->participant_id, d->note, person);
               return Changed{v1::CHANGE_KIND_DISAGREEMENT_RECORDED, {"disagreements"}, "",
                              TouchGoal(tx, d->case_id, d->goal_id)};
             });
    });
  }

  ServerUnaryReactor* WithdrawDisagreement(CallbackServerContext* ctx, const v1::WithdrawDisagreementRequest* req,
                                           v1::Goal* resp) override {
    return ServeUnary(rt_, ctx, "WithdrawDisagreement", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto d = std::make_shared<DisagreementInput>(ValidateWithdrawDisagreement(*req));
      Change(call, db, {DisagreementAccess(call, db, d->case_id, req->participant())}, {}, resp,
             [d](pqxx::work& tx, const OpenedChange&, const Participants&) {
        RequireGoal(tx, d->case_id, d->goal_id);
        if (!RemoveDisagreement(tx, d->case_id, d->goal_id, d->participant_id))
          throw Error::NotFound("DISAGREEMENT_NOT_FOUND", "this participant recorded no disagreement with this goal");
        return Changed{v1::CHANGE_KIND_DISAGREEMENT_WITHDRAWN, {"disagreements"}, "",
                       TouchGoal(tx, d->case_id, d->goal_id)};
      });
    });
  }

  ServerUnaryReactor* ListOverdueGoals(CallbackServerContext* ctx, const v1::ListOverdueGoalsRequest* req,
                                       v1::ListOverdueGoalsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListOverdueGoals", [this, req, resp](const Call& call, pqxx::connection& db) {
      std::string case_id;
      if (req->parent().rfind("organizations/", 0) == 0) {
        if (req->parent() != "organizations/" + call.caller.organization)
          throw Error::PermissionDenied("NOT_YOUR_ORGANIZATION", "an organisation lists only its own cases' goals");
      } else {
        case_id = RequireName(req->parent(), "cases", "parent");
      }
      const Page page = DecodePage(req->page_size(), req->page_token(), "overdue|" + req->parent());
      if (!case_id.empty()) {
        Read(call, db, case_id);
        resp->set_next_page_token(NextToken(careplan::ListOverdueGoals(db, {case_id}, page.after, page.size, *resp), page));
        return;
      }
      // Across the organisation's cases: those it owns or takes part in, then only the goals of
      // cases whose care plan it may read now (each such read decided and logged).
      const auto cases = team::OrganizationCases(*rt_.clients->team, {db, call}, call.caller.organization);
      resp->set_next_page_token(NextToken(careplan::ListOverdueGoals(db, cases, page.after, page.size, *resp), page));
      access_.KeepPermitted(call, db, resp->mutable_goals(),
                            [](const v1::Goal& g) { return ParseChildName(g.name(), "goals")->first; });
    });
  }

  ServerUnaryReactor* CreateAction(CallbackServerContext* ctx, const v1::CreateActionRequest* req,
                                   v1::Action* resp) override {
    return ServeUnary(rt_, ctx, "CreateAction", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto a = std::make_shared<NewAction>(ValidateCreateAction(*req));
      BindRequestId(db, "careplan", call, req->request_id(), RequestFingerprint(*req));
      Change(call, db, a->case_id, kEditCarePlan, {req->action().responsible()}, resp,
             [a](pqxx::work& tx, const OpenedChange&, const Participants&) {
               if (a->request_id)
                 if (auto earlier = ActionByRequest(tx, a->case_id, *a->request_id)) return Unchanged(*earlier);
               const auto goal = RequireGoal(tx, a->case_id, a->goal_id);
               if (GoalIsFinal(goal.state))
                 throw Precondition("GOAL_CLOSED", "a goal that is " + std::string(Name(goal.state)) + " takes no new actions");
               return Changed{v1::CHANGE_KIND_CREATED, {}, "", InsertAction(tx, *a)};
             });
    });
  }

  ServerUnaryReactor* UpdateAction(CallbackServerContext* ctx, const v1::UpdateActionRequest* req,
                                   v1::Action* resp) override {
    return ServeUnary(rt_, ctx, "UpdateAction", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto u = std::make_shared<ActionUpdate>(ValidateUpdateAction(*req));
      std::vector<std::string> named;
      if (u->edit.responsible) named.push_back(req->action().responsible());
      Change(call, db, u->case_id, kEditCarePlan, named, resp, [u](pqxx::work& tx, const OpenedChange&, const Participants&) {
        auto standing = ActionStandingOf(tx, u->case_id, u->action_id);
        if (!standing) throw Error::NotFound("ACTION_NOT_FOUND", "no such action in this case");
        CheckEtag(u->etag, standing->version, "action");
        const auto to = u->edit.status ? static_cast<v1::ActionStatus>(*u->edit.status) : standing->status;
        if (!ActionStatusMayChange(standing->status, to))
          throw Precondition("ILLEGAL_TRANSITION", "an action that is " + v1::ActionStatus_Name(standing->status) +
                                                       " cannot become " + v1::ActionStatus_Name(to));
        return Changed{v1::CHANGE_KIND_UPDATED, u->fields, "", careplan::UpdateAction(tx, u->case_id, u->action_id, u->edit)};
      });
    });
  }

  ServerUnaryReactor* RecordEvaluation(CallbackServerContext* ctx, const v1::RecordEvaluationRequest* req,
                                       v1::Evaluation* resp) override {
    return ServeUnary(rt_, ctx, "RecordEvaluation", [this, req, resp](const Call& call, pqxx::connection& db) {
      auto e = std::make_shared<NewEvaluation>(ValidateRecordEvaluation(*req, BelgianTodayIso()));
      BindRequestId(db, "careplan", call, req->request_id(), RequestFingerprint(*req));
      const Actor actor{call.caller.organization, call.caller.person};
      std::vector<consent::AccessGate::Question> access = {
          access_.For(call, e->case_id, consent_v1::ACTION_WRITE, kAnyCarePlanWrite)};
      std::shared_ptr<referrals_v1::DescribeReferralOutcomeResponse> referral;
      if (e->referral_id) {
        // Noting a referral's outcome reads the referral, the case's own data (CASE), as a read of
        // ReferralService would. Its answer is used only once both decisions permit.
        access.push_back(access_.For(call, e->case_id));
        access.back().category = consent_v1::DATA_CATEGORY_CASE;
        referrals_v1::DescribeReferralOutcomeRequest question;
        question.set_referral("cases/" + e->case_id + "/referrals/" + *e->referral_id);
        referral = std::make_shared<referrals_v1::DescribeReferralOutcomeResponse>(
            rt_.clients->referrals->DescribeReferralOutcome({db, call}, question));
      }
      Change(call, db, access, {}, resp,
             [e, actor, referral](pqxx::work& tx, const OpenedChange&, const Participants&) {
               if (e->request_id)
                 if (auto earlier = EvaluationByRequest(tx, e->case_id, *e->request_id)) return Unchanged(*earlier);
               const auto goal = RequireGoal(tx, e->case_id, e->goal_id);
               if (goal.state == v1::GOAL_STATE_PROPOSED || goal.state == v1::GOAL_STATE_CANCELLED)
                 throw Precondition("GOAL_NOT_EVALUATED",
                                    "a goal that is " + std::string(Name(goal.state)) + " is not evaluated");
               if (referral) NoteReferral(*e, *referral);
               return Changed{v1::CHANGE_KIND_CREATED, {}, "", InsertEvaluation(tx, *e, actor)};
             });
    });
  }

  ServerUnaryReactor* ListEvaluations(CallbackServerContext* ctx, const v1::ListEvaluationsRequest* req,
                                      v1::ListEvaluationsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListEvaluations", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto ids = RequireChildName(req->goal(), "goals", "goal");
      const Page page = DecodePage(req->page_size(), req->page_token(), "evaluations|" + req->goal());
      Read(call, db, ids.first);
      {
        pqxx::nontransaction tx(db);
        RequireGoal(tx, ids.first, ids.second);
      }
      resp->set_next_page_token(
          NextToken(careplan::ListEvaluations(db, ids.first, ids.second, page.after, page.size, *resp), page));
    });
  }

 private:
  // Every participant is heard as an equal: one records (or withdraws) their own disagreement with
  // a goal when their organisation may read the care plan (the read decision is asked and logged);
  // someone else's, such as the client's, who has no account here, only an editor of the plan
  // records for them (the write decision, EDIT_CARE_PLAN).
  consent::AccessGate::Question DisagreementAccess(const Call& call, pqxx::connection& db, const std::string& case_id,
                                                  const std::string& participant) {
    kruispunt::team::v1::TeamQuery query;
    query.set_case_("cases/" + case_id);
    query.set_organization(call.caller.organization);
    query.set_person(call.caller.person);
    const auto own = team::DescribeTeams(*rt_.clients->team, {db, call}, {query})[0].person_participations();
    if (std::find(own.begin(), own.end(), participant) != own.end()) return access_.For(call, case_id);
    return access_.For(call, case_id, consent_v1::ACTION_WRITE, kEditCarePlan);
  }

  // A read of the case's care plan: returns when decided (and logged) that the caller may.
  void Read(const Call& call, pqxx::connection& db, const std::string& case_id) {
    access_.Require(call, db, access_.For(call, case_id));
  }

  // A change of the case's care plan: the write decision (needing `permission`, or any that allows
  // writing the care plan), then the facts of the participants it names (each must be active in
  // the team), then one transaction that takes the plan's lock, runs `change`, and appends the
  // history entry. The changed resource is the answer.
  void Change(const Call& call, pqxx::connection& db, const std::string& case_id, int permission,
              const std::vector<std::string>& named, google::protobuf::Message* resp, const ChangeFn& change) {
    Change(call, db, {access_.For(call, case_id, consent_v1::ACTION_WRITE, permission)}, named, resp, change);
  }
  // The same, deciding the `access` questions (about one case) instead of the write decision.
  void Change(const Call& call, pqxx::connection& db, const std::vector<consent::AccessGate::Question>& access,
              const std::vector<std::string>& named, google::protobuf::Message* resp, const ChangeFn& change) {
    const std::string& case_id = access.front().case_id;
    access_.RequireAll(call, db, access);
    kruispunt::team::v1::TeamQuery query;
    query.set_case_("cases/" + case_id);
    query.set_organization(call.caller.organization);
    query.set_person(call.caller.person);
    for (const auto& n : named) query.add_participants(n);
    const auto team_facts = team::DescribeTeams(*rt_.clients->team, {db, call}, {query})[0];
    team::RequireCaseOpen(team_facts.case_state());
    const Participants& facts = team_facts.participants();
    for (const auto& p : facts)
      if (!p.found() || !p.active())
        throw Precondition("PARTICIPANT_NOT_IN_TEAM", "a participant the change names is not an active participant of the case");
    const Actor actor{call.caller.organization, call.caller.person};
    pqxx::work tx(db);
    const auto opened = OpenChange(tx, case_id);
    if (PlanIsClosed(opened.plan_state))
      throw Precondition("PLAN_CLOSED", "a care plan that is " + std::string(Name(opened.plan_state)) +
                                            " takes no more changes");
    auto changed = change(tx, opened, facts);
    FromJson(changed.json, *resp);
    if (changed.kind == v1::CHANGE_KIND_UNSPECIFIED) return tx.abort();
    const auto* name = resp->GetDescriptor()->FindFieldByName("name");
    AppendChange(tx, case_id, opened, actor,
                 {resp->GetReflection()->GetString(*resp, name), changed.kind, changed.fields, changed.reason},
                 changed.json);
    tx.commit();
  }

  ServerUnaryReactor* ChangePlanState(CallbackServerContext* ctx, const char* method, PlanChange change,
                                      const v1::ChangeCarePlanStateRequest* req, v1::CarePlan* resp) {
    return ServeUnary(rt_, ctx, method, [this, change, req, resp](const Call& call, pqxx::connection& db) {
      auto s = std::make_shared<StateChange>(ValidatePlanStateChange(*req, change));
      Change(call, db, s->case_id, kEditCarePlan, {}, resp, [s, change](pqxx::work& tx, const OpenedChange& opened, const Participants&) {
        CheckEtag(s->etag, opened.plan_version, "care plan");
        const auto after = PlanAfter(opened.plan_state, change);
        if (!after)
          throw Precondition("ILLEGAL_TRANSITION", "cannot " + std::string(Name(change)) + " a care plan that is " +
                                                       std::string(Name(opened.plan_state)));
        return Changed{v1::CHANGE_KIND_STATE_CHANGED, {"state"}, s->reason, SetCarePlanState(tx, s->case_id, *after, s->reason)};
      });
    });
  }

  ServerUnaryReactor* ChangeGoalState(CallbackServerContext* ctx, const char* method, GoalChange change,
                                      const v1::ChangeGoalStateRequest* req, v1::Goal* resp) {
    return ServeUnary(rt_, ctx, method, [this, change, req, resp](const Call& call, pqxx::connection& db) {
      auto s = std::make_shared<StateChange>(ValidateGoalStateChange(*req, change));
      Change(call, db, s->case_id, kEditCarePlan, {}, resp, [s, change](pqxx::work& tx, const OpenedChange&, const Participants&) {
        const auto standing = RequireGoal(tx, s->case_id, s->child_id);
        CheckEtag(s->etag, standing.version, "goal");
        const auto after = GoalAfter(standing.state, change, s->outcome);
        if (!after)
          throw Precondition("ILLEGAL_TRANSITION", "cannot " + std::string(Name(change)) + " a goal that is " +
                                                       std::string(Name(standing.state)));
        return Changed{v1::CHANGE_KIND_STATE_CHANGED, {"state"}, s->reason,
                       SetGoalState(tx, s->case_id, s->child_id, *after, s->reason)};
      });
    });
  }

  Runtime& rt_;
  consent::AccessGate access_;
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class CarePlanInternalServiceImpl final : public v1::CarePlanInternalService::CallbackService {
 public:
  explicit CarePlanInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* DescribeGoals(CallbackServerContext* ctx, const v1::DescribeGoalsRequest* req,
                                    v1::DescribeGoalsResponse* resp) override {
    return ServeUnary(rt_, ctx, "DescribeGoals", [req, resp](const Call&, pqxx::connection& db) {
      DescribeGoalsOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* ReadPlanChanges(CallbackServerContext* ctx, const v1::ReadPlanChangesRequest* req,
                                      v1::ReadPlanChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ReadPlanChanges", [req, resp](const Call&, pqxx::connection& db) {
      ReadPlanChangesOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule CarePlanServiceModule() {
  return ServiceModule{v1::CarePlanService::service_full_name(), &Migrations(), Statements(),
                       [](Runtime& runtime) { return std::make_unique<CarePlanServiceImpl>(runtime); },
                       {team::v1::TeamService::service_full_name(), kruispunt::consent::v1::ConsentService::service_full_name(),
                        kruispunt::referrals::v1::ReferralService::service_full_name()},
                       [](PeerClients& clients) { clients.careplan = std::make_shared<LocalCarePlanClient>(); },
                       [](Runtime& runtime) { return std::make_unique<CarePlanInternalServiceImpl>(runtime); }, {}};
}

}  // namespace kp::careplan
