// TeamService through the gRPC API: the scenario's team, the team's rules, access from team
// membership granted and revoked, concurrent changes, the partner directory and bad input.
#include <atomic>
#include <thread>

#include <google/protobuf/util/time_util.h>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using google::protobuf::util::TimeUtil;
using T = team_v1::ParticipantRole;
using P = team_v1::Permission;

class TeamTest : public CaseApiTest {
 protected:
  void SetUp() override {
    CaseApiTest::SetUp();
    team_ = TeamStub();
  }

  // A new case of the fixture's organisation, with the fixture's person as care coordinator.
  v1::Case CaseWithCoordinator() {
    auto c = CreateCase(token_, CreateClient(token_).name());
    AppointCoordinator(c.name());
    return c;
  }

  grpc::Status GetCase(const std::string& token, const std::string& name, v1::Case* out = nullptr) {
    v1::GetCaseRequest request;
    request.set_name(name);
    v1::Case ignored;
    return stub_->GetCase(Ctx(token).get(), request, out ? out : &ignored);
  }

  std::vector<team_v1::Participant> Team(const std::string& token, const std::string& case_name,
                                         bool include_ended, grpc::Status* status_out = nullptr) {
    team_v1::ListParticipantsRequest request;
    request.set_parent(case_name);
    request.set_include_ended(include_ended);
    team_v1::ListParticipantsResponse response;
    const auto status = team_->ListParticipants(Ctx(token).get(), request, &response);
    if (status_out) *status_out = status;
    else EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.participants().begin(), response.participants().end()};
  }

  grpc::Status End(const std::string& token, const std::string& participant, const std::string& reason,
                   team_v1::Participant* out = nullptr) {
    team_v1::EndParticipationRequest request;
    request.set_name(participant);
    request.set_reason(reason);
    team_v1::Participant ignored;
    return team_->EndParticipation(Ctx(token).get(), request, out ? out : &ignored);
  }

  grpc::Status Transition(const std::string& verb, const std::string& name, const std::string& reason = "") {
    v1::TransitionCaseRequest request;
    request.set_name(name);
    request.set_reason(reason);
    v1::Case out;
    if (verb == "activate") return stub_->ActivateCase(Ctx(token_).get(), request, &out);
    if (verb == "suspend") return stub_->SuspendCase(Ctx(token_).get(), request, &out);
    if (verb == "reopen") return stub_->ReopenCase(Ctx(token_).get(), request, &out);
    return stub_->CloseCase(Ctx(token_).get(), request, &out);
  }


  std::unique_ptr<team_v1::TeamService::Stub> team_;
};

// The scenario: Maria's case at the DMW of her mutualiteit, the DMW social worker as care
// coordinator, her daughter as informal carer, CAW, OCMW, home nursing and her GP.
TEST_F(TeamTest, MariasTeamFromTheScenario) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW, "schuldbemiddelaar");
  const auto ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  const auto nursing = MakePartner("thuisverpleging", team_v1::ORGANIZATION_KIND_HOME_NURSING, "verpleegkundige");
  const auto gp = MakePartner("huisarts", team_v1::ORGANIZATION_KIND_GP_PRACTICE, "huisarts");
  const auto maria = CreateClient(token_);
  const auto c = CreateCase(token_, maria.name(), "Onbetaalde rekeningen, vochtige woning");

  // The client is in the team from the case's creation; nobody else yet.
  auto members = Team(token_, c.name(), false);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].role(), T::PARTICIPANT_ROLE_CLIENT);
  EXPECT_EQ(members[0].client(), maria.name());
  EXPECT_EQ(members[0].state(), team_v1::PARTICIPATION_STATE_ACTIVE);

  // Partners see nothing of the case before they join its team.
  EXPECT_EQ(GetCase(caw.token, c.name()).error_code(), StatusCode::NOT_FOUND);
  grpc::Status status;
  Team(caw.token, c.name(), false, &status);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);

  const auto coordinator = AppointCoordinator(c.name());
  EXPECT_EQ(coordinator.organization(), "organizations/" + org_);
  const auto daughter = RegisterInformal(token_, "An", "Peeters");
  team_v1::Participant added;
  ASSERT_TRUE(AddParticipant(token_, c.name(), daughter.name(), T::PARTICIPANT_ROLE_INFORMAL_CARER,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN}, &added).ok());
  EXPECT_TRUE(added.organization().empty());
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN,
                              P::PERMISSION_ANSWER_AGREEMENTS}, &added).ok());
  EXPECT_EQ(added.organization(), "organizations/" + caw.org);
  ASSERT_TRUE(AddParticipant(token_, c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_CASE_MANAGER,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN}, &added).ok());
  ASSERT_TRUE(AddParticipant(token_, c.name(), nursing.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_RECORD_EVALUATIONS}, &added).ok());
  // The GP is in the team but its mandate does not include reading the case.
  ASSERT_TRUE(AddParticipant(token_, c.name(), gp.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CARE_PLAN}, &added).ok());
  ASSERT_TRUE(Transition("activate", c.name()).ok());
  GrantConsent(token_, c.name(), {caw.org, ocmw.org, nursing.org, gp.org},
               {consent_v1::DATA_CATEGORY_CASE, consent_v1::DATA_CATEGORY_IDENTITY_AND_CONTACT});

  // Access from team membership (and consent): an active participant's organisation with READ_CASE.
  for (const auto* partner : {&caw, &ocmw, &nursing}) {
    v1::Case seen;
    ASSERT_TRUE(GetCase(partner->token, c.name(), &seen).ok()) << partner->org;
    EXPECT_EQ(seen.client_summary().given_name(), "Maria");
    v1::ListCaseStatusChangesRequest history;
    history.set_parent(c.name());
    v1::ListCaseStatusChangesResponse changes;
    EXPECT_TRUE(stub_->ListCaseStatusChanges(Ctx(partner->token).get(), history, &changes).ok());
    EXPECT_EQ(changes.changes_size(), 2);
  }
  // The GP is in the team, so it learns nothing new from being told its mandate does not reach.
  const auto gp_read = GetCase(gp.token, c.name());
  EXPECT_EQ(gp_read.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(gp_read), "NOT_ALLOWED");
  EXPECT_EQ(GetCase(Token(UniqueOrg("stranger"), "x"), c.name()).error_code(), StatusCode::NOT_FOUND);

  members = Team(caw.token, c.name(), false);
  ASSERT_EQ(members.size(), 7u);
  std::vector<T> roles;
  for (const auto& m : members) roles.push_back(m.role());
  EXPECT_EQ(roles, (std::vector<T>{T::PARTICIPANT_ROLE_CLIENT, T::PARTICIPANT_ROLE_CARE_COORDINATOR,
                                   T::PARTICIPANT_ROLE_INFORMAL_CARER, T::PARTICIPANT_ROLE_PROFESSIONAL,
                                   T::PARTICIPANT_ROLE_CASE_MANAGER, T::PARTICIPANT_ROLE_PROFESSIONAL,
                                   T::PARTICIPANT_ROLE_PROFESSIONAL}));
  EXPECT_EQ(members[2].display_name(), "An Peeters");
  EXPECT_EQ(members[3].mandate_size(), 3);

  // "My cases", for a person and for an organisation.
  team_v1::ListParticipationsRequest mine;
  mine.set_person(caw.person_name());
  team_v1::ListParticipationsResponse listed;
  ASSERT_TRUE(team_->ListParticipations(Ctx(caw.token).get(), mine, &listed).ok());
  ASSERT_EQ(listed.participants_size(), 1);
  EXPECT_EQ(listed.participants(0).name().substr(0, c.name().size()), c.name());
  mine.set_organization("organizations/" + ocmw.org);
  ASSERT_TRUE(team_->ListParticipations(Ctx(ocmw.token).get(), mine, &listed).ok());
  EXPECT_EQ(listed.participants_size(), 1);
  EXPECT_EQ(team_->ListParticipations(Ctx(caw.token).get(), mine, &listed).error_code(),
            StatusCode::PERMISSION_DENIED);

  // Every change is in the team's history: who, when, why.
  team_v1::ListTeamChangesRequest history;
  history.set_parent(c.name());
  team_v1::ListTeamChangesResponse changes;
  ASSERT_TRUE(team_->ListTeamChanges(Ctx(token_).get(), history, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 7);
  EXPECT_EQ(changes.changes(0).role(), T::PARTICIPANT_ROLE_CLIENT);
  for (const auto& change : changes.changes()) {
    EXPECT_EQ(change.kind(), team_v1::TEAM_CHANGE_KIND_ADDED);
    EXPECT_EQ(change.changed_by_organization(), "organizations/" + org_);
    EXPECT_EQ(change.changed_by_person(), person_);
    EXPECT_GT(change.change_time().seconds(), 0);
  }
}

TEST_F(TeamTest, AccessEndsTheMomentTheParticipationEnds) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CaseWithCoordinator();
  team_v1::Participant member;
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &member).ok());
  GrantConsent(token_, c.name(), {caw.org}, {consent_v1::DATA_CATEGORY_CASE});
  ASSERT_TRUE(GetCase(caw.token, c.name()).ok());

  team_v1::Participant ended;
  ASSERT_TRUE(End(token_, member.name(), "schuldbemiddeling afgerond", &ended).ok());
  EXPECT_EQ(ended.state(), team_v1::PARTICIPATION_STATE_ENDED);
  EXPECT_EQ(ended.end_reason(), "schuldbemiddeling afgerond");
  // The very next request is denied, and looks like a missing case.
  auto status = GetCase(caw.token, c.name());
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "CASE_NOT_FOUND");
  EXPECT_EQ(End(token_, member.name(), "nogmaals").error_code(), StatusCode::FAILED_PRECONDITION);

  // Current team without, full team with the ended participation; history has both changes.
  EXPECT_EQ(Team(token_, c.name(), false).size(), 2u);
  EXPECT_EQ(Team(token_, c.name(), true).size(), 3u);
  team_v1::ListTeamChangesRequest history;
  history.set_parent(c.name());
  team_v1::ListTeamChangesResponse changes;
  ASSERT_TRUE(team_->ListTeamChanges(Ctx(token_).get(), history, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 4);
  EXPECT_EQ(changes.changes(3).kind(), team_v1::TEAM_CHANGE_KIND_ENDED);
  EXPECT_EQ(changes.changes(3).reason(), "schuldbemiddeling afgerond");
  EXPECT_EQ(changes.changes(3).participant(), member.name());
}

TEST_F(TeamTest, AParticipationGrantsOnlyWithinItsPeriod) {
  const auto ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  const auto nursing = MakePartner("thuisverpleging", team_v1::ORGANIZATION_KIND_HOME_NURSING);
  const auto c = CaseWithCoordinator();
  const auto now = TimeUtil::GetCurrentTime();

  team_v1::AddParticipantRequest request;
  request.set_parent(c.name());
  auto* p = request.mutable_participant();
  p->set_person(ocmw.person_name());
  p->set_role(T::PARTICIPANT_ROLE_PROFESSIONAL);
  p->add_mandate(P::PERMISSION_READ_CASE);
  *p->mutable_valid_until() = now + TimeUtil::SecondsToDuration(2);
  team_v1::Participant short_stay;
  ASSERT_TRUE(team_->AddParticipant(Ctx(token_).get(), request, &short_stay).ok());

  p->set_person(nursing.person_name());
  p->clear_valid_until();
  *p->mutable_valid_from() = now + TimeUtil::SecondsToDuration(3600);
  team_v1::Participant later;
  ASSERT_TRUE(team_->AddParticipant(Ctx(token_).get(), request, &later).ok());
  EXPECT_EQ(later.state(), team_v1::PARTICIPATION_STATE_PENDING);
  GrantConsent(token_, c.name(), {ocmw.org, nursing.org}, {consent_v1::DATA_CATEGORY_CASE});

  EXPECT_TRUE(GetCase(ocmw.token, c.name()).ok());
  EXPECT_EQ(GetCase(nursing.token, c.name()).error_code(), StatusCode::NOT_FOUND) << "not yet begun";
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(GetCase(ocmw.token, c.name()).error_code(), StatusCode::NOT_FOUND) << "period over";
  auto team = Team(token_, c.name(), true);
  ASSERT_EQ(team.size(), 4u);
  EXPECT_EQ(team[2].state(), team_v1::PARTICIPATION_STATE_ENDED);

  // After a period that ran out, as after one ended by hand, the person can be added again; the
  // old participation is closed in the team's history.
  p->set_person(ocmw.person_name());
  p->clear_valid_from();
  team_v1::Participant again;
  const auto status = team_->AddParticipant(Ctx(token_).get(), request, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.state(), team_v1::PARTICIPATION_STATE_ACTIVE);
  EXPECT_NE(again.name(), short_stay.name());
  EXPECT_TRUE(GetCase(ocmw.token, c.name()).ok());
  team_v1::ListTeamChangesRequest history;
  history.set_parent(c.name());
  team_v1::ListTeamChangesResponse changes;
  ASSERT_TRUE(team_->ListTeamChanges(Ctx(token_).get(), history, &changes).ok());
  int closed = 0;
  for (const auto& change : changes.changes())
    if (change.participant() == short_stay.name() && change.kind() == team_v1::TEAM_CHANGE_KIND_ENDED) {
      ++closed;
      EXPECT_EQ(change.reason(), "validity period ended");
    }
  EXPECT_EQ(closed, 1);
}

// A closed case is read-only until it is reopened, in every service: no one joins its team, no
// consent, goal or agreement is added. Access can still be taken away: a participation ends, a
// consent is withdrawn.
TEST_F(TeamTest, AClosedCaseIsReadOnlyUntilItIsReopened) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  const auto c = CaseWithCoordinator();
  team_v1::Participant member;
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &member).ok());
  const auto consent = GrantConsent(token_, c.name(), {caw.org}, {consent_v1::DATA_CATEGORY_CASE});
  ASSERT_TRUE(Transition("activate", c.name()).ok());
  ASSERT_TRUE(Transition("close", c.name(), "doelen bereikt").ok());

  const auto expect_closed = [](const grpc::Status& status, const char* what) {
    EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION) << what << ": " << status.error_message();
    EXPECT_EQ(ErrorReason(status), "CASE_CLOSED") << what;
  };
  team_v1::Participant added;
  expect_closed(AddParticipant(token_, c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                               {P::PERMISSION_READ_CASE}, &added),
                "AddParticipant");
  consent_v1::Consent granted;
  expect_closed(ConsentStub()->GrantConsent(Ctx(token_).get(),
                                            ConsentRequest(token_, c.name(), {ocmw.org}, {consent_v1::DATA_CATEGORY_CASE}),
                                            &granted),
                "GrantConsent");
  careplan_v1::CreateGoalRequest goal;
  goal.set_parent(c.name());
  goal.mutable_goal()->set_statement("Ik wil in mijn huis blijven wonen");
  goal.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
  goal.mutable_goal()->set_held_by(ClientParticipant(token_, c.name()));
  goal.mutable_goal()->set_priority(1);
  careplan_v1::Goal created;
  expect_closed(CarePlanStub()->CreateGoal(Ctx(token_).get(), goal, &created), "CreateGoal");
  agreements_v1::ProposeAgreementRequest propose;
  propose.set_parent(c.name());
  propose.mutable_content()->set_text("Wekelijks huisbezoek");
  propose.mutable_content()->add_required_parties()->set_organization("organizations/" + caw.org);
  agreements_v1::Agreement proposed;
  expect_closed(AgreementStub()->ProposeAgreement(Ctx(token_).get(), propose, &proposed), "ProposeAgreement");

  consent_v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent.name());
  withdraw.set_withdrawn_by(ClientParticipant(token_, c.name()));
  withdraw.set_reason("dossier afgesloten");
  consent_v1::Consent withdrawn;
  const auto status = ConsentStub()->WithdrawConsent(Ctx(token_).get(), withdraw, &withdrawn);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(End(token_, member.name(), "dossier afgesloten").ok());

  ASSERT_TRUE(Transition("reopen", c.name(), "nieuwe vraag").ok());
  EXPECT_TRUE(AddParticipant(token_, c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &added).ok());
}

TEST_F(TeamTest, OnlyTheCoordinatorOrAManagerChangesTheTeam) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  const auto c = CreateCase(token_, CreateClient(token_).name());

  // Nobody outside the owning organisation can even see the team.
  team_v1::Participant out;
  auto status = AddParticipant(caw.token, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_CARE_COORDINATOR,
                               {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);

  const auto coordinator = AppointCoordinator(c.name());
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &out).ok());
  // A participant without MANAGE_TEAM, and a colleague of the coordinator, may not change it.
  status = AddParticipant(caw.token, c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "NOT_TEAM_MANAGER");
  const std::string colleague = UniqueId("colleague");
  status = AddParticipant(Token(org_, colleague), c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(ErrorReason(status), "NOT_TEAM_MANAGER");
  // A participant whose mandate includes MANAGE_TEAM may.
  team_v1::Participant manager;
  ASSERT_TRUE(AddParticipant(token_, c.name(), ocmw.person_name(), T::PARTICIPANT_ROLE_CASE_MANAGER,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_MANAGE_TEAM}, &manager).ok());
  const auto nursing = MakePartner("thuisverpleging", team_v1::ORGANIZATION_KIND_HOME_NURSING);
  ASSERT_TRUE(AddParticipant(ocmw.token, c.name(), nursing.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &out).ok());

  // The client stays; a person holds a role once; roles need the right kind of person.
  const auto team = Team(token_, c.name(), false);
  EXPECT_EQ(ErrorReason(End(token_, team[0].name(), "")), "CLIENT_STAYS");
  status = AddParticipant(token_, c.name(), nursing.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ErrorReason(status), "ALREADY_IN_TEAM");
  const auto daughter = RegisterInformal(token_, "An", "Peeters");
  status = AddParticipant(token_, c.name(), daughter.name(), T::PARTICIPANT_ROLE_CASE_MANAGER,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"participant.role"});
  status = AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_INFORMAL_CARER,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"participant.role"});
  status = AddParticipant(token_, c.name(), "people/nobody-registered-this", T::PARTICIPANT_ROLE_PEER_EXPERT,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(ErrorReason(status), "PERSON_NOT_FOUND");

  // One care coordinator: a second is refused, a hand-over replaces the first in one step.
  ASSERT_TRUE(Transition("activate", c.name()).ok());
  status = AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_CARE_COORDINATOR,
                          {P::PERMISSION_READ_CASE, P::PERMISSION_MANAGE_TEAM}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "CARE_COORDINATOR_EXISTS");
  // The coordinator of an active case cannot just leave.
  status = End(token_, coordinator.name(), "met pensioen");
  EXPECT_EQ(ErrorReason(status), "CARE_COORDINATOR_REQUIRED");
  team_v1::Participant successor;
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_CARE_COORDINATOR,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_MANAGE_TEAM}, &successor,
                             coordinator.name()).ok());
  const auto after = Team(token_, c.name(), true);
  int active_coordinators = 0;
  for (const auto& m : after) {
    if (m.role() == T::PARTICIPANT_ROLE_CARE_COORDINATOR && m.state() == team_v1::PARTICIPATION_STATE_ACTIVE)
      ++active_coordinators;
    if (m.name() == coordinator.name()) {
      EXPECT_EQ(m.state(), team_v1::PARTICIPATION_STATE_ENDED);
    }
  }
  EXPECT_EQ(active_coordinators, 1);
  // The former coordinator no longer manages the team; the new one does.
  status = AddParticipant(token_, c.name(), daughter.name(), T::PARTICIPANT_ROLE_INFORMAL_CARER,
                          {P::PERMISSION_READ_CASE}, &out);
  EXPECT_EQ(ErrorReason(status), "NOT_TEAM_MANAGER");
  EXPECT_TRUE(AddParticipant(caw.token, c.name(), daughter.name(), T::PARTICIPANT_ROLE_INFORMAL_CARER,
                             {P::PERMISSION_READ_CASE}, &out).ok());

  // Once the case is suspended, the coordinator may leave; it cannot be activated without one.
  ASSERT_TRUE(Transition("suspend", c.name(), "opname ziekenhuis").ok());
  ASSERT_TRUE(End(caw.token, successor.name(), "opname").ok());
  EXPECT_EQ(ErrorReason(Transition("activate", c.name())), "NO_CARE_COORDINATOR");
}

TEST_F(TeamTest, ConcurrentChangesToOneTeamAreSerialised) {
  const auto c = CaseWithCoordinator();
  ASSERT_TRUE(Transition("activate", c.name()).ok());
  const auto coordinator = Team(token_, c.name(), false)[1];
  ASSERT_EQ(coordinator.role(), T::PARTICIPANT_ROLE_CARE_COORDINATOR);

  // Eight partners join at once: all of them are added, each change once in the history.
  // Then six of them try to take over as care coordinator at the same moment.
  std::vector<Partner> partners;
  for (int i = 0; i < 8; ++i) partners.push_back(MakePartner("partner", team_v1::ORGANIZATION_KIND_OTHER));
  std::atomic<int> added{0}, handed_over{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      team_v1::Participant out;
      const auto status = AddParticipant(token_, c.name(), partners[i].person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                                         {P::PERMISSION_READ_CASE}, &out);
      if (status.ok()) ++added;
      else ADD_FAILURE() << status.error_code() << " " << status.error_message();
    });
  for (auto& t : threads) t.join();
  threads.clear();
  // Six of them try to take over as care coordinator at the same moment: exactly one succeeds.
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      team_v1::Participant out;
      const auto status = AddParticipant(token_, c.name(), partners[i].person_name(),
                                         T::PARTICIPANT_ROLE_CARE_COORDINATOR, {P::PERMISSION_READ_CASE},
                                         &out, coordinator.name());
      if (status.ok()) {
        ++handed_over;
      } else if (status.error_code() == StatusCode::PERMISSION_DENIED) {
        ++refused;  // the hand-over already happened: the caller is no longer the coordinator
      } else {
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(added.load(), 8);
  EXPECT_EQ(handed_over.load(), 1);
  EXPECT_EQ(refused.load(), 5);

  int coordinators = 0;
  for (const auto& m : Team(token_, c.name(), false))
    if (m.role() == T::PARTICIPANT_ROLE_CARE_COORDINATOR) ++coordinators;
  EXPECT_EQ(coordinators, 1);
  team_v1::ListTeamChangesRequest history;
  history.set_parent(c.name());
  history.set_page_size(100);
  team_v1::ListTeamChangesResponse changes;
  ASSERT_TRUE(team_->ListTeamChanges(Ctx(token_).get(), history, &changes).ok());
  // client + coordinator + 8 professionals + the old coordinator ended + the new one added
  EXPECT_EQ(changes.changes_size(), 12);
}

TEST_F(TeamTest, AddingIsIdempotentByRequestId) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CaseWithCoordinator();
  team_v1::AddParticipantRequest request;
  request.set_parent(c.name());
  request.set_request_id("0b6f3c51-3f5e-4b8e-9a51-2d8c7f1e0a11");
  request.mutable_participant()->set_person(caw.person_name());
  request.mutable_participant()->set_role(T::PARTICIPANT_ROLE_PROFESSIONAL);
  request.mutable_participant()->add_mandate(P::PERMISSION_READ_CASE);
  team_v1::Participant first, second;
  ASSERT_TRUE(team_->AddParticipant(Ctx(token_).get(), request, &first).ok());
  ASSERT_TRUE(team_->AddParticipant(Ctx(token_).get(), request, &second).ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(Team(token_, c.name(), true).size(), 3u);
}

TEST_F(TeamTest, BadInputGetsFieldViolations) {
  const auto c = CaseWithCoordinator();
  team_v1::AddParticipantRequest request;
  request.set_parent(c.name());
  auto* p = request.mutable_participant();
  p->set_person(ProfessionalName(org_, person_));
  p->set_role(static_cast<T>(99));
  p->add_mandate(static_cast<P>(42));
  p->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  p->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  const auto now = TimeUtil::GetCurrentTime();
  *p->mutable_valid_from() = now + TimeUtil::SecondsToDuration(7200);
  *p->mutable_valid_until() = now + TimeUtil::SecondsToDuration(3600);  // ends before it starts
  request.set_request_id("not-a-uuid");
  team_v1::Participant out;
  auto status = team_->AddParticipant(Ctx(token_).get(), request, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"participant.role", "participant.mandate", "participant.life_domains",
                                      "participant.valid_until", "request_id"}));

  // A care coordinator begins now and has no end date.
  p->set_role(T::PARTICIPANT_ROLE_CARE_COORDINATOR);
  p->clear_mandate();
  p->clear_life_domains();
  request.clear_request_id();
  status = team_->AddParticipant(Ctx(token_).get(), request, &out);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"participant.mandate", "participant.valid_until",
                                      "participant.valid_until", "participant.valid_from"}));

  request.set_parent("cases/42");
  EXPECT_EQ(ViolationFields(team_->AddParticipant(Ctx(token_).get(), request, &out)),
            std::vector<std::string>{"parent"});
  team_v1::EndParticipationRequest end;
  end.set_name(c.name() + "/participants/x");
  EXPECT_EQ(ViolationFields(team_->EndParticipation(Ctx(token_).get(), end, &out)),
            std::vector<std::string>{"name"});
}

TEST_F(TeamTest, ThePartnerDirectory) {
  // Only a platform administrator adds organisations; the KBO number is checked and unique.
  team_v1::CreateOrganizationRequest request;
  request.set_organization_id(UniqueId("caw-oost"));
  request.mutable_organization()->set_display_name("CAW Oost-Brabant");
  request.mutable_organization()->set_kind(team_v1::ORGANIZATION_KIND_CAW);
  request.mutable_organization()->set_kbo_number("0123.456.748");  // wrong check digits
  team_v1::Organization org;
  auto status = team_->CreateOrganization(Ctx(token_).get(), request, &org);
  EXPECT_EQ(ErrorReason(status), "ADMIN_ONLY");
  status = team_->CreateOrganization(Ctx(AdminToken()).get(), request, &org);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"organization.kbo_number"});
  const std::string kbo = MakeKbo();
  request.mutable_organization()->set_kbo_number("BE " + kbo.substr(0, 4) + "." + kbo.substr(4, 3) + "." + kbo.substr(7));
  ASSERT_TRUE(team_->CreateOrganization(Ctx(AdminToken()).get(), request, &org).ok());
  EXPECT_EQ(org.kbo_number(), kbo);
  EXPECT_TRUE(org.active());
  request.set_organization_id(UniqueId("caw-west"));
  status = team_->CreateOrganization(Ctx(AdminToken()).get(), request, &org);
  EXPECT_EQ(ErrorReason(status), "KBO_NUMBER_TAKEN");

  // Any authenticated caller reads the directory, filtered and paginated.
  team_v1::ListOrganizationsRequest list;
  list.set_kind(team_v1::ORGANIZATION_KIND_CAW);
  list.set_page_size(1);
  team_v1::ListOrganizationsResponse page;
  ASSERT_TRUE(team_->ListOrganizations(Ctx(token_).get(), list, &page).ok());
  ASSERT_EQ(page.organizations_size(), 1);
  EXPECT_EQ(page.organizations(0).kind(), team_v1::ORGANIZATION_KIND_CAW);
  EXPECT_FALSE(page.next_page_token().empty());

  // A token's organisation must be in the directory and active; a deactivation is effective at once.
  const std::string caw = org.name().substr(std::string("organizations/").size());
  const std::string caw_token = Token(caw, UniqueId("caw-worker"));
  team_v1::GetOrganizationRequest get;
  get.set_name(org.name());
  ASSERT_TRUE(team_->GetOrganization(Ctx(caw_token).get(), get, &org).ok());
  team_v1::UpdateOrganizationRequest update;
  update.mutable_organization()->set_name(org.name());
  update.mutable_organization()->set_active(false);
  update.mutable_organization()->set_etag(org.etag());
  update.mutable_update_mask()->add_paths("active");
  team_v1::Organization updated;
  ASSERT_TRUE(team_->UpdateOrganization(Ctx(AdminToken()).get(), update, &updated).ok());
  EXPECT_FALSE(updated.active());
  status = team_->GetOrganization(Ctx(caw_token).get(), get, &org);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "ORGANIZATION_INACTIVE");
  status = stub_->ListCases(Ctx(Token(UniqueOrg("unknown", false), "p")).get(), v1::ListCasesRequest(),
                            std::make_unique<v1::ListCasesResponse>().get());
  EXPECT_EQ(ErrorReason(status), "ORGANIZATION_UNKNOWN");
  // The etag guards concurrent edits.
  EXPECT_EQ(team_->UpdateOrganization(Ctx(AdminToken()).get(), update, &updated).error_code(),
            StatusCode::ABORTED);

  // A platform token manages the directory but cannot act for an organisation.
  v1::ListClientsResponse clients;
  status = stub_->ListClients(Ctx(AdminToken()).get(), v1::ListClientsRequest(), &clients);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "PLATFORM_TOKEN");

}

// A professional's person id is their token subject, which only their own organisation vouches
// for: registered first by another organisation, it takes nothing from them (issue 19, item 7).
TEST_F(TeamTest, APersonIdBelongsToItsOrganisationOnly) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto id = UniqueId("worker");
  const auto taken_first = RegisterProfessional(token_, id);  // by the owner's organisation
  const auto own = RegisterProfessional(Token(caw.org, id), id);
  EXPECT_EQ(taken_first.name(), ProfessionalName(org_, id));
  EXPECT_EQ(own.name(), ProfessionalName(caw.org, id));
  EXPECT_EQ(own.organization(), "organizations/" + caw.org);
  team_v1::CreatePersonRequest again;
  again.set_person_id(id);
  again.mutable_person()->set_kind(team_v1::PERSON_KIND_PROFESSIONAL);
  again.mutable_person()->set_given_name("Eva");
  again.mutable_person()->set_family_name("Claes");
  again.mutable_person()->set_profession("maatschappelijk werker");
  team_v1::Person out;
  EXPECT_EQ(ErrorReason(team_->CreatePerson(Ctx(Token(caw.org, id)).get(), again, &out)), "PERSON_ALREADY_EXISTS");

  // The CAW's professional joins a team; the namesake of the other organisation is not them.
  const auto c = CaseWithCoordinator();
  team_v1::Participant added;
  ASSERT_TRUE(AddParticipant(token_, c.name(), own.name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CARE_PLAN}, &added).ok());
  EXPECT_EQ(added.person(), own.name());
  team_v1::ListParticipationsRequest mine;
  mine.set_person(own.name());
  team_v1::ListParticipationsResponse listed;
  ASSERT_TRUE(team_->ListParticipations(Ctx(Token(caw.org, id)).get(), mine, &listed).ok());
  EXPECT_EQ(listed.participants_size(), 1);
  EXPECT_EQ(ErrorReason(team_->ListParticipations(Ctx(Token(org_, id)).get(), mine, &listed)), "NOT_YOURSELF");
  mine.set_person(taken_first.name());
  ASSERT_TRUE(team_->ListParticipations(Ctx(Token(org_, id)).get(), mine, &listed).ok());
  EXPECT_EQ(listed.participants_size(), 0);
}

// The methods only Kruispunt's own services call are served on the internal port only, and there
// only to the service token.
TEST_F(TeamTest, InternalServicesAreNotOnThePublicPortAndAnswerOnlyServices) {
  const auto public_channel = Harness::Get().Channel(team_v1::TeamService::service_full_name());
  team_v1::DescribeTeamsRequest describe;
  team_v1::DescribeTeamsResponse described;
  const auto on_public_port = team_v1::TeamInternalService::NewStub(public_channel)->DescribeTeams(
      Ctx(ServiceToken()).get(), describe, &described);
  EXPECT_EQ(on_public_port.error_code(), StatusCode::UNIMPLEMENTED);

  auto team = TeamInternalStub();
  EXPECT_EQ(ErrorReason(team->DescribeTeams(Ctx(token_).get(), describe, &described)), "SERVICE_ONLY");
  EXPECT_TRUE(team->DescribeTeams(Ctx(ServiceToken()).get(), describe, &described).ok());
  team_v1::RegisterCasesRequest reg;
  team_v1::RegisterCasesResponse registered;
  EXPECT_EQ(ErrorReason(team->RegisterCases(Ctx(AdminToken()).get(), reg, &registered)), "SERVICE_ONLY");
  team_v1::ListOrganizationCasesRequest list_cases;
  list_cases.set_organization("organizations/" + org_);
  team_v1::ListOrganizationCasesResponse cases;
  EXPECT_EQ(ErrorReason(team->ListOrganizationCases(Ctx(token_).get(), list_cases, &cases)), "SERVICE_ONLY");
  team_v1::LookUpOrganizationsRequest look_up;
  look_up.add_names("organizations/" + org_);
  look_up.add_names("organizations/not-in-the-directory");
  team_v1::LookUpOrganizationsResponse found;
  EXPECT_EQ(ErrorReason(team->LookUpOrganizations(Ctx(token_).get(), look_up, &found)), "SERVICE_ONLY");
  ASSERT_TRUE(team->LookUpOrganizations(Ctx(ServiceToken()).get(), look_up, &found).ok());
  ASSERT_EQ(found.organizations_size(), 1);
  EXPECT_EQ(found.organizations(0).name(), "organizations/" + org_);
  // The change feed's read of the teams' history: services only, its input checked.
  team_v1::ReadTeamChangesRequest read;
  team_v1::ReadTeamChangesResponse history;
  EXPECT_EQ(ErrorReason(team->ReadTeamChanges(Ctx(token_).get(), read, &history)), "SERVICE_ONLY");
  const auto refused_fields = [&](const team_v1::ReadTeamChangesRequest& r) {
    const auto status = team->ReadTeamChanges(Ctx(ServiceToken()).get(), r, &history);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
    return ViolationFields(status);
  };
  read.add_cases("cases/not-a-uuid");
  read.set_limit(10);
  EXPECT_EQ(refused_fields(read), std::vector<std::string>{"cases"});
  read.set_cases(0, "cases/00000000-0000-4000-8000-000000000000");
  read.set_limit(0);
  EXPECT_EQ(refused_fields(read), std::vector<std::string>{"limit"});
  read.set_limit(10);
  read.set_ended_for_organization("caw");
  EXPECT_EQ(refused_fields(read), std::vector<std::string>{"ended_for_organization"});
  read.set_ended_for_organization("organizations/" + org_);
  EXPECT_TRUE(team->ReadTeamChanges(Ctx(ServiceToken()).get(), read, &history).ok());
  list_cases.set_with_since(true);
  list_cases.set_partner_only(true);
  const auto both = team->ListOrganizationCases(Ctx(ServiceToken()).get(), list_cases, &cases);
  EXPECT_EQ(ViolationFields(both), std::vector<std::string>{"with_since"});
  consent_v1::BatchCheckAccessResponse decisions;
  EXPECT_EQ(ErrorReason(ConsentInternalStub()->BatchCheckAccess(Ctx(token_).get(), {}, &decisions)), "SERVICE_ONLY");
  audit_v1::RecordDecisionsResponse recorded;
  EXPECT_EQ(ErrorReason(AuditInternalStub()->RecordDecisions(Ctx(AdminToken()).get(), {}, &recorded)), "SERVICE_ONLY");
  // Joining a team by a referral is ReferralService's to ask, with each field checked.
  team_v1::JoinFromReferralRequest join;
  join.set_referral("cases/x/referrals/y");
  join.set_person("people/someone");
  join.add_mandate(static_cast<team_v1::Permission>(42));
  join.set_accepted_by_organization(org_);
  join.set_accepted_by_person(person_);
  team_v1::Participant joined;
  EXPECT_EQ(ErrorReason(team->JoinFromReferral(Ctx(token_).get(), join, &joined)), "SERVICE_ONLY");
  EXPECT_EQ(ViolationFields(team->JoinFromReferral(Ctx(ServiceToken()).get(), join, &joined)),
            (std::vector<std::string>{"referral", "person", "mandate"}));
}

TEST_F(TeamTest, PeopleWithoutAnOrganisationAreVisibleOnlyToWhoRegisteredThem) {
  const auto daughter = RegisterInformal(token_, "An", "Peeters");
  EXPECT_EQ(daughter.kind(), team_v1::PERSON_KIND_INFORMAL);
  EXPECT_TRUE(daughter.organization().empty());
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  team_v1::GetPersonRequest get;
  get.set_name(daughter.name());
  team_v1::Person seen;
  EXPECT_TRUE(team_->GetPerson(Ctx(token_).get(), get, &seen).ok());
  EXPECT_EQ(team_->GetPerson(Ctx(caw.token).get(), get, &seen).error_code(), StatusCode::NOT_FOUND);
  // Professionals are in the directory.
  get.set_name(caw.person_name());
  ASSERT_TRUE(team_->GetPerson(Ctx(token_).get(), get, &seen).ok());
  EXPECT_EQ(seen.organization(), "organizations/" + caw.org);

  // A professional is registered by their own organisation, under their token subject.
  team_v1::CreatePersonRequest request;
  request.set_person_id(UniqueId("x"));
  request.mutable_person()->set_kind(team_v1::PERSON_KIND_PROFESSIONAL);
  request.mutable_person()->set_organization("organizations/" + caw.org);
  request.mutable_person()->set_given_name("Piet");
  request.mutable_person()->set_family_name("Claes");
  EXPECT_EQ(ViolationFields(team_->CreatePerson(Ctx(token_).get(), request, &seen)),
            (std::vector<std::string>{"person.profession", "person.organization"}));
  request.mutable_person()->set_kind(team_v1::PERSON_KIND_UNSPECIFIED);
  EXPECT_EQ(ViolationFields(team_->CreatePerson(Ctx(token_).get(), request, &seen)),
            std::vector<std::string>{"person.kind"});
}

}  // namespace
}  // namespace kp::test
