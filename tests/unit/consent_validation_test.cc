// What GrantConsent accepts, as a pure function: every violation named by its field.
#include <gtest/gtest.h>

#include <cstdio>

#include "consent/grpc/consent_validation.h"
#include "support/refusals.h"

namespace kp::consent {
namespace {

const std::string kCaseId = "3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c";
const std::string kCase = "cases/" + kCaseId;
const Identity kCaller{"wgc-noord", "sofie-janssens", "professional"};
const auto kNow = std::chrono::system_clock::from_time_t(1795000000);

std::string Participant(int i) {
  char id[37];
  std::snprintf(id, sizeof id, "7c6b5a4f-3e2d-4f1c-8a9e-%012d", i);
  return kCase + "/participants/" + id;
}

v1::GrantConsentRequest Grant() {
  v1::GrantConsentRequest request;
  request.set_parent(kCase);
  auto* c = request.mutable_consent();
  c->set_granted_by(Participant(0));
  c->add_recipient_organizations("organizations/caw-oost");
  c->add_recipient_organizations("organizations/ocmw-gent");
  c->add_recipient_participants(Participant(1));
  c->add_categories(v1::DATA_CATEGORY_CARE_PLAN);
  c->add_categories(v1::DATA_CATEGORY_AGREEMENTS);
  c->set_purpose(v1::PURPOSE_CARE_COORDINATION);
  c->set_method(v1::CONSENT_METHOD_WRITTEN);
  c->set_verification_note("Toestemming overlopen met de cliënt, formulier ondertekend.");
  c->set_legal_basis(v1::LEGAL_BASIS_EXPLICIT_CONSENT);
  return request;
}

std::vector<FieldViolation> Violated(const v1::GrantConsentRequest& request) {
  return test::Refusals([&] { ValidateGrantConsent(request, kCaller, kNow); });
}

std::vector<std::string> Fields(const v1::GrantConsentRequest& request) {
  return test::RefusedFields([&] { ValidateGrantConsent(request, kCaller, kNow); });
}

TEST(ConsentValidation, AGrantNamesItsGrantorRecipientsAndCategories) {
  const auto grant = ValidateGrantConsent(Grant(), kCaller, kNow);
  EXPECT_EQ(grant.case_id, kCaseId);
  EXPECT_EQ(grant.granted_by, "7c6b5a4f-3e2d-4f1c-8a9e-000000000000");
  EXPECT_EQ(grant.recipient_orgs, (std::vector<std::string>{"caw-oost", "ocmw-gent"}));
  EXPECT_EQ(grant.recipient_participants, std::vector<std::string>{"7c6b5a4f-3e2d-4f1c-8a9e-000000000001"});
  EXPECT_EQ(grant.categories, CategoryBit(Category::kCarePlan) | CategoryBit(Category::kAgreements));
  EXPECT_EQ(grant.verified_by, "sofie-janssens") << "the professional who checked it is the caller";
  EXPECT_EQ(grant.recorded_by_org, "wgc-noord");
  EXPECT_FALSE(grant.valid_until_micros);
}

TEST(ConsentValidation, EveryMissingPartIsNamed) {
  v1::GrantConsentRequest request;
  request.set_parent(kCase);
  EXPECT_EQ(Fields(request),
            (std::vector<std::string>{"consent.granted_by", "consent.recipient_organizations", "consent.categories",
                                      "consent.purpose", "consent.method", "consent.verification_note",
                                      "consent.legal_basis"}));
}

TEST(ConsentValidation, RecipientsAreOfThisCaseEachOnceAndAtMostFifty) {
  auto request = Grant();
  request.mutable_consent()->add_recipient_organizations("organizations/caw-oost");
  request.mutable_consent()->add_recipient_participants(Participant(1));
  request.mutable_consent()->add_recipient_participants(
      "cases/00000000-0000-4000-8000-000000000000/participants/7c6b5a4f-3e2d-4f1c-8a9e-000000000002");
  const auto violations = Violated(request);
  ASSERT_EQ(violations.size(), 3u);
  EXPECT_EQ(violations[0].field, "consent.recipient_organizations");
  EXPECT_EQ(violations[0].description, "names an organisation twice");
  EXPECT_EQ(violations[1].description, "names a participant twice");
  EXPECT_EQ(violations[2].description, "must be participants of this case");

  request = Grant();
  request.mutable_consent()->clear_recipient_participants();
  for (int i = 1; i <= 50; ++i) request.mutable_consent()->add_recipient_participants(Participant(i));
  EXPECT_TRUE(Fields(request).empty());
  request.mutable_consent()->add_recipient_participants(Participant(51));
  EXPECT_EQ(Fields(request), std::vector<std::string>{"consent.recipient_participants"});

  request = Grant();
  for (int i = 0; i < 49; ++i) request.mutable_consent()->add_recipient_organizations("organizations/org-" + std::to_string(i));
  EXPECT_EQ(Fields(request), std::vector<std::string>{"consent.recipient_organizations"});
  EXPECT_EQ(Violated(request).at(0).description, "names more than 50 organisations");
}

TEST(ConsentValidation, CategoriesAreKnownAndEachNamedOnce) {
  auto request = Grant();
  request.mutable_consent()->add_categories(v1::DATA_CATEGORY_CARE_PLAN);
  request.mutable_consent()->add_categories(static_cast<v1::DataCategory>(99));
  const auto violations = Violated(request);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].description, "names a data category twice");
  EXPECT_EQ(violations[1].description, "must be a data category");
}

TEST(ConsentValidation, AValidityPeriodEndsAfterItStartsAndNotInThePast) {
  auto request = Grant();
  request.mutable_consent()->mutable_valid_from()->set_seconds(1795000000 + 3600);
  request.mutable_consent()->mutable_valid_until()->set_seconds(1795000000 + 60);
  EXPECT_EQ(Violated(request).at(0).description, "must be after valid_from");
  request.mutable_consent()->clear_valid_from();
  request.mutable_consent()->mutable_valid_until()->set_seconds(1795000000 - 60);
  EXPECT_EQ(Violated(request).at(0).description, "is in the past");
  request.mutable_consent()->mutable_valid_until()->set_seconds(1795000000 + 86400 * 365);
  EXPECT_EQ(*ValidateGrantConsent(request, kCaller, kNow).valid_until_micros, (1795000000LL + 86400 * 365) * 1000000);
}

TEST(ConsentValidation, TheVerifierIsTheCallerNeverTheRequest) {
  auto request = Grant();
  request.mutable_consent()->set_verified_by("people/someone-else");
  EXPECT_EQ(Fields(request), std::vector<std::string>{"consent.verified_by"});
}

}  // namespace
}  // namespace kp::consent
