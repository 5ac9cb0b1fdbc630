// Every idempotent create binds its request_id to the request's content: a retry with the same
// content gets the first result; the same request_id with other content is refused with
// INVALID_ARGUMENT REQUEST_ID_REUSED on request_id, and nothing is created.
#include <cstdio>
#include <random>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;

std::string NewRequestId() {
  std::random_device random;
  std::uniform_int_distribution<uint32_t> word;
  const uint32_t a = word(random), b = word(random), c = word(random), d = word(random);
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%04x%08x", a, b >> 16, b & 0xfff, (c >> 16 & 0x3fff) | 0x8000,
                c & 0xffff, d);
  return text;
}

class IdempotencyTest : public CaseApiTest {
 protected:
  // Sends `request` twice with one new request_id, then changed by `change`: the retry answers
  // the first result (the same name), the changed one is refused.
  template <class Request, class Response, class Send, class Change>
  void ExpectBoundToContent(const char* what, Request request, Send send, Change change) {
    SCOPED_TRACE(what);
    request.set_request_id(NewRequestId());
    Response first, retried, changed;
    auto status = send(request, &first);
    ASSERT_TRUE(status.ok()) << status.error_message();
    status = send(request, &retried);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(retried.name(), first.name());
    change(request);
    status = send(request, &changed);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ErrorReason(status), "REQUEST_ID_REUSED");
    EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"request_id"});
    EXPECT_TRUE(changed.name().empty());
  }

  template <class Stub, class Request, class Response>
  auto Sender(Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*)) {
    return [this, stub, method](const Request& request, Response* out) {
      return (stub->*method)(Ctx(token_).get(), request, out);
    };
  }
};

TEST_F(IdempotencyTest, EveryCreateBindsItsRequestIdToItsContent) {
  const auto m = OpenMariasCase({P::PERMISSION_READ_CASE}, {P::PERMISSION_READ_CASE}, {P::PERMISSION_READ_CASE});
  auto cases = CaseStub();
  auto team = TeamStub();
  auto careplan = CarePlanStub();

  v1::CreateClientRequest client;
  client.mutable_client()->set_insz(MakeInsz(1961, 5, 20));
  client.mutable_client()->set_given_name("Jan");
  client.mutable_client()->set_family_name("Janssens");
  client.mutable_client()->mutable_birth_date()->set_year(1961);
  client.mutable_client()->mutable_birth_date()->set_month(5);
  client.mutable_client()->mutable_birth_date()->set_day(20);
  ExpectBoundToContent<v1::CreateClientRequest, v1::Client>(
      "CreateClient", client, Sender(cases.get(), &v1::CaseService::Stub::CreateClient),
      [](auto& r) { r.mutable_client()->set_given_name("Johan"); });

  v1::CreateCaseRequest create_case;
  create_case.mutable_case_()->set_client(CreateClient(token_, MakeInsz(1962, 6, 21)).name());
  create_case.mutable_case_()->set_title("Budgetbegeleiding");
  ExpectBoundToContent<v1::CreateCaseRequest, v1::Case>(
      "CreateCase", create_case, Sender(cases.get(), &v1::CaseService::Stub::CreateCase),
      [](auto& r) { r.mutable_case_()->set_title("Woning"); });

  team_v1::CreatePersonRequest person;
  person.mutable_person()->set_kind(team_v1::PERSON_KIND_INFORMAL);
  person.mutable_person()->set_given_name("Els");
  person.mutable_person()->set_family_name("Peeters");
  ExpectBoundToContent<team_v1::CreatePersonRequest, team_v1::Person>(
      "CreatePerson", person, Sender(team.get(), &team_v1::TeamService::Stub::CreatePerson),
      [](auto& r) { r.mutable_person()->set_given_name("Lies"); });

  team_v1::AddParticipantRequest participant;
  participant.set_parent(m.name);
  participant.mutable_participant()->set_person(RegisterInformal(token_, "Tom", "Peeters").name());
  participant.mutable_participant()->set_role(team_v1::PARTICIPANT_ROLE_INFORMAL_CARER);
  participant.mutable_participant()->add_mandate(P::PERMISSION_READ_CARE_PLAN);
  ExpectBoundToContent<team_v1::AddParticipantRequest, team_v1::Participant>(
      "AddParticipant", participant, Sender(team.get(), &team_v1::TeamService::Stub::AddParticipant),
      [](auto& r) { r.mutable_participant()->set_role(team_v1::PARTICIPANT_ROLE_TRUSTED_PERSON); });

  ExpectBoundToContent<consent_v1::GrantConsentRequest, consent_v1::Consent>(
      "GrantConsent", ConsentRequest(token_, m.name, {m.caw.org}, {C::DATA_CATEGORY_CASE}),
      Sender(ConsentStub().get(), &consent_v1::ConsentService::Stub::GrantConsent),
      [](auto& r) { r.mutable_consent()->add_categories(C::DATA_CATEGORY_MEDICAL); });

  careplan_v1::CreateGoalRequest goal;
  goal.set_parent(m.name);
  goal.mutable_goal()->set_statement("Ik wil in mijn huis blijven wonen");
  goal.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
  goal.mutable_goal()->set_held_by(m.client);
  goal.mutable_goal()->set_priority(1);
  careplan_v1::Goal a_goal;
  ASSERT_TRUE(careplan->CreateGoal(Ctx(token_).get(), goal, &a_goal).ok());
  ExpectBoundToContent<careplan_v1::CreateGoalRequest, careplan_v1::Goal>(
      "CreateGoal", goal, Sender(careplan.get(), &careplan_v1::CarePlanService::Stub::CreateGoal),
      [](auto& r) { r.mutable_goal()->set_priority(2); });

  careplan_v1::CreateActionRequest action;
  action.set_parent(m.name);
  action.mutable_action()->set_goal(a_goal.name());
  action.mutable_action()->set_description("Wekelijkse budgetbegeleiding");
  action.mutable_action()->set_responsible(m.caw_participant);
  ExpectBoundToContent<careplan_v1::CreateActionRequest, careplan_v1::Action>(
      "CreateAction", action, Sender(careplan.get(), &careplan_v1::CarePlanService::Stub::CreateAction),
      [](auto& r) { r.mutable_action()->set_description("Maandelijkse budgetbegeleiding"); });

  agreements_v1::ProposeAgreementRequest agreement;
  agreement.set_parent(m.name);
  agreement.mutable_content()->set_text("Wekelijks huisbezoek");
  agreement.mutable_content()->add_required_parties()->set_organization("organizations/" + m.caw.org);
  ExpectBoundToContent<agreements_v1::ProposeAgreementRequest, agreements_v1::Agreement>(
      "ProposeAgreement", agreement, Sender(AgreementStub().get(), &agreements_v1::AgreementService::Stub::ProposeAgreement),
      [](auto& r) { r.mutable_content()->set_text("Tweewekelijks huisbezoek"); });

  socialmap_v1::CreateServiceRequest service;
  service.set_parent("organizations/" + org_);
  service.mutable_service()->set_display_name("Schuldbemiddeling");
  service.mutable_service()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  service.mutable_service()->add_postal_codes("8000");
  ExpectBoundToContent<socialmap_v1::CreateServiceRequest, socialmap_v1::Service>(
      "CreateService", service, Sender(SocialMapStub().get(), &socialmap_v1::SocialMapService::Stub::CreateService),
      [](auto& r) { r.mutable_service()->add_postal_codes("8200"); });
}

}  // namespace
}  // namespace kp::test
