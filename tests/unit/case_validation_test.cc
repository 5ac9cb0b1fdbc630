#include "cases/grpc/case_validation.h"

#include <gtest/gtest.h>

#include "support/refusals.h"

using namespace kp;
using namespace kp::cases;
using kp::test::RefusedFields;

namespace {

const Identity kCaller{"dmw-cm", "sw-1", "professional"};

v1::CreateClientRequest Maria() {
  v1::CreateClientRequest r;
  auto* c = r.mutable_client();
  c->set_insz("59031212301");
  c->set_given_name("Maria");
  c->set_family_name("Peeters");
  c->mutable_birth_date()->set_year(1959);
  c->mutable_birth_date()->set_month(3);
  c->mutable_birth_date()->set_day(12);
  c->set_preferred_language("nl-BE");
  c->mutable_contact()->set_phone("+32 470 12 34 56");
  c->mutable_contact()->set_email("maria@example.be");
  return r;
}

}  // namespace

TEST(CreateClientValidation, AcceptsAValidClient) {
  const auto client = ValidateCreateClient(Maria(), kCaller);
  EXPECT_EQ(client.insz, "59031212301");
  EXPECT_EQ(client.birth_date, "1959-03-12");
  EXPECT_EQ(client.organization, "dmw-cm");
  EXPECT_FALSE(client.request_id);
}

TEST(CreateClientValidation, ReportsEveryBadField) {
  auto r = Maria();
  r.mutable_client()->set_insz("59031212302");
  r.mutable_client()->set_given_name("");
  r.mutable_client()->set_preferred_language("dutch language");
  r.mutable_client()->mutable_contact()->set_email("not-an-email");
  r.mutable_client()->mutable_contact()->set_phone("call me");
  r.set_request_id("123");
  EXPECT_EQ(RefusedFields([&] { ValidateCreateClient(r, kCaller); }),
            (std::vector<std::string>{"client.insz", "client.given_name", "client.preferred_language",
                                      "client.contact.email", "client.contact.phone", "request_id"}));
}

TEST(CreateClientValidation, BirthDateMustAgreeWithInszAndNotBeInTheFuture) {
  auto r = Maria();
  r.mutable_client()->mutable_birth_date()->set_day(13);
  EXPECT_EQ(RefusedFields([&] { ValidateCreateClient(r, kCaller); }), std::vector<std::string>{"client.birth_date"});
  r.mutable_client()->mutable_birth_date()->set_month(2);
  r.mutable_client()->mutable_birth_date()->set_day(30);
  EXPECT_EQ(RefusedFields([&] { ValidateCreateClient(r, kCaller); }), std::vector<std::string>{"client.birth_date"});
  r.mutable_client()->set_insz("00000012371");
  r.mutable_client()->mutable_birth_date()->set_year(9000);
  r.mutable_client()->mutable_birth_date()->set_day(1);
  EXPECT_EQ(RefusedFields([&] { ValidateCreateClient(r, kCaller); }), std::vector<std::string>{"client.birth_date"});
}

TEST(UpdateClientValidation, ExpandsContactAndRefusesImmutableFields) {
  v1::UpdateClientRequest r;
  r.mutable_client()->set_name("clients/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  r.mutable_client()->mutable_contact()->set_city("Gent");
  r.mutable_update_mask()->add_paths("contact");
  const auto update = ValidateUpdateClient(r);
  EXPECT_EQ(update.changes.contact.city, "Gent");
  EXPECT_EQ(update.changes.contact.email, "") << "contact clears the contact fields not given";
  EXPECT_FALSE(update.changes.given_name);

  r.mutable_update_mask()->add_paths("insz");
  EXPECT_EQ(RefusedFields([&] { ValidateUpdateClient(r); }), std::vector<std::string>{"update_mask"});
  r.clear_update_mask();
  EXPECT_EQ(RefusedFields([&] { ValidateUpdateClient(r); }), std::vector<std::string>{"update_mask"});
}

TEST(CreateCaseValidation, ChecksClientTitleDomainsAndRequestId) {
  v1::CreateCaseRequest r;
  r.mutable_case_()->set_client("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  r.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  r.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  r.mutable_case_()->add_life_domains(static_cast<kruispunt::type::v1::LifeDomain>(99));
  EXPECT_EQ(RefusedFields([&] { ValidateCreateCase(r, kCaller); }),
            (std::vector<std::string>{"case.client", "case.title", "case.life_domains", "case.life_domains"}));

  r.mutable_case_()->set_client("clients/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  r.mutable_case_()->set_title("Schulden");
  r.mutable_case_()->clear_life_domains();
  r.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
  r.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  r.set_request_id("0b7d1c3e-52e2-4c8f-9a51-2f0d3b8f6a11");
  const auto c = ValidateCreateCase(r, kCaller);
  EXPECT_EQ(c.life_domains, "{2,1}");
  EXPECT_EQ(c.request_id, "0b7d1c3e-52e2-4c8f-9a51-2f0d3b8f6a11");
}

TEST(TransitionValidation, DerivesAllowedStatesFromTheStateMachine) {
  v1::TransitionCaseRequest r;
  r.set_name("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  EXPECT_EQ(ValidateTransition(r, Transition::kActivate).allowed_from, "{1,3}");
  EXPECT_EQ(RefusedFields([&] { ValidateTransition(r, Transition::kClose); }), std::vector<std::string>{"reason"});
  r.set_reason("Doelen bereikt");
  EXPECT_EQ(ValidateTransition(r, Transition::kClose).allowed_from, "{1,2,3}");
  r.set_etag("W/\"x\"");
  EXPECT_EQ(ValidateTransition(r, Transition::kClose).expected_version, kNoVersion) << "stale, as any etag not issued here";
}
