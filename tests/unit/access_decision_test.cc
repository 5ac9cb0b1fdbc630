// The access decision as a pure function, and the validation of a consent to grant.
#include <gtest/gtest.h>

#include "common/errors.h"
#include "consent/domain/access_decision.h"
#include "consent/grpc/consent_validation.h"

namespace kp::consent {
namespace {

const std::string kOwner = "dmw", kCaw = "caw";
constexpr int kManageTeamForTest = 7;  // kruispunt.team.v1.PERMISSION_MANAGE_TEAM

TeamFacts Team(int32_t caw_permissions) {
  return {true, kOwner, caw_permissions, {"p-caw"}};
}

ConsentInForce Consent(std::vector<std::string> orgs, std::vector<Category> categories,
                       std::vector<std::string> participants = {}) {
  ConsentInForce c{"k1", std::move(orgs), std::move(participants), 0, 1};
  for (auto category : categories) c.categories |= CategoryBit(category);
  return c;
}

TEST(AccessDecision, TheOwnerReadsAndWritesByOwnership) {
  const auto v = Decide({kOwner, Category::kMedical, Action::kWrite, 1}, Team(0), {});
  EXPECT_TRUE(v.permit);
  EXPECT_EQ(v.ground, Ground::kOwner);
  EXPECT_TRUE(v.consents.empty());
}

TEST(AccessDecision, AnOutsiderIsToldTheSameWhetherTheCaseExistsOrNot) {
  EXPECT_EQ(ToldToAsker(DenyReason::kNotInTeam), DenyReason::kCaseUnknown);
  EXPECT_EQ(ToldToAsker(DenyReason::kCaseUnknown), DenyReason::kCaseUnknown);
  EXPECT_EQ(ToldToAsker(DenyReason::kMandate), DenyReason::kMandate) << "a team member knows the case";
  EXPECT_EQ(ToldToAsker(DenyReason::kNoConsent), DenyReason::kNoConsent);
}

TEST(AccessDecision, AReferralsReceiverNeedsAConsentNamingItsOrganisationNothingElse) {
  const std::string kCawDebt = "caw-schuld";
  const Question receive{kCawDebt, Category::kFinancial, Action::kReceive, 1};
  const TeamFacts outside{true, kOwner, 0, {}};  // the receiver takes no part in the team
  EXPECT_EQ(Decide(receive, {false, "", 0, {}}, {Consent({kCawDebt}, {Category::kFinancial})}).deny,
            DenyReason::kCaseUnknown);
  EXPECT_EQ(Decide(receive, outside, {}).deny, DenyReason::kNoConsent);
  EXPECT_EQ(Decide(receive, outside, {Consent({kCaw}, {Category::kFinancial})}).deny, DenyReason::kNoConsent)
      << "another organisation's consent";
  EXPECT_EQ(Decide(receive, outside, {Consent({kCawDebt}, {Category::kHousing})}).deny, DenyReason::kNoConsent)
      << "another kind of data";
  auto other_purpose = Consent({kCawDebt}, {Category::kFinancial});
  other_purpose.purpose = 2;
  EXPECT_EQ(Decide(receive, outside, {other_purpose}).deny, DenyReason::kNoConsent);
  EXPECT_EQ(Decide(receive, {true, kOwner, 0, {"p-1"}}, {Consent({}, {Category::kFinancial}, {"p-1"})}).deny,
            DenyReason::kNoConsent)
      << "a consent to a participant is not one to the receiving organisation";
  EXPECT_EQ(Decide({kOwner, Category::kFinancial, Action::kReceive, 1}, Team(0), {}).ground, Ground::kOwner)
      << "a referral within the owning organisation discloses nothing";
  const auto v = Decide(receive, outside, {Consent({kCaw, kCawDebt}, {Category::kFinancial})});
  EXPECT_TRUE(v.permit);
  EXPECT_EQ(v.ground, Ground::kConsentToReceiver);
  EXPECT_EQ(v.consents, std::vector<std::string>{"k1"});
  EXPECT_EQ(v.permission, 0);
  EXPECT_EQ(PermissionsFor(Category::kFinancial, Action::kReceive), 0);
}

TEST(AccessDecision, APartnerNeedsParticipationMandateAndConsent) {
  const int32_t read_plan = PermissionBit(kReadCarePlan);
  const Question plan{kCaw, Category::kCarePlan, Action::kRead, 1};
  EXPECT_EQ(Decide(plan, {false, "", 0, {}}, {}).deny, DenyReason::kCaseUnknown);
  EXPECT_EQ(Decide(plan, Team(0), {Consent({kCaw}, {Category::kCarePlan})}).deny, DenyReason::kNotInTeam);
  EXPECT_EQ(Decide(plan, Team(PermissionBit(kReadCase)), {Consent({kCaw}, {Category::kCarePlan})}).deny,
            DenyReason::kMandate);
  EXPECT_EQ(Decide(plan, Team(read_plan), {}).deny, DenyReason::kNoConsent);
  EXPECT_EQ(Decide(plan, Team(read_plan), {Consent({"ocmw"}, {Category::kCarePlan})}).deny, DenyReason::kNoConsent);
  EXPECT_EQ(Decide(plan, Team(read_plan), {Consent({kCaw}, {Category::kMedical})}).deny, DenyReason::kNoConsent);
  auto other_purpose = Consent({kCaw}, {Category::kCarePlan});
  other_purpose.purpose = 2;
  EXPECT_EQ(Decide(plan, Team(read_plan), {other_purpose}).deny, DenyReason::kNoConsent);

  const auto v = Decide(plan, Team(read_plan), {Consent({kCaw}, {Category::kCarePlan, Category::kAgreements})});
  EXPECT_TRUE(v.permit);
  EXPECT_EQ(v.ground, Ground::kParticipationAndConsent);
  EXPECT_EQ(v.permission, kReadCarePlan);
  EXPECT_EQ(v.consents, std::vector<std::string>{"k1"});
  // A consent that names one of the caller's own participations covers it too.
  EXPECT_TRUE(Decide(plan, Team(read_plan), {Consent({"ocmw"}, {Category::kCarePlan}, {"p-caw"})}).permit);
}

TEST(AccessDecision, AQuestionMayNarrowTheMandateItNeeds) {
  const auto plan = Consent({kCaw}, {Category::kCarePlan});
  Question edit_goal{kCaw, Category::kCarePlan, Action::kWrite, 1, kEditCarePlan};
  Question record_evaluation{kCaw, Category::kCarePlan, Action::kWrite, 1};
  // Recording evaluations allows writing an evaluation, not editing a goal.
  EXPECT_TRUE(Decide(record_evaluation, Team(PermissionBit(kRecordEvaluations)), {plan}).permit);
  EXPECT_EQ(Decide(edit_goal, Team(PermissionBit(kRecordEvaluations)), {plan}).deny, DenyReason::kMandate);
  const auto v = Decide(edit_goal, Team(PermissionBit(kRecordEvaluations) | PermissionBit(kEditCarePlan)), {plan});
  EXPECT_TRUE(v.permit);
  EXPECT_EQ(v.permission, kEditCarePlan);
  // A narrowing outside what the category and action allow grants nothing, even to a mandate
  // that holds it; validation refuses to ask it.
  Question odd{kCaw, Category::kCarePlan, Action::kWrite, 1, kManageTeamForTest};
  EXPECT_EQ(Decide(odd, Team(0xFE), {plan}).deny, DenyReason::kMandate);
  EXPECT_FALSE(MayNarrowTo(Category::kCarePlan, Action::kWrite, kManageTeamForTest));
  EXPECT_FALSE(MayNarrowTo(Category::kCarePlan, Action::kWrite, kReadCarePlan));
  EXPECT_TRUE(MayNarrowTo(Category::kCarePlan, Action::kWrite, kRecordEvaluations));
  EXPECT_FALSE(MayNarrowTo(Category::kCase, Action::kRead, 0));
}

TEST(AccessDecision, OnlyTheOwnerChangesTheCasesOwnData) {
  const int32_t everything = 0xFE;
  for (auto category : {Category::kCase, Category::kMedical, Category::kIdentityAndContact})
    EXPECT_EQ(Decide({kCaw, category, Action::kWrite, 1}, Team(everything), {Consent({kCaw}, {category})}).deny,
              DenyReason::kMandate);
  EXPECT_TRUE(Decide({kCaw, Category::kCarePlan, Action::kWrite, 1}, Team(PermissionBit(kEditCarePlan)),
                     {Consent({kCaw}, {Category::kCarePlan})}).permit);
  EXPECT_EQ(PermissionsFor(Category::kAgreements, Action::kWrite),
            PermissionBit(kProposeAgreements) | PermissionBit(kAnswerAgreements));
}

TEST(GrantValidation, CollectsEveryViolationAndReadsAValidGrant) {
  const Identity caller{"dmw", "sw-1", "professional"};
  v1::GrantConsentRequest r;
  r.set_parent("cases/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  auto* c = r.mutable_consent();
  c->set_granted_by(r.parent() + "/participants/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
  c->add_recipient_organizations("organizations/caw");
  c->add_recipient_organizations("organizations/caw");
  c->add_categories(v1::DATA_CATEGORY_CARE_PLAN);
  c->add_categories(v1::DATA_CATEGORY_CARE_PLAN);
  c->set_purpose(v1::PURPOSE_CARE_COORDINATION);
  c->set_method(v1::CONSENT_METHOD_WRITTEN);
  c->set_legal_basis(v1::LEGAL_BASIS_EXPLICIT_CONSENT);
  std::vector<std::string> fields;
  try {
    ValidateGrantConsent(r, caller, std::chrono::system_clock::now());
  } catch (const Error& e) {
    for (const auto& v : e.violations()) fields.push_back(v.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"consent.recipient_organizations", "consent.categories",
                                              "consent.verification_note"}));
  c->clear_recipient_organizations();
  c->add_recipient_organizations("organizations/caw");
  c->clear_categories();
  c->add_categories(v1::DATA_CATEGORY_CARE_PLAN);
  c->add_categories(v1::DATA_CATEGORY_MEDICAL);
  c->set_verification_note("Geïnformeerd en vrijwillig, besproken met mevrouw.");
  const auto grant = ValidateGrantConsent(r, caller, std::chrono::system_clock::now());
  EXPECT_EQ(grant.categories, CategoryBit(Category::kCarePlan) | CategoryBit(Category::kMedical));
  EXPECT_EQ(grant.recipient_orgs, std::vector<std::string>{"caw"});
  EXPECT_EQ(grant.verified_by, "sw-1");
  EXPECT_EQ(grant.granted_by, "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
}

}  // namespace
}  // namespace kp::consent
