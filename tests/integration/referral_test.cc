// ReferralService through the gRPC API on PostgreSQL: the scenario's referral (the coordinator
// refers Maria to the CAW's debt mediation, the CAW accepts and joins the team), a referral without
// the consent it needs, a rejected and an overdue one, the client's pace (hold), who may do what,
// and bad input field by field.
#include <pqxx/pqxx>

#include <map>
#include <random>

#include "common/calendar.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
namespace rf = referrals_v1;
using C = consent_v1::DataCategory;
using P = team_v1::Permission;
using D = kruispunt::type::v1::LifeDomain;

std::string DueIso(const rf::Referral& r) {
  return IsoText(std::chrono::year{r.due_date().year()} / std::chrono::month{static_cast<unsigned>(r.due_date().month())} /
                 std::chrono::day{static_cast<unsigned>(r.due_date().day())});
}

class ReferralTest : public CaseApiTest {
 protected:
  void SetUp() override {
    CaseApiTest::SetUp();
    referrals_ = ReferralStub();
    debt_ = MakePartner("cawschuld", team_v1::ORGANIZATION_KIND_CAW);
  }

  // Maria's case; the CAW in the team reads the case with her consent, the OCMW too.
  MariasCase Maria() {
    auto m = OpenMariasCase({P::PERMISSION_READ_CASE}, {P::PERMISSION_READ_CASE}, {P::PERMISSION_READ_CASE});
    GrantConsent(token_, m.name, {m.caw.org, m.ocmw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
    return m;
  }

  // The coordinator's referral of Maria to the debt mediation of `debt_`, sharing her finances.
  rf::CreateReferralRequest DebtReferral(const std::string& case_name) const {
    rf::CreateReferralRequest request;
    request.set_parent(case_name);
    auto* r = request.mutable_referral();
    r->set_receiving_organization("organizations/" + debt_.org);
    r->set_kind(rf::REFERRAL_KIND_ACCOMPANIED);
    r->set_question("Ik raak niet meer uit mijn schulden en durf de brieven niet meer te openen.");
    r->set_life_domain(D::LIFE_DOMAIN_FINANCES);
    r->add_shared_categories(C::DATA_CATEGORY_FINANCIAL);
    r->set_client_postal_code("9000");
    r->set_client_age_group(socialmap_v1::AGE_GROUP_65_AND_OLDER);
    return request;
  }

  grpc::Status Create(const std::string& token, const rf::CreateReferralRequest& request, rf::Referral* out) {
    return referrals_->CreateReferral(Ctx(token).get(), request, out);
  }

  rf::Referral Sent(const rf::CreateReferralRequest& request) {
    rf::Referral referral;
    const auto status = Create(token_, request, &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return referral;
  }

  using ChangeMethod = grpc::Status (rf::ReferralService::Stub::*)(grpc::ClientContext*, const rf::ChangeReferralRequest&,
                                                                  rf::Referral*);
  grpc::Status Change(ChangeMethod method, const std::string& token, const std::string& name,
                      const std::string& reason = "", rf::ReferralOutcome outcome = rf::REFERRAL_OUTCOME_UNSPECIFIED,
                      rf::Referral* out = nullptr, const std::string& join_as = "") {
    rf::ChangeReferralRequest request;
    request.set_name(name);
    request.set_reason(reason);
    request.set_outcome(outcome);
    request.set_join_as(join_as);
    rf::Referral ignored;
    return ((*referrals_).*method)(Ctx(token).get(), request, out ? out : &ignored);
  }

  grpc::Status Get(const std::string& token, const std::string& name, rf::Referral* out) {
    rf::GetReferralRequest request;
    request.set_name(name);
    return referrals_->GetReferral(Ctx(token).get(), request, out);
  }

  std::vector<std::string> Incoming(const std::string& token, bool open_only = false) {
    rf::ListIncomingReferralsRequest request;
    request.set_open_only(open_only);
    rf::ListReferralsResponse response;
    EXPECT_TRUE(referrals_->ListIncomingReferrals(Ctx(token).get(), request, &response).ok());
    std::vector<std::string> names;
    for (const auto& r : response.referrals()) names.push_back(r.name());
    return names;
  }

  std::unique_ptr<rf::ReferralService::Stub> referrals_;
  Partner debt_;
};

TEST_F(ReferralTest, TheCoordinatorRefersMariaToDebtMediationAndTheCawAcceptsAndJoinsTheTeam) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  // A service of the CAW on the social map; the referral names it.
  socialmap_v1::CreateServiceRequest offer;
  offer.set_parent("organizations/" + debt_.org);
  offer.mutable_service()->set_display_name("Schuldbemiddeling");
  offer.mutable_service()->add_life_domains(D::LIFE_DOMAIN_FINANCES);
  offer.mutable_service()->add_postal_codes("9000");
  socialmap_v1::Service service;
  ASSERT_TRUE(SocialMapStub()->CreateService(Ctx(debt_.token).get(), offer, &service).ok());
  careplan_v1::CreateGoalRequest goal_request;
  goal_request.set_parent(m.name);
  goal_request.mutable_goal()->set_statement("Ik wil mijn schulden afbetalen zonder deurwaarder.");
  goal_request.mutable_goal()->set_life_domain(D::LIFE_DOMAIN_FINANCES);
  goal_request.mutable_goal()->set_held_by(m.client);
  goal_request.mutable_goal()->set_priority(1);
  careplan_v1::Goal goal;
  ASSERT_TRUE(CarePlanStub()->CreateGoal(Ctx(token_).get(), goal_request, &goal).ok());

  auto request = DebtReferral(m.name);
  request.mutable_referral()->clear_receiving_organization();
  request.mutable_referral()->set_service(service.name());
  request.mutable_referral()->add_goals(goal.name());
  request.mutable_referral()->add_proposed_mandate(P::PERMISSION_READ_CASE);
  request.mutable_referral()->add_proposed_mandate(P::PERMISSION_READ_CARE_PLAN);
  request.set_request_id(UniqueUuid());
  const auto referral = Sent(request);
  EXPECT_EQ(referral.status(), rf::REFERRAL_STATUS_REQUESTED);
  EXPECT_EQ(referral.receiving_organization(), "organizations/" + debt_.org) << "the service's organisation";
  EXPECT_EQ(referral.referring_organization(), "organizations/" + org_);
  ASSERT_EQ(referral.shared_categories_size(), 2);
  EXPECT_EQ(referral.shared_categories(0), C::DATA_CATEGORY_CASE) << "the question itself";
  EXPECT_EQ(referral.shared_categories(1), C::DATA_CATEGORY_FINANCIAL);
  EXPECT_EQ(referral.answer_within_working_days(), 2);
  EXPECT_EQ(DueIso(referral), IsoText(AddWorkingDays(BelgianDate(std::chrono::system_clock::now()), 2)));
  EXPECT_FALSE(referral.overdue());
  rf::Referral again;
  ASSERT_TRUE(Create(token_, request, &again).ok());
  EXPECT_EQ(again.name(), referral.name()) << "a retry returns the first referral";

  // The CAW sees it, reads it; an organisation outside the case learns nothing.
  EXPECT_EQ(Incoming(debt_.token, /*open_only=*/true), std::vector<std::string>{referral.name()});
  rf::Referral read;
  ASSERT_TRUE(Get(debt_.token, referral.name(), &read).ok());
  EXPECT_EQ(read.question(), referral.question());
  EXPECT_EQ(read.client_age_group(), socialmap_v1::AGE_GROUP_65_AND_OLDER);
  EXPECT_TRUE(read.client_postal_code().empty()) << "the client's address is never read back";
  const auto stranger = MakePartner("vreemd", team_v1::ORGANIZATION_KIND_OTHER);
  const auto hidden = Get(stranger.token, referral.name(), &read);
  const auto missing = Get(stranger.token, m.name + "/referrals/" + UniqueUuid(), &read);
  EXPECT_EQ(hidden.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(hidden), ErrorReason(missing)) << "an existing referral and a missing one look the same";
  EXPECT_TRUE(Incoming(stranger.token).empty());

  // The CAW accepts, and its professional joins the team with the proposed mandate.
  rf::Referral accepted;
  auto status = Change(&rf::ReferralService::Stub::AcceptReferral, debt_.token, referral.name(), "", {}, &accepted,
                       debt_.person_name());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(accepted.status(), rf::REFERRAL_STATUS_ACCEPTED);
  ASSERT_FALSE(accepted.participant().empty());
  team_v1::ListParticipantsRequest team_request;
  team_request.set_parent(m.name);
  team_v1::ListParticipantsResponse team;
  ASSERT_TRUE(TeamStub()->ListParticipants(Ctx(token_).get(), team_request, &team).ok());
  bool joined = false;
  for (const auto& p : team.participants())
    if (p.name() == accepted.participant()) {
      joined = true;
      EXPECT_EQ(p.person(), debt_.person_name());
      EXPECT_EQ(p.mandate_size(), 2);
    }
  EXPECT_TRUE(joined) << "the CAW's professional is in the team";

  ASSERT_TRUE(Change(&rf::ReferralService::Stub::StartReferral, debt_.token, referral.name()).ok());
  rf::Referral completed;
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::CompleteReferral, debt_.token, referral.name(), "", {}, &completed).ok());
  EXPECT_EQ(completed.status(), rf::REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(completed.outcome(), rf::REFERRAL_OUTCOME_SERVICE_STARTED);
  EXPECT_TRUE(Incoming(debt_.token, /*open_only=*/true).empty()) << "no longer open";

  // Every change kept: who, in order.
  rf::ListReferralChangesRequest changes_request;
  changes_request.set_parent(referral.name());
  rf::ListReferralChangesResponse changes;
  ASSERT_TRUE(referrals_->ListReferralChanges(Ctx(token_).get(), changes_request, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 4);
  EXPECT_EQ(changes.changes(0).status(), rf::REFERRAL_STATUS_REQUESTED);
  EXPECT_EQ(changes.changes(0).organization(), "organizations/" + org_);
  EXPECT_EQ(changes.changes(1).status(), rf::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(changes.changes(1).organization(), "organizations/" + debt_.org);
  EXPECT_EQ(changes.changes(3).status(), rf::REFERRAL_STATUS_COMPLETED);

  // The case's access log names the disclosures to the CAW and the consent that allowed them.
  int disclosures = 0;
  for (const auto& e : CaseAccessLog(token_, m.name))
    if (e.action() == consent_v1::ACTION_RECEIVE && e.organization() == "organizations/" + debt_.org &&
        e.category() == C::DATA_CATEGORY_FINANCIAL && e.rpc() == "kruispunt.referrals.v1.ReferralService/CreateReferral") {
      ++disclosures;
      EXPECT_EQ(e.ground(), consent_v1::GROUND_CONSENT_TO_RECEIVER);
      EXPECT_EQ(e.consents_size(), 1);
    }
  EXPECT_EQ(disclosures, 2) << "a decision for the finances when the referral was sent, and one for its retry";
}

TEST_F(ReferralTest, WithoutTheConsentItNeedsTheReferralIsNotSentAndNamesWhatIsMissing) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE});  // not her finances
  rf::Referral referral;
  const auto status = Create(token_, DebtReferral(m.name), &referral);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "NO_CONSENT_FOR_RECEIVER");
  EXPECT_EQ(ErrorMetadata(status, "category"), "DATA_CATEGORY_FINANCIAL");
  rf::ListReferralsRequest list;
  list.set_parent(m.name);
  rf::ListReferralsResponse listed;
  ASSERT_TRUE(referrals_->ListReferrals(Ctx(token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.referrals_size(), 0) << "nothing sent";
  EXPECT_TRUE(Incoming(debt_.token).empty());

  // A partner may not pass on what it may not read; an outsider learns nothing of the case.
  const auto by_nursing = Create(m.nursing.token, DebtReferral(m.name), &referral);
  EXPECT_EQ(by_nursing.error_code(), StatusCode::NOT_FOUND) << "home nursing has no consent for the case";
  const auto by_stranger = Create(debt_.token, DebtReferral(m.name), &referral);
  EXPECT_EQ(by_stranger.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(referrals_->ListReferrals(Ctx(debt_.token).get(), list, &listed).error_code(), StatusCode::NOT_FOUND);
  rf::RecordUnmetNeedRequest need;
  need.set_parent(m.name);
  need.mutable_unmet_need()->set_life_domain(D::LIFE_DOMAIN_FINANCES);
  need.mutable_unmet_need()->set_client_postal_code("9000");
  need.mutable_unmet_need()->set_client_age_group(socialmap_v1::AGE_GROUP_65_AND_OLDER);
  rf::UnmetNeed recorded;
  EXPECT_EQ(referrals_->RecordUnmetNeed(Ctx(debt_.token).get(), need, &recorded).error_code(), StatusCode::NOT_FOUND);

  // Kruispunt's services ask RECEIVE; a caller of CheckAccess cannot.
  consent_v1::CheckAccessRequest check;
  check.set_case_(m.name);
  check.set_category(C::DATA_CATEGORY_CASE);
  check.set_action(consent_v1::ACTION_RECEIVE);
  check.set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
  consent_v1::AccessDecision decision;
  const auto checked = ConsentStub()->CheckAccess(Ctx(debt_.token).get(), check, &decision);
  EXPECT_EQ(checked.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(checked), std::vector<std::string>{"action"});
}

TEST_F(ReferralTest, ARejectedReferralSaysWhyAndStaysClosed) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  const auto referral = Sent(DebtReferral(m.name));
  const auto no_outcome = Change(&rf::ReferralService::Stub::RejectReferral, debt_.token, referral.name(), "Vol");
  EXPECT_EQ(ViolationFields(no_outcome), std::vector<std::string>{"outcome"});
  const auto started = Change(&rf::ReferralService::Stub::RejectReferral, debt_.token, referral.name(), "Vol",
                              rf::REFERRAL_OUTCOME_SERVICE_STARTED);
  EXPECT_EQ(ViolationFields(started), std::vector<std::string>{"outcome"}) << "not a reason to reject";
  rf::Referral rejected;
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::RejectReferral, debt_.token, referral.name(),
                     "Geen plaats voor nieuwe dossiers tot maart.", rf::REFERRAL_OUTCOME_NO_CAPACITY, &rejected)
                  .ok());
  EXPECT_EQ(rejected.status(), rf::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(rejected.outcome(), rf::REFERRAL_OUTCOME_NO_CAPACITY);
  EXPECT_EQ(rejected.status_reason(), "Geen plaats voor nieuwe dossiers tot maart.");
  const auto accept = Change(&rf::ReferralService::Stub::AcceptReferral, debt_.token, referral.name());
  EXPECT_EQ(accept.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(accept), "REFERRAL_CLOSED");
  rf::Referral seen;
  ASSERT_TRUE(Get(token_, referral.name(), &seen).ok());
  EXPECT_EQ(seen.status(), rf::REFERRAL_STATUS_REJECTED) << "the referring side sees the answer";
}

// A referral's outcome noted on the goal it serves: beside the client's reviews, never in their
// place; only with an outcome, on a goal the referral serves, by who may both record evaluations
// and read the case's referrals.
TEST_F(ReferralTest, ItsOutcomeIsNotedOnTheGoalItServesBesideTheClientsReviews) {
  namespace cp = careplan_v1;
  const auto m = OpenMariasCase({P::PERMISSION_READ_CASE}, {P::PERMISSION_READ_CASE},
                                {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN, P::PERMISSION_RECORD_EVALUATIONS});
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  GrantConsent(token_, m.name, {m.nursing.org}, {C::DATA_CATEGORY_CARE_PLAN});
  auto plans = CarePlanStub();
  const auto accepted_goal = [&](const std::string& statement, D domain, int priority) {
    cp::CreateGoalRequest create;
    create.set_parent(m.name);
    create.mutable_goal()->set_statement(statement);
    create.mutable_goal()->set_life_domain(domain);
    create.mutable_goal()->set_held_by(m.client);
    create.mutable_goal()->set_priority(priority);
    cp::Goal goal;
    EXPECT_TRUE(plans->CreateGoal(Ctx(token_).get(), create, &goal).ok());
    cp::ChangeGoalStateRequest accept;
    accept.set_name(goal.name());
    EXPECT_TRUE(plans->AcceptGoal(Ctx(token_).get(), accept, &goal).ok());
    return goal;
  };
  const auto money = accepted_goal("Ik wil rust over mijn geld.", D::LIFE_DOMAIN_FINANCES, 1);
  const auto house = accepted_goal("Ik wil in mijn huis blijven wonen.", D::LIFE_DOMAIN_HOUSING, 2);
  const auto evaluate = [&](const std::string& token, const std::string& case_name, cp::Evaluation e,
                            cp::Evaluation* out, const std::string& request_id = "") {
    cp::RecordEvaluationRequest request;
    request.set_parent(case_name);
    *e.mutable_evaluation_date() = DaysFromToday(0);
    *request.mutable_evaluation() = std::move(e);
    request.set_request_id(request_id);
    return plans->RecordEvaluation(Ctx(token).get(), request, out);
  };
  cp::Evaluation review_input;
  review_input.set_goal(money.name());
  review_input.mutable_client_rating()->set_score(4);
  review_input.set_client_note("Het gaat iets beter.");
  *review_input.mutable_next_evaluation_date() = DaysFromToday(28);
  const auto outcome_note = [](const std::string& goal, const std::string& referral) {
    cp::Evaluation e;
    e.set_kind(cp::EVALUATION_KIND_REFERRAL_OUTCOME);
    e.set_goal(goal);
    e.set_referral(referral);
    e.set_professional_note("De CAW heeft geen plaats; we zoeken verder.");
    return e;
  };

  cp::Evaluation review;
  ASSERT_TRUE(evaluate(token_, m.name, review_input, &review).ok());
  auto request = DebtReferral(m.name);
  request.mutable_referral()->add_goals(money.name());
  const auto referral = Sent(request);
  cp::Evaluation noted;
  auto status = evaluate(token_, m.name, outcome_note(money.name(), referral.name()), &noted);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "REFERRAL_HAS_NO_OUTCOME") << "unanswered, it has nothing to note";

  ASSERT_TRUE(Change(&rf::ReferralService::Stub::RejectReferral, debt_.token, referral.name(),
                     "Geen plaats voor nieuwe dossiers tot maart.", rf::REFERRAL_OUTCOME_NO_CAPACITY)
                  .ok());
  const auto request_id = UniqueUuid();
  status = evaluate(token_, m.name, outcome_note(money.name(), referral.name()), &noted, request_id);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(noted.kind(), cp::EVALUATION_KIND_REFERRAL_OUTCOME);
  EXPECT_EQ(noted.referral(), referral.name());
  EXPECT_EQ(noted.referral_outcome().status(), rf::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(noted.referral_outcome().outcome(), rf::REFERRAL_OUTCOME_NO_CAPACITY);
  EXPECT_EQ(noted.referral_outcome().receiving_organization(), "organizations/" + debt_.org);
  EXPECT_FALSE(noted.has_client_rating()) << "the client gave no view here";
  EXPECT_FALSE(noted.has_next_evaluation_date());
  cp::Evaluation again;
  ASSERT_TRUE(evaluate(token_, m.name, outcome_note(money.name(), referral.name()), &again, request_id).ok());
  EXPECT_EQ(again.name(), noted.name()) << "a retry returns the first note";

  // The goal's next review and latest review stay the client's; its evaluations hold both.
  cp::GetCarePlanRequest get_plan;
  get_plan.set_name(m.name + "/carePlan");
  cp::CarePlan plan;
  ASSERT_TRUE(plans->GetCarePlan(Ctx(token_).get(), get_plan, &plan).ok());
  ASSERT_EQ(plan.goals_size(), 2);
  EXPECT_EQ(plan.goals(0).name(), money.name());
  EXPECT_EQ(plan.goals(0).latest_evaluation().name(), review.name());
  EXPECT_EQ(plan.goals(0).latest_evaluation().kind(), cp::EVALUATION_KIND_REVIEW);
  EXPECT_EQ(plan.goals(0).next_evaluation_date().day(), review.next_evaluation_date().day());
  cp::ListEvaluationsRequest list;
  list.set_goal(money.name());
  cp::ListEvaluationsResponse listed;
  ASSERT_TRUE(plans->ListEvaluations(Ctx(token_).get(), list, &listed).ok());
  ASSERT_EQ(listed.evaluations_size(), 2);
  EXPECT_EQ(listed.evaluations(0).name(), noted.name()) << "newest first";
  EXPECT_EQ(listed.evaluations(1).name(), review.name());

  // Only on a goal the referral serves; only of a referral that exists.
  status = evaluate(token_, m.name, outcome_note(house.name(), referral.name()), &noted);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "REFERRAL_DOES_NOT_SERVE_GOAL");
  status = evaluate(token_, m.name, outcome_note(money.name(), m.name + "/referrals/" + UniqueUuid()), &noted);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "REFERRAL_NOT_FOUND");

  // Home nursing records the client's reviews, but the client's consent does not let it read the
  // case's referrals: for it, as for an organisation outside the case, the note is refused as for a
  // case that does not exist.
  ASSERT_TRUE(evaluate(m.nursing.token, m.name, review_input, &noted).ok()) << "it may record evaluations";
  const auto stranger = MakePartner("vreemd", team_v1::ORGANIZATION_KIND_OTHER);
  const auto missing_case = "cases/" + UniqueUuid();
  const auto no_case = evaluate(token_, missing_case,
                                outcome_note(missing_case + "/goals/" + UniqueUuid(), missing_case + "/referrals/" + UniqueUuid()),
                                &noted);
  EXPECT_EQ(no_case.error_code(), StatusCode::NOT_FOUND);
  for (const auto* token : {&m.nursing.token, &stranger.token}) {
    status = evaluate(*token, m.name, outcome_note(money.name(), referral.name()), &noted);
    EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorReason(status), ErrorReason(no_case));
  }
}

// A referral to a service names one the receiving organisation has on the social map and still
// offers; one closed for a while may be referred to (its answer may be a waiting list).
TEST_F(ReferralTest, AServiceIsReferredToOnlyWhileItIsOffered) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  auto map = SocialMapStub();
  const auto offer = [&](socialmap_v1::ServiceStatus status) {
    socialmap_v1::CreateServiceRequest create;
    create.set_parent("organizations/" + debt_.org);
    create.mutable_service()->set_display_name("Schuldbemiddeling");
    create.mutable_service()->add_life_domains(D::LIFE_DOMAIN_FINANCES);
    create.mutable_service()->add_postal_codes("9000");
    create.mutable_service()->set_status(status);
    socialmap_v1::Service service;
    EXPECT_TRUE(map->CreateService(Ctx(debt_.token).get(), create, &service).ok());
    return service.name();
  };
  auto request = DebtReferral(m.name);
  request.mutable_referral()->clear_receiving_organization();
  const auto refusal = [&](const std::string& service) {
    request.mutable_referral()->set_service(service);
    rf::Referral out;
    const auto status = Create(token_, request, &out);
    EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION) << service;
    return ErrorReason(status);
  };
  EXPECT_EQ(refusal("organizations/" + debt_.org + "/services/" + UniqueUuid()), "SERVICE_NOT_FOUND");
  EXPECT_EQ(refusal(offer(socialmap_v1::SERVICE_STATUS_INACTIVE)), "SERVICE_INACTIVE");
  request.mutable_referral()->set_service(offer(socialmap_v1::SERVICE_STATUS_TEMPORARILY_CLOSED));
  EXPECT_EQ(Sent(request).status(), rf::REFERRAL_STATUS_REQUESTED);

  // The social map's internal method answers Kruispunt's services only.
  auto internal = SocialMapInternalStub();
  socialmap_v1::DescribeServiceRequest describe;
  describe.set_service("organizations/" + debt_.org);
  socialmap_v1::DescribeServiceResponse described;
  EXPECT_EQ(ErrorReason(internal->DescribeService(Ctx(token_).get(), describe, &described)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(internal->DescribeService(Ctx(ServiceToken()).get(), describe, &described)),
            std::vector<std::string>{"service"});
}

// Who the client is reaches the receiver only from a referral that shares it, while the client's
// consent names the receiver for it; the case's access log names each such read.
TEST_F(ReferralTest, TheReceiverLearnsWhoTheClientIsOnlyWhenTheReferralSharesIt) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org},
               {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL, C::DATA_CATEGORY_IDENTITY_AND_CONTACT});
  const auto plain = Sent(DebtReferral(m.name));
  auto request = DebtReferral(m.name);
  request.mutable_referral()->add_shared_categories(C::DATA_CATEGORY_IDENTITY_AND_CONTACT);
  const auto identified = Sent(request);
  EXPECT_FALSE(identified.has_client()) << "the referring side reads the client with the case";

  rf::Referral read;
  ASSERT_TRUE(Get(debt_.token, identified.name(), &read).ok());
  EXPECT_EQ(read.client().family_name(), "Peeters");
  EXPECT_EQ(read.client().insz().size(), 11u);
  ASSERT_TRUE(Get(debt_.token, plain.name(), &read).ok());
  EXPECT_FALSE(read.has_client()) << "this referral does not share who the client is";
  ASSERT_TRUE(Get(token_, identified.name(), &read).ok());
  EXPECT_FALSE(read.has_client()) << "only the receiver gets it here";
  rf::ListIncomingReferralsRequest incoming;
  rf::ListReferralsResponse listed;
  ASSERT_TRUE(referrals_->ListIncomingReferrals(Ctx(debt_.token).get(), incoming, &listed).ok());
  ASSERT_EQ(listed.referrals_size(), 2);
  for (const auto& r : listed.referrals()) EXPECT_FALSE(r.has_client()) << "not in lists";

  int identity_reads = 0;
  for (const auto& e : CaseAccessLog(token_, m.name))
    if (e.action() == consent_v1::ACTION_RECEIVE && e.organization() == "organizations/" + debt_.org &&
        e.category() == C::DATA_CATEGORY_IDENTITY_AND_CONTACT && e.rpc() == "kruispunt.referrals.v1.ReferralService/GetReferral")
      ++identity_reads;
  EXPECT_EQ(identity_reads, 1);

  // CaseService's internal method answers Kruispunt's services only.
  auto internal = CaseInternalStub();
  v1::DescribeCaseClientRequest describe;
  describe.set_case_(m.name + "/referrals");
  v1::DescribeCaseClientResponse described;
  EXPECT_EQ(ErrorReason(internal->DescribeCaseClient(Ctx(token_).get(), describe, &described)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(internal->DescribeCaseClient(Ctx(ServiceToken()).get(), describe, &described)),
            std::vector<std::string>{"case"});
  describe.set_case_("cases/" + UniqueUuid());
  ASSERT_TRUE(internal->DescribeCaseClient(Ctx(ServiceToken()).get(), describe, &described).ok());
  EXPECT_FALSE(described.found());
}

TEST_F(ReferralTest, AnUnansweredReferralIsOverdueForBothSidesUntilTheClientPutsItOnHold) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  const auto referral = Sent(DebtReferral(m.name));
  {  // Sent three weeks ago, as the schemas' owner may set it.
    pqxx::connection owner(Harness::Get().database_url());
    pqxx::work tx(owner);
    tx.exec_params("UPDATE referrals.referrals SET due_date = due_date - 21 WHERE referral_id = $1::uuid",
                   referral.name().substr(referral.name().rfind('/') + 1));
    tx.commit();
  }
  rf::Referral seen;
  ASSERT_TRUE(Get(token_, referral.name(), &seen).ok());
  EXPECT_TRUE(seen.overdue()) << "for the referring side";
  ASSERT_TRUE(Get(debt_.token, referral.name(), &seen).ok());
  EXPECT_TRUE(seen.overdue()) << "for the receiver";

  // The client wants time: only the referring side holds it; the receiver waits meanwhile.
  const auto by_receiver = Change(&rf::ReferralService::Stub::HoldReferral, debt_.token, referral.name(), "Even niet");
  EXPECT_EQ(ErrorReason(by_receiver), "NOT_REFERRER");
  rf::Referral held;
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::HoldReferral, token_, referral.name(),
                     "Maria wil eerst de verhuis afronden.", {}, &held)
                  .ok());
  EXPECT_TRUE(held.on_hold());
  EXPECT_FALSE(held.overdue()) << "not due while on hold";
  const auto accept = Change(&rf::ReferralService::Stub::AcceptReferral, debt_.token, referral.name());
  EXPECT_EQ(ErrorReason(accept), "REFERRAL_ON_HOLD");
  rf::Referral resumed;
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::ResumeReferral, token_, referral.name(), "", {}, &resumed).ok());
  EXPECT_FALSE(resumed.on_hold());
  EXPECT_FALSE(resumed.overdue()) << "the receiver has its working days again";
  EXPECT_EQ(DueIso(resumed), IsoText(AddWorkingDays(BelgianDate(std::chrono::system_clock::now()), 2)));
}

TEST_F(ReferralTest, EachSideMakesOnlyItsOwnChanges) {
  const auto m = Maria();
  GrantConsent(token_, m.name, {debt_.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_FINANCIAL});
  // Proposing a mandate is changing the team: the CAW in the team may read the case, not manage it.
  auto proposing = DebtReferral(m.name);
  proposing.mutable_referral()->add_proposed_mandate(P::PERMISSION_READ_CASE);
  rf::Referral refused;
  EXPECT_EQ(ErrorReason(Create(m.caw.token, proposing, &refused)), "NOT_TEAM_MANAGER");
  rf::Referral by_caw;
  ASSERT_TRUE(Create(m.caw.token, DebtReferral(m.name), &by_caw).ok()) << "without a mandate any reader refers";
  EXPECT_EQ(ErrorReason(Change(&rf::ReferralService::Stub::AcceptReferral, m.caw.token, by_caw.name())),
            "NOT_RECEIVER");
  EXPECT_EQ(ErrorReason(Change(&rf::ReferralService::Stub::CancelReferral, m.ocmw.token, by_caw.name(), "Dubbel")),
            "NOT_REFERRER");
  EXPECT_EQ(ErrorReason(Change(&rf::ReferralService::Stub::CancelReferral, debt_.token, by_caw.name(), "Dubbel")),
            "NOT_REFERRER");
  EXPECT_EQ(ViolationFields(Change(&rf::ReferralService::Stub::AcceptReferral, debt_.token, by_caw.name(), "", {},
                                   nullptr, debt_.person_name())),
            std::vector<std::string>{"join_as"})
      << "nothing was proposed to join the team with";
  rf::Referral accepted;
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::AcceptReferral, debt_.token, by_caw.name(), "", {}, &accepted).ok());
  EXPECT_TRUE(accepted.participant().empty());
}

TEST_F(ReferralTest, TheZonesMatrixCountsTheDemandAndWithholdsWhatCouldPointToAClient) {
  // A postal code of this test's own: the database is shared with the other tests.
  std::random_device random;
  const std::string code = std::to_string(4000 + random() % 4000);
  const std::string zone_id = UniqueId("elz");
  socialmap_v1::CreateZoneRequest zone;
  zone.set_zone_id(zone_id);
  zone.mutable_zone()->set_display_name("ELZ vraag");
  zone.mutable_zone()->add_postal_codes(code);
  socialmap_v1::Zone created;
  ASSERT_TRUE(SocialMapStub()->CreateZone(Ctx(AdminToken()).get(), zone, &created).ok());
  const auto case_name = CreateCase(token_, CreateClient(token_).name()).name();
  AppointCoordinator(case_name);
  // Referrals within the organisation (no other organisation is given anything).
  const auto send = [&](D domain, socialmap_v1::AgeGroup group) {
    rf::CreateReferralRequest request;
    request.set_parent(case_name);
    auto* r = request.mutable_referral();
    r->set_receiving_organization("organizations/" + org_);
    r->set_kind(rf::REFERRAL_KIND_REFERRAL);
    r->set_question("Hulp gevraagd");
    r->set_life_domain(domain);
    r->set_client_postal_code(code);
    r->set_client_age_group(group);
    return Sent(request).name();
  };
  using G = socialmap_v1::AgeGroup;
  for (int i = 0; i < 6; ++i) send(D::LIFE_DOMAIN_FINANCES, G::AGE_GROUP_18_TO_64);
  std::vector<std::string> seniors;
  for (int i = 0; i < 6; ++i) seniors.push_back(send(D::LIFE_DOMAIN_FINANCES, G::AGE_GROUP_65_AND_OLDER));
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(Change(&rf::ReferralService::Stub::RejectReferral, token_, seniors[i], "Vol",
                       rf::REFERRAL_OUTCOME_NO_CAPACITY).ok());
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::WaitlistReferral, token_, seniors[2]).ok());
  ASSERT_TRUE(Change(&rf::ReferralService::Stub::AcceptReferral, token_, seniors[2]).ok());
  rf::RecordUnmetNeedRequest need;
  need.set_parent(case_name);
  need.mutable_unmet_need()->set_life_domain(D::LIFE_DOMAIN_FINANCES);
  need.mutable_unmet_need()->set_client_postal_code(code);
  need.mutable_unmet_need()->set_client_age_group(G::AGE_GROUP_65_AND_OLDER);
  rf::UnmetNeed recorded;
  ASSERT_TRUE(referrals_->RecordUnmetNeed(Ctx(token_).get(), need, &recorded).ok());
  for (int i = 0; i < 2; ++i) send(D::LIFE_DOMAIN_HOUSING, G::AGE_GROUP_65_AND_OLDER);

  // The matrix counts the last quarter that has ended: nothing of this one, still running.
  socialmap_v1::GetGapMatrixRequest request;
  request.set_zone("zones/" + zone_id);
  socialmap_v1::GapMatrix matrix;
  ASSERT_TRUE(SocialMapStub()->GetGapMatrix(Ctx(debt_.token).get(), request, &matrix).ok());
  for (const auto& t : matrix.demand_totals()) EXPECT_TRUE(t.suppressed()) << "nothing sent in the quarter counted";
  const auto counted = matrix.quarter();
  EXPECT_GT(matrix.end_time().seconds() - matrix.start_time().seconds(), 89 * 86400) << "a whole quarter";
  {  // Time passes: the case's referrals and need move into that quarter, as the schemas' owner
     // may move them (session_replication_role: the triggers that keep their times stay still).
    pqxx::connection owner(Harness::Get().database_url());
    pqxx::work tx(owner);
    tx.exec("SET LOCAL session_replication_role = replica");
    const auto case_id = case_name.substr(case_name.rfind('/') + 1);
    const auto day_into_it = matrix.start_time().seconds() + 86400;
    tx.exec_params("UPDATE referrals.referrals SET create_time = to_timestamp($1) WHERE case_id = $2::uuid",
                   day_into_it, case_id);
    tx.exec_params("UPDATE referrals.unmet_needs SET create_time = to_timestamp($1) WHERE case_id = $2::uuid",
                   day_into_it, case_id);
    tx.commit();
  }
  ASSERT_TRUE(SocialMapStub()->GetGapMatrix(Ctx(debt_.token).get(), request, &matrix).ok());
  EXPECT_EQ(matrix.quarter().year(), counted.year());
  EXPECT_EQ(matrix.quarter().quarter(), counted.quarter());
  std::map<std::pair<int, int>, socialmap_v1::GapCell> cells;
  for (const auto& cell : matrix.cells()) {
    cells[{cell.life_domain(), cell.age_group()}] = cell;
    if (!cell.demand_suppressed()) {
      EXPECT_GE(cell.referrals(), 5) << "a small count shown";
    } else {
      EXPECT_EQ(cell.referrals() + cell.rejected() + cell.waitlisted() + cell.no_service(), 0);
    }
  }
  const auto cell = [&](int domain, int group) { return cells[{domain, group}]; };
  const auto& seen = cells[{D::LIFE_DOMAIN_FINANCES, G::AGE_GROUP_65_AND_OLDER}];
  EXPECT_FALSE(seen.demand_suppressed());
  EXPECT_EQ(seen.referrals(), 7) << "six referrals and the need without a service";
  EXPECT_EQ(seen.rejected(), 2);
  EXPECT_EQ(seen.waitlisted(), 1) << "wait-listed once, accepted since";
  EXPECT_EQ(seen.no_service(), 1);
  EXPECT_TRUE(cell(D::LIFE_DOMAIN_HOUSING, G::AGE_GROUP_65_AND_OLDER).demand_suppressed()) << "2 referrals";
  EXPECT_TRUE(cell(D::LIFE_DOMAIN_FINANCES, G::AGE_GROUP_18_TO_64).demand_suppressed())
      << "6 referrals, but 0-17 (none) is withheld and the finances total 13 less 7 less 6 would give it away";
  std::map<std::pair<int, int>, socialmap_v1::DemandTotal> totals;
  for (const auto& t : matrix.demand_totals()) {
    totals[{t.life_domain(), t.age_group()}] = t;
    if (!t.suppressed()) { EXPECT_GE(t.referrals(), 5); }
  }
  const auto total = [&](int domain, int group) { return totals[{domain, group}]; };
  EXPECT_EQ(totals.size(), 13u + 3u + 1u);
  EXPECT_EQ(total(D::LIFE_DOMAIN_FINANCES, 0).referrals(), 13);
  EXPECT_TRUE(total(D::LIFE_DOMAIN_HOUSING, 0).suppressed());
  EXPECT_EQ(total(0, G::AGE_GROUP_65_AND_OLDER).referrals(), 9);
  EXPECT_EQ(total(0, 0).referrals(), 15);

  // The quarter before counts none of them; the one still running is not counted.
  *request.mutable_quarter() = counted;
  if (counted.quarter() == 1) {
    request.mutable_quarter()->set_year(counted.year() - 1);
    request.mutable_quarter()->set_quarter(4);
  } else {
    request.mutable_quarter()->set_quarter(counted.quarter() - 1);
  }
  ASSERT_TRUE(SocialMapStub()->GetGapMatrix(Ctx(debt_.token).get(), request, &matrix).ok());
  for (const auto& t : matrix.demand_totals()) EXPECT_TRUE(t.suppressed()) << "nothing sent in the quarter before";
  *request.mutable_quarter() = counted;
  if (counted.quarter() == 4) {
    request.mutable_quarter()->set_year(counted.year() + 1);
    request.mutable_quarter()->set_quarter(1);
  } else {
    request.mutable_quarter()->set_quarter(counted.quarter() + 1);
  }
  EXPECT_EQ(ViolationFields(SocialMapStub()->GetGapMatrix(Ctx(debt_.token).get(), request, &matrix)),
            std::vector<std::string>{"quarter"});
}

TEST_F(ReferralTest, BadInputIsRefusedFieldByField) {
  const auto m = Maria();
  rf::CreateReferralRequest request;
  request.set_parent(m.name);
  auto* r = request.mutable_referral();
  r->set_service("organizations/x/services/not-a-uuid");
  r->set_kind(static_cast<rf::ReferralKind>(9));
  r->add_goals("cases/" + UniqueUuid() + "/goals/" + UniqueUuid());
  r->add_shared_categories(C::DATA_CATEGORY_MEDICAL);
  r->add_shared_categories(C::DATA_CATEGORY_MEDICAL);
  r->add_proposed_mandate(static_cast<P>(42));
  r->set_answer_within_working_days(15);
  request.set_request_id("again");
  rf::Referral out;
  const auto status = Create(token_, request, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"referral.service", "referral.kind", "referral.question", "referral.life_domain",
                                      "referral.goals[0]", "referral.shared_categories", "referral.proposed_mandate",
                                      "referral.client_postal_code", "referral.client_age_group",
                                      "referral.answer_within_working_days", "request_id"}));
  rf::ChangeReferralRequest change;
  change.set_name("cases/x/referrals/y");
  change.set_outcome(rf::REFERRAL_OUTCOME_NO_CAPACITY);
  change.set_join_as("people/someone");
  const auto changed = referrals_->HoldReferral(Ctx(token_).get(), change, &out);
  EXPECT_EQ(ViolationFields(changed), (std::vector<std::string>{"name", "reason", "outcome", "join_as"}));
  rf::RecordUnmetNeedRequest need;
  need.set_parent(m.name);
  need.mutable_unmet_need()->set_client_postal_code("0999");
  need.mutable_unmet_need()->set_client_age_group(static_cast<socialmap_v1::AgeGroup>(7));
  rf::UnmetNeed recorded;
  EXPECT_EQ(ViolationFields(referrals_->RecordUnmetNeed(Ctx(token_).get(), need, &recorded)),
            (std::vector<std::string>{"unmet_need.life_domain", "unmet_need.client_postal_code",
                                      "unmet_need.client_age_group"}));

  // The internal methods answer Kruispunt's services only, each field checked.
  auto internal = ReferralInternalStub();
  rf::CountReferralDemandRequest count;
  rf::CountReferralDemandResponse counted;
  EXPECT_EQ(ErrorReason(internal->CountReferralDemand(Ctx(token_).get(), count, &counted)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(internal->CountReferralDemand(Ctx(ServiceToken()).get(), count, &counted)),
            (std::vector<std::string>{"postal_codes", "start_time", "end_time"}))
      << "never a count of all time";
  count.add_postal_codes("80000");
  count.mutable_start_time()->set_seconds(1800000000);
  count.mutable_end_time()->set_seconds(1800000000);
  EXPECT_EQ(ViolationFields(internal->CountReferralDemand(Ctx(ServiceToken()).get(), count, &counted)),
            (std::vector<std::string>{"postal_codes", "end_time"}));
  rf::ReadReferralChangesRequest read;
  read.add_cases(m.name);
  rf::ReadReferralChangesResponse history;
  EXPECT_EQ(ErrorReason(internal->ReadReferralChanges(Ctx(token_).get(), read, &history)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(internal->ReadReferralChanges(Ctx(ServiceToken()).get(), read, &history)),
            std::vector<std::string>{"limit"});
  rf::DescribeReferralOutcomeRequest describe;
  describe.set_referral(m.name);
  rf::DescribeReferralOutcomeResponse described;
  EXPECT_EQ(ErrorReason(internal->DescribeReferralOutcome(Ctx(token_).get(), describe, &described)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(internal->DescribeReferralOutcome(Ctx(ServiceToken()).get(), describe, &described)),
            std::vector<std::string>{"referral"});
  describe.set_referral(m.name + "/referrals/" + UniqueUuid());
  ASSERT_TRUE(internal->DescribeReferralOutcome(Ctx(ServiceToken()).get(), describe, &described).ok());
  EXPECT_FALSE(described.found()) << "no such referral";
}

}  // namespace
}  // namespace kp::test
