// CarePlanService through the gRPC API on PostgreSQL: Maria's plan from the scenario, who may read
// and change it (the one access decision, category CARE_PLAN), the lifecycles, the change history,
// concurrent edits of one goal, overdue evaluations, and bad input.
#include <atomic>
#include <chrono>
#include <thread>

#include <pqxx/pqxx>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using T = team_v1::ParticipantRole;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;
using L = kruispunt::type::v1::LifeDomain;
namespace cp = careplan_v1;

class CarePlanTest : public CaseApiTest {
 protected:
  // Maria's case: the CAW may read the plan and record evaluations, the OCMW only read it, both
  // with Maria's consent for the care plan; home nursing may edit it but has no such consent.
  MariasCase Maria() {
    auto m = OpenMariasCase({P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN, P::PERMISSION_RECORD_EVALUATIONS},
                            {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN},
                            {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN, P::PERMISSION_EDIT_CARE_PLAN});
    GrantConsent(token_, m.name, {m.caw.org, m.ocmw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN});
    GrantConsent(token_, m.name, {m.nursing.org}, {C::DATA_CATEGORY_MEDICAL});
    return m;
  }

  static std::string Plan(const std::string& case_name) { return case_name + "/carePlan"; }

  grpc::Status CreateGoal(const std::string& token, const std::string& case_name, const std::string& statement,
                          L domain, const std::string& held_by, int priority, cp::Goal* out,
                          const std::string& request_id = "") {
    cp::CreateGoalRequest request;
    request.set_parent(case_name);
    auto* g = request.mutable_goal();
    g->set_statement(statement);
    g->set_life_domain(domain);
    g->set_held_by(held_by);
    g->set_priority(priority);
    request.set_request_id(request_id);
    return CarePlanStub()->CreateGoal(Ctx(token).get(), request, out);
  }

  cp::Goal Goal(const std::string& token, const std::string& case_name, const std::string& statement, L domain,
                const std::string& held_by, int priority) {
    cp::Goal goal;
    const auto status = CreateGoal(token, case_name, statement, domain, held_by, priority, &goal);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return goal;
  }

  using GoalMethod = grpc::Status (cp::CarePlanService::Stub::*)(grpc::ClientContext*, const cp::ChangeGoalStateRequest&,
                                                                cp::Goal*);
  grpc::Status ChangeGoal(GoalMethod method, const std::string& token, const std::string& goal,
                          const std::string& reason = "", cp::GoalState outcome = cp::GOAL_STATE_UNSPECIFIED,
                          cp::Goal* out = nullptr) {
    cp::ChangeGoalStateRequest request;
    request.set_name(goal);
    request.set_reason(reason);
    request.set_outcome(outcome);
    cp::Goal ignored;
    auto stub = CarePlanStub();
    return ((*stub).*method)(Ctx(token).get(), request, out ? out : &ignored);
  }

  grpc::Status CreateAction(const std::string& token, const std::string& case_name, const std::string& goal,
                            const std::string& what, const std::string& responsible, cp::Action* out) {
    cp::CreateActionRequest request;
    request.set_parent(case_name);
    request.mutable_action()->set_goal(goal);
    request.mutable_action()->set_description(what);
    request.mutable_action()->set_responsible(responsible);
    return CarePlanStub()->CreateAction(Ctx(token).get(), request, out);
  }

  grpc::Status Evaluate(const std::string& token, const std::string& case_name, const std::string& goal, int client_score,
                        const std::string& client_note, cp::Evaluation* out, int next_in_days = 28) {
    cp::RecordEvaluationRequest request;
    request.set_parent(case_name);
    auto* e = request.mutable_evaluation();
    e->set_goal(goal);
    *e->mutable_evaluation_date() = DaysFromToday(0);
    e->mutable_client_rating()->set_score(client_score);
    e->set_client_note(client_note);
    *e->mutable_next_evaluation_date() = DaysFromToday(next_in_days);
    return CarePlanStub()->RecordEvaluation(Ctx(token).get(), request, out);
  }

  grpc::Status GetPlan(const std::string& token, const std::string& case_name, cp::CarePlan* out) {
    cp::GetCarePlanRequest request;
    request.set_name(Plan(case_name));
    return CarePlanStub()->GetCarePlan(Ctx(token).get(), request, out);
  }

  std::vector<cp::CarePlanChange> Changes(const std::string& token, const std::string& case_name) {
    cp::ListCarePlanChangesRequest request;
    request.set_parent(case_name);
    request.set_page_size(3);  // several pages
    std::vector<cp::CarePlanChange> all;
    for (;;) {
      cp::ListCarePlanChangesResponse page;
      const auto status = CarePlanStub()->ListCarePlanChanges(Ctx(token).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      all.insert(all.end(), page.changes().begin(), page.changes().end());
      if (!status.ok() || page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  grpc::Status UpdateGoal(const std::string& token, const cp::Goal& goal, std::vector<std::string> paths, cp::Goal* out) {
    cp::UpdateGoalRequest request;
    *request.mutable_goal() = goal;
    for (auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return CarePlanStub()->UpdateGoal(Ctx(token).get(), request, out);
  }
};

TEST_F(CarePlanTest, MariasPlanFromTheScenario) {
  const auto m = Maria();
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(token_, m.name, &plan).ok());
  EXPECT_EQ(plan.state(), cp::CARE_PLAN_STATE_DRAFT);
  EXPECT_EQ(plan.revision(), 0);
  EXPECT_EQ(plan.goals_size(), 0);

  // Her goals in her words; her daughter's goal, which Maria does not share yet, is the daughter's.
  const std::string home = "Ik wil in mijn huis blijven wonen";
  const std::string money = "Ik wil rust over mijn geld — geen brieven meer van de deurwaarder";
  const auto g_money = Goal(token_, m.name, money, L::LIFE_DOMAIN_FINANCES, m.client, 2);
  const auto g_home = Goal(token_, m.name, home, L::LIFE_DOMAIN_HOUSING, m.client, 1);
  const auto g_safety = Goal(token_, m.name, "Mama mag 's nachts niet meer alleen zijn", L::LIFE_DOMAIN_SAFETY,
                             m.daughter, 3);
  EXPECT_EQ(g_home.state(), cp::GOAL_STATE_PROPOSED);
  EXPECT_EQ(g_home.held_by_role(), T::PARTICIPANT_ROLE_CLIENT);
  EXPECT_EQ(g_safety.held_by_role(), T::PARTICIPANT_ROLE_INFORMAL_CARER);
  EXPECT_EQ(g_safety.client_agreement(), cp::CLIENT_AGREEMENT_NOT_YET);
  cp::Goal disputed;
  cp::RecordDisagreementRequest disagree;
  disagree.set_goal(g_safety.name());
  disagree.set_participant(m.client);
  disagree.set_note("Ik voel mij veilig in mijn eigen huis.");
  ASSERT_TRUE(CarePlanStub()->RecordDisagreement(Ctx(token_).get(), disagree, &disputed).ok());
  ASSERT_EQ(disputed.disagreements_size(), 1);
  EXPECT_EQ(disputed.disagreements(0).participant(), m.client);

  for (const auto* g : {&g_home, &g_money}) {
    ASSERT_TRUE(ChangeGoal(&cp::CarePlanService::Stub::AcceptGoal, token_, g->name()).ok());
    ASSERT_TRUE(ChangeGoal(&cp::CarePlanService::Stub::StartGoal, token_, g->name()).ok());
  }
  cp::Action budget, rights;
  ASSERT_TRUE(CreateAction(token_, m.name, g_money.name(), "Wekelijkse budgetbegeleiding", m.caw_participant, &budget).ok());
  ASSERT_TRUE(CreateAction(token_, m.name, g_home.name(), "Recht op verhoogde tegemoetkoming nakijken", m.ocmw_participant,
                           &rights).ok());
  EXPECT_EQ(budget.status(), cp::ACTION_STATUS_PLANNED);
  cp::ChangeCarePlanStateRequest activate;
  activate.set_name(Plan(m.name));
  ASSERT_TRUE(CarePlanStub()->ActivateCarePlan(Ctx(token_).get(), activate, &plan).ok());
  EXPECT_EQ(plan.state(), cp::CARE_PLAN_STATE_ACTIVE);

  // The CAW records evaluations (its mandate) but does not edit goals.
  cp::Evaluation evaluation;
  ASSERT_TRUE(Evaluate(m.caw.token, m.name, g_money.name(), 6, "Het gaat al wat beter.", &evaluation).ok());
  EXPECT_EQ(evaluation.recorded_by_organization(), "organizations/" + m.caw.org);
  cp::Goal edited;
  auto edit = g_money;
  edit.set_priority(1);
  auto status = UpdateGoal(m.caw.token, edit, {"priority"}, &edited);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "NOT_ALLOWED");
  // The OCMW only reads.
  status = Evaluate(m.ocmw.token, m.name, g_home.name(), 7, "", &evaluation);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED) << status.error_message();

  // The whole plan in one call, by Maria's priority, as the OCMW sees it.
  ASSERT_TRUE(GetPlan(m.ocmw.token, m.name, &plan).ok());
  ASSERT_EQ(plan.goals_size(), 3);
  EXPECT_EQ(plan.goals(0).statement(), home);
  EXPECT_EQ(plan.goals(1).statement(), money);
  EXPECT_EQ(plan.goals(2).held_by(), m.daughter);
  EXPECT_EQ(plan.goals(2).disagreements(0).note(), "Ik voel mij veilig in mijn eigen huis.");
  ASSERT_EQ(plan.goals(1).actions_size(), 1);
  EXPECT_EQ(plan.goals(1).actions(0).responsible(), m.caw_participant);
  EXPECT_EQ(plan.goals(1).latest_evaluation().client_rating().score(), 6);
  EXPECT_EQ(plan.goals(1).latest_evaluation().client_note(), "Het gaat al wat beter.");
  EXPECT_EQ(plan.goals(1).next_evaluation_date().day(), DaysFromToday(28).day());
  EXPECT_FALSE(plan.goals(0).has_latest_evaluation());
  EXPECT_EQ(plan.goals(0).actions(0).description(), "Recht op verhoogde tegemoetkoming nakijken");

  // Home nursing takes part (even with a mandate to edit the plan) but has no consent for it.
  status = GetPlan(m.nursing.token, m.name, &plan);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  cp::Goal none;
  status = CreateGoal(m.nursing.token, m.name, "Wondzorg", L::LIFE_DOMAIN_PHYSICAL_HEALTH, m.client, 4, &none);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  // A stranger learns nothing either.
  status = GetPlan(Token(UniqueOrg("stranger"), "someone"), m.name, &plan);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);

  // Lists filter by life domain and state.
  cp::ListGoalsRequest list;
  list.set_parent(m.name);
  list.set_life_domain(L::LIFE_DOMAIN_FINANCES);
  cp::ListGoalsResponse listed;
  ASSERT_TRUE(CarePlanStub()->ListGoals(Ctx(m.caw.token).get(), list, &listed).ok());
  ASSERT_EQ(listed.goals_size(), 1);
  EXPECT_EQ(listed.goals(0).name(), g_money.name());
  list.clear_life_domain();
  list.set_state(cp::GOAL_STATE_ACTIVE);
  listed.Clear();
  ASSERT_TRUE(CarePlanStub()->ListGoals(Ctx(m.caw.token).get(), list, &listed).ok());
  EXPECT_EQ(listed.goals_size(), 2);

  // Every change is kept, numbered without gaps, with who and what.
  const auto changes = Changes(m.caw.token, m.name);
  ASSERT_EQ(changes.size(), 12u);  // 3 goals, 1 disagreement, 4 state changes, 2 actions, the plan, 1 evaluation
  for (std::size_t i = 0; i < changes.size(); ++i) EXPECT_EQ(changes[i].revision(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(changes[0].kind(), cp::CHANGE_KIND_CREATED);
  EXPECT_EQ(changes[0].goal().statement(), money);
  EXPECT_EQ(changes[0].person(), person_);
  EXPECT_EQ(changes[3].kind(), cp::CHANGE_KIND_DISAGREEMENT_RECORDED);
  EXPECT_EQ(changes[10].care_plan().state(), cp::CARE_PLAN_STATE_ACTIVE);
  EXPECT_EQ(changes[11].organization(), "organizations/" + m.caw.org);
  EXPECT_EQ(changes[11].evaluation().client_rating().score(), 6);
  ASSERT_TRUE(GetPlan(token_, m.name, &plan).ok());
  EXPECT_EQ(plan.revision(), 12);

  // Every read and denial above is in Maria's access log, under the care plan.
  int nursing_denied = 0, ocmw_plan_reads = 0;
  for (const auto& e : CaseAccessLog(token_, m.name)) {
    if (e.category() != C::DATA_CATEGORY_CARE_PLAN) continue;
    if (e.organization() == "organizations/" + m.nursing.org && e.decision() == consent_v1::DECISION_DENY) ++nursing_denied;
    if (e.organization() == "organizations/" + m.ocmw.org && e.rpc() == "kruispunt.careplan.v1.CarePlanService/GetCarePlan" &&
        e.decision() == consent_v1::DECISION_PERMIT)
      ++ocmw_plan_reads;
  }
  EXPECT_EQ(nursing_denied, 2);
  EXPECT_EQ(ocmw_plan_reads, 1);

  // The history and the evaluations cannot be rewritten, not even in SQL.
  pqxx::connection db(Harness::Get().database_url());
  pqxx::nontransaction tx(db);
  EXPECT_THROW(tx.exec("UPDATE careplan.changes SET reason = 'x'"), pqxx::sql_error);
  EXPECT_THROW(tx.exec("DELETE FROM careplan.evaluations"), pqxx::sql_error);
}

// A goal read alone carries its actions and latest evaluation; the plan's review date is changed
// with its etag; evaluations are listed newest first; a disagreement can be withdrawn.
TEST_F(CarePlanTest, GoalsReviewDateEvaluationsAndDisagreements) {
  const auto m = Maria();
  auto goal = Goal(token_, m.name, "Ik wil rust over mijn geld", L::LIFE_DOMAIN_FINANCES, m.client, 1);
  ASSERT_TRUE(ChangeGoal(&cp::CarePlanService::Stub::AcceptGoal, token_, goal.name()).ok());
  cp::Action action;
  ASSERT_TRUE(CreateAction(token_, m.name, goal.name(), "Wekelijkse budgetbegeleiding", m.caw_participant, &action).ok());
  cp::Evaluation first, second;
  ASSERT_TRUE(Evaluate(m.caw.token, m.name, goal.name(), 4, "Nog veel zorgen", &first, 14).ok());
  ASSERT_TRUE(Evaluate(m.caw.token, m.name, goal.name(), 7, "Het gaat beter", &second, 28).ok());

  cp::GetGoalRequest get;
  get.set_name(goal.name());
  ASSERT_TRUE(CarePlanStub()->GetGoal(Ctx(m.ocmw.token).get(), get, &goal).ok());
  ASSERT_EQ(goal.actions_size(), 1);
  EXPECT_EQ(goal.actions(0).name(), action.name());
  EXPECT_EQ(goal.latest_evaluation().name(), second.name());
  EXPECT_EQ(goal.next_evaluation_date().day(), DaysFromToday(28).day());

  cp::ListEvaluationsRequest list;
  list.set_goal(goal.name());
  list.set_page_size(1);
  cp::ListEvaluationsResponse page;
  ASSERT_TRUE(CarePlanStub()->ListEvaluations(Ctx(m.ocmw.token).get(), list, &page).ok());
  ASSERT_EQ(page.evaluations_size(), 1);
  EXPECT_EQ(page.evaluations(0).name(), second.name());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(CarePlanStub()->ListEvaluations(Ctx(m.ocmw.token).get(), list, &page).ok());
  EXPECT_EQ(page.evaluations(0).name(), first.name());
  EXPECT_TRUE(page.next_page_token().empty());

  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(token_, m.name, &plan).ok());
  cp::UpdateCarePlanRequest review;
  *review.mutable_care_plan()->mutable_name() = plan.name();
  *review.mutable_care_plan()->mutable_next_review_date() = DaysFromToday(90);
  review.mutable_care_plan()->set_etag(plan.etag());
  review.mutable_update_mask()->add_paths("next_review_date");
  cp::CarePlan reviewed;
  ASSERT_TRUE(CarePlanStub()->UpdateCarePlan(Ctx(token_).get(), review, &reviewed).ok());
  EXPECT_EQ(reviewed.next_review_date().month(), DaysFromToday(90).month());
  EXPECT_NE(reviewed.etag(), plan.etag());
  auto status = CarePlanStub()->UpdateCarePlan(Ctx(token_).get(), review, &reviewed);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED) << "the etag read before the change is stale";

  cp::RecordDisagreementRequest disagree;
  disagree.set_goal(goal.name());
  disagree.set_participant(m.daughter);
  disagree.set_note("Ik maak me zorgen over de schulden");
  ASSERT_TRUE(CarePlanStub()->RecordDisagreement(Ctx(token_).get(), disagree, &goal).ok());
  EXPECT_EQ(goal.disagreements_size(), 1);
  cp::WithdrawDisagreementRequest withdraw;
  withdraw.set_goal(goal.name());
  withdraw.set_participant(m.daughter);
  ASSERT_TRUE(CarePlanStub()->WithdrawDisagreement(Ctx(token_).get(), withdraw, &goal).ok());
  EXPECT_EQ(goal.disagreements_size(), 0);
  status = CarePlanStub()->WithdrawDisagreement(Ctx(token_).get(), withdraw, &goal);
  EXPECT_EQ(ErrorReason(status), "DISAGREEMENT_NOT_FOUND");
  const auto changes = Changes(token_, m.name);
  EXPECT_EQ(changes.back().kind(), cp::CHANGE_KIND_DISAGREEMENT_WITHDRAWN);
  EXPECT_EQ(changes.back().goal().disagreements_size(), 0);

  // Every participant is heard as an equal: the OCMW's social worker, who may only read the plan,
  // records and withdraws their own disagreement, never someone else's.
  disagree.set_participant(m.ocmw_participant);
  disagree.set_note("Eerst de huur regelen");
  status = CarePlanStub()->RecordDisagreement(Ctx(m.ocmw.token).get(), disagree, &goal);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(goal.disagreements_size(), 1);
  EXPECT_EQ(goal.disagreements(0).participant(), m.ocmw_participant);
  disagree.set_participant(m.client);
  status = CarePlanStub()->RecordDisagreement(Ctx(m.ocmw.token).get(), disagree, &goal);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED) << "not the OCMW's to record";
  withdraw.set_participant(m.caw_participant);
  EXPECT_EQ(CarePlanStub()->WithdrawDisagreement(Ctx(m.ocmw.token).get(), withdraw, &goal).error_code(),
            StatusCode::PERMISSION_DENIED);
  withdraw.set_participant(m.ocmw_participant);
  ASSERT_TRUE(CarePlanStub()->WithdrawDisagreement(Ctx(m.ocmw.token).get(), withdraw, &goal).ok());
  EXPECT_EQ(goal.disagreements_size(), 0);
}

TEST_F(CarePlanTest, LifecycleRules) {
  const auto m = Maria();
  const auto goal = Goal(token_, m.name, "Elke week naar de markt", L::LIFE_DOMAIN_SOCIAL_NETWORK, m.client, 1);
  using S = cp::CarePlanService::Stub;
  auto status = ChangeGoal(&S::ConcludeGoal, token_, goal.name(), "", cp::GOAL_STATE_ACHIEVED);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "ILLEGAL_TRANSITION");
  cp::Evaluation evaluation;
  status = Evaluate(token_, m.name, goal.name(), 5, "", &evaluation);
  EXPECT_EQ(ErrorReason(status), "GOAL_NOT_EVALUATED") << "a goal not yet accepted is not evaluated";
  status = ChangeGoal(&S::HoldGoal, token_, goal.name());
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"reason"});

  cp::Goal after;
  ASSERT_TRUE(ChangeGoal(&S::AcceptGoal, token_, goal.name()).ok());
  ASSERT_TRUE(ChangeGoal(&S::HoldGoal, token_, goal.name(), "Eerst de verhuis", {}, &after).ok());
  EXPECT_EQ(after.state(), cp::GOAL_STATE_ON_HOLD);
  EXPECT_EQ(after.state_reason(), "Eerst de verhuis");
  ASSERT_TRUE(ChangeGoal(&S::StartGoal, token_, goal.name()).ok());
  ASSERT_TRUE(ChangeGoal(&S::ConcludeGoal, token_, goal.name(), "Ze gaat elke dinsdag", cp::GOAL_STATE_PARTLY_ACHIEVED,
                         &after).ok());
  EXPECT_EQ(after.state(), cp::GOAL_STATE_PARTLY_ACHIEVED);
  status = ChangeGoal(&S::CancelGoal, token_, goal.name(), "toch niet");
  EXPECT_EQ(ErrorReason(status), "ILLEGAL_TRANSITION") << "a concluded goal is final";
  after.set_statement("anders");
  status = UpdateGoal(token_, after, {"statement"}, &after);
  EXPECT_EQ(ErrorReason(status), "GOAL_CLOSED");

  // Actions: PLANNED -> IN_PROGRESS -> DONE, and DONE is final.
  const auto other = Goal(token_, m.name, "Minder piekeren", L::LIFE_DOMAIN_MENTAL_HEALTH, m.client, 2);
  cp::Action action;
  ASSERT_TRUE(CreateAction(token_, m.name, other.name(), "Gesprek met de psycholoog", m.ocmw_participant, &action).ok());
  for (auto next : {cp::ACTION_STATUS_IN_PROGRESS, cp::ACTION_STATUS_DONE}) {
    cp::UpdateActionRequest update;
    action.set_status(next);
    *update.mutable_action() = action;
    update.mutable_update_mask()->add_paths("status");
    ASSERT_TRUE(CarePlanStub()->UpdateAction(Ctx(token_).get(), update, &action).ok());
    EXPECT_EQ(action.status(), next);
  }
  cp::UpdateActionRequest back;
  action.set_status(cp::ACTION_STATUS_IN_PROGRESS);
  *back.mutable_action() = action;
  back.mutable_update_mask()->add_paths("status");
  status = CarePlanStub()->UpdateAction(Ctx(token_).get(), back, &action);
  EXPECT_EQ(ErrorReason(status), "ILLEGAL_TRANSITION");

  // The plan: DRAFT cannot be held; a completed plan takes no more changes.
  cp::ChangeCarePlanStateRequest request;
  request.set_name(Plan(m.name));
  request.set_reason("vakantie");
  cp::CarePlan plan;
  status = CarePlanStub()->HoldCarePlan(Ctx(token_).get(), request, &plan);
  EXPECT_EQ(ErrorReason(status), "ILLEGAL_TRANSITION");
  ASSERT_TRUE(CarePlanStub()->ActivateCarePlan(Ctx(token_).get(), request, &plan).ok());
  request.clear_reason();
  status = CarePlanStub()->CompleteCarePlan(Ctx(token_).get(), request, &plan);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"reason"}) << "completing needs a reason";
  request.set_reason("Doelen bereikt, Maria woont veilig thuis");
  request.set_etag("7");
  status = CarePlanStub()->CompleteCarePlan(Ctx(token_).get(), request, &plan);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED) << "a stale etag";
  request.clear_etag();
  ASSERT_TRUE(CarePlanStub()->CompleteCarePlan(Ctx(token_).get(), request, &plan).ok());
  EXPECT_EQ(plan.state(), cp::CARE_PLAN_STATE_COMPLETED);
  cp::Goal late;
  status = CreateGoal(token_, m.name, "Nog iets", L::LIFE_DOMAIN_MEANING, m.client, 3, &late);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "PLAN_CLOSED");
}

// Eight people edit the same goal at once from the same version: exactly one edit lands, the
// others are told to read it again; the history has that one edit.
TEST_F(CarePlanTest, ConcurrentEditsOfOneGoal) {
  const auto m = Maria();
  const auto goal = Goal(token_, m.name, "Ik wil rust over mijn geld", L::LIFE_DOMAIN_FINANCES, m.client, 2);
  std::atomic<int> landed{0}, aborted{0}, other{0};
  std::vector<std::thread> editors;
  for (int i = 0; i < 8; ++i) {
    editors.emplace_back([&, i] {
      auto edit = goal;
      edit.set_priority(i + 1);
      cp::Goal out;
      const auto status = UpdateGoal(token_, edit, {"priority"}, &out);
      if (status.ok()) ++landed;
      else if (status.error_code() == StatusCode::ABORTED && ErrorReason(status) == "ETAG_MISMATCH") ++aborted;
      else ++other;
    });
  }
  for (auto& t : editors) t.join();
  EXPECT_EQ(landed.load(), 1);
  EXPECT_EQ(aborted.load(), 7);
  EXPECT_EQ(other.load(), 0);
  const auto changes = Changes(token_, m.name);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].kind(), cp::CHANGE_KIND_UPDATED);
  EXPECT_EQ(std::vector<std::string>(changes[1].fields().begin(), changes[1].fields().end()),
            std::vector<std::string>{"priority"});
}

TEST_F(CarePlanTest, OverdueEvaluationsPerCaseAndPerOrganization) {
  const auto m = Maria();
  auto goal = Goal(token_, m.name, "Samen koken op zondag", L::LIFE_DOMAIN_DAILY_ACTIVITIES_AND_WORK, m.client, 1);
  const auto not_started = Goal(token_, m.name, "Nog te bespreken", L::LIFE_DOMAIN_MEANING, m.client, 2);
  ASSERT_TRUE(ChangeGoal(&cp::CarePlanService::Stub::AcceptGoal, token_, goal.name(), "", {}, &goal).ok());
  for (const cp::Goal* g : {static_cast<const cp::Goal*>(&goal), &not_started}) {
    auto due = *g;
    *due.mutable_next_evaluation_date() = DaysFromToday(-3);
    cp::Goal out;
    ASSERT_TRUE(UpdateGoal(token_, due, {"next_evaluation_date"}, &out).ok());
  }

  auto overdue = [](const std::string& token, const std::string& parent, grpc::Status* status_out = nullptr) {
    cp::ListOverdueGoalsRequest request;
    request.set_parent(parent);
    cp::ListOverdueGoalsResponse response;
    const auto status = CarePlanStub()->ListOverdueGoals(Ctx(token).get(), request, &response);
    if (status_out) *status_out = status;
    else EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& g : response.goals()) names.push_back(g.name());
    return names;
  };
  const std::vector<std::string> only_accepted = {goal.name()};
  EXPECT_EQ(overdue(token_, m.name), only_accepted) << "a proposed goal is not yet evaluated";
  EXPECT_EQ(overdue(token_, "organizations/" + org_), only_accepted);
  EXPECT_EQ(overdue(m.caw.token, "organizations/" + m.caw.org), only_accepted);
  EXPECT_TRUE(overdue(m.nursing.token, "organizations/" + m.nursing.org).empty()) << "no consent for the care plan";
  grpc::Status status;
  overdue(m.caw.token, "organizations/" + org_, &status);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);

  // An evaluation moves the date on: no longer overdue.
  cp::Evaluation evaluation;
  ASSERT_TRUE(Evaluate(m.caw.token, m.name, goal.name(), 8, "Gezellig", &evaluation).ok());
  EXPECT_TRUE(overdue(token_, m.name).empty());
}

TEST_F(CarePlanTest, BadInputAndRetries) {
  const auto m = Maria();
  cp::CreateGoalRequest request;
  request.set_parent(m.name);
  auto* g = request.mutable_goal();
  g->set_statement(std::string("tab\x01", 4));
  g->set_held_by("cases/00000000-0000-4000-8000-000000000000/participants/00000000-0000-4000-8000-000000000001");
  g->set_priority(0);
  g->mutable_target_date()->set_year(2026);
  g->mutable_target_date()->set_month(2);
  g->mutable_target_date()->set_day(30);
  request.set_request_id("not-a-uuid");
  cp::Goal goal;
  auto status = CarePlanStub()->CreateGoal(Ctx(token_).get(), request, &goal);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), (std::vector<std::string>{"goal.statement", "goal.life_domain", "goal.held_by",
                                                               "goal.priority", "goal.target_date", "request_id"}));

  // A participant unknown to the team.
  status = CreateGoal(token_, m.name, "Iets", L::LIFE_DOMAIN_MEANING,
                      m.name + "/participants/00000000-0000-4000-8000-000000000001", 1, &goal);
  EXPECT_EQ(ErrorReason(status), "PARTICIPANT_NOT_IN_TEAM");

  // A retried create returns the first goal, and adds nothing to the history.
  const std::string request_id = "5f0c9f8e-1d2b-4c3a-9e8f-7a6b5c4d3e2f";
  cp::Goal first, again;
  ASSERT_TRUE(CreateGoal(token_, m.name, "Ik wil in mijn huis blijven wonen", L::LIFE_DOMAIN_HOUSING, m.client, 1,
                         &first, request_id).ok());
  ASSERT_TRUE(CreateGoal(token_, m.name, "Ik wil in mijn huis blijven wonen", L::LIFE_DOMAIN_HOUSING, m.client, 1,
                         &again, request_id).ok());
  EXPECT_EQ(first.name(), again.name());
  EXPECT_EQ(Changes(token_, m.name).size(), 1u);

  // Evaluations: the client's rating comes first, dates make sense.
  cp::RecordEvaluationRequest evaluate;
  evaluate.set_parent(m.name);
  auto* e = evaluate.mutable_evaluation();
  e->set_goal(first.name());
  *e->mutable_evaluation_date() = DaysFromToday(2);
  e->mutable_professional_rating()->set_score(11);
  *e->mutable_next_evaluation_date() = DaysFromToday(1);
  cp::Evaluation evaluation;
  status = CarePlanStub()->RecordEvaluation(Ctx(token_).get(), evaluate, &evaluation);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"evaluation.evaluation_date", "evaluation.client_rating",
                                      "evaluation.professional_rating.score", "evaluation.next_evaluation_date"}));

  // Updates need a mask; an etag this service did not issue is as stale as an old one.
  cp::UpdateGoalRequest update;
  *update.mutable_goal() = first;
  status = CarePlanStub()->UpdateGoal(Ctx(token_).get(), update, &goal);
  EXPECT_EQ(ViolationFields(status), (std::vector<std::string>{"update_mask"}));
  update.mutable_update_mask()->add_paths("statement");
  update.mutable_goal()->set_etag("not-an-etag");
  status = CarePlanStub()->UpdateGoal(Ctx(token_).get(), update, &goal);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(status), "ETAG_MISMATCH");
  cp::GetGoalRequest get;
  get.set_name(m.name + "/goals/00000000-0000-4000-8000-000000000009");
  status = CarePlanStub()->GetGoal(Ctx(token_).get(), get, &goal);
  EXPECT_EQ(ErrorReason(status), "GOAL_NOT_FOUND");
  get.set_name("goals/1");
  status = CarePlanStub()->GetGoal(Ctx(token_).get(), get, &goal);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"name"});
}

}  // namespace
}  // namespace kp::test
