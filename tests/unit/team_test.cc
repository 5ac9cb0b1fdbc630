// TeamService's pure rules: KBO numbers, who may see or change a team, which person a role
// needs, and request validation.
#include <gtest/gtest.h>

#include <google/protobuf/util/time_util.h>

#include "common/errors.h"
#include "team/domain/kbo.h"
#include "team/domain/team_rules.h"
#include "support/refusals.h"
#include "team/client/team_client.h"
#include "team/grpc/team_validation.h"

namespace kp::team {
namespace {

using test::RefusedFields;

// A professional is named within their organisation; anyone else by their generated id. A name
// and its key convert both ways, and nothing else is taken for a person's name.
TEST(PersonNames, AProfessionalIsNamedWithinTheirOrganisation) {
  EXPECT_EQ(ProfessionalKey("ocmw-gent", "sofie.j"), "ocmw-gent/sofie.j");
  EXPECT_EQ(PersonName("ocmw-gent/sofie.j"), "organizations/ocmw-gent/people/sofie.j");
  EXPECT_EQ(PersonKey("organizations/ocmw-gent/people/sofie.j"), "ocmw-gent/sofie.j");
  const std::string informal = "3f2a5b8c-1d4e-4f6a-9b7c-2e8d0a1f3c5b";
  EXPECT_EQ(PersonName(informal), "people/" + informal);
  EXPECT_EQ(PersonKey("people/" + informal), informal);
  for (const char* bad : {"", "people/", "people/a/b", "organizations/ocmw-gent/people/", "organizations//people/x",
                          "organizations/ocmw-gent/persons/x", "organizations/ocmw gent/people/x", "sofie.j",
                          "organizations/ocmw-gent/people/x/y"})
    EXPECT_EQ(PersonKey(bad), std::nullopt) << bad;
}

TEST(Kbo, AcceptsValidNumbersInTheirUsualForms) {
  EXPECT_EQ(ParseKbo("0123456749"), "0123456749");
  EXPECT_EQ(ParseKbo("0123.456.749"), "0123456749");
  EXPECT_EQ(ParseKbo("BE 0123 456 749"), "0123456749");
  EXPECT_EQ(ParseKbo("123456749"), "0123456749");  // the old nine-digit form
  // 97 - n % 97 may be 97 itself: 00000097 % 97 = 0.
  EXPECT_EQ(ParseKbo("0000009797"), "0000009797");
  EXPECT_EQ(ParseKbo("1000000021"), "1000000021");  // 10000000 % 97 = 76, 97 - 76 = 21
}

TEST(Kbo, RefusesBadCheckDigitsLengthsAndCharacters) {
  std::string why;
  EXPECT_FALSE(ParseKbo("0123456748", &why));
  EXPECT_EQ(why, "fails the mod-97 check");
  EXPECT_FALSE(ParseKbo("01234567490", &why));
  EXPECT_EQ(why, "must have 10 digits");
  EXPECT_FALSE(ParseKbo("2123456749", &why));
  EXPECT_EQ(why, "must start with 0 or 1");
  EXPECT_FALSE(ParseKbo("0123-456-749", &why));
  EXPECT_FALSE(ParseKbo("", &why));
}

TEST(TeamRules, RolesNeedTheRightKindOfPerson) {
  EXPECT_EQ(RequiredPersonKind(Role::kCareCoordinator), PersonKind::kProfessional);
  EXPECT_EQ(RequiredPersonKind(Role::kCaseManager), PersonKind::kProfessional);
  EXPECT_EQ(RequiredPersonKind(Role::kProfessional), PersonKind::kProfessional);
  EXPECT_EQ(RequiredPersonKind(Role::kInformalCarer), PersonKind::kInformal);
  EXPECT_EQ(RequiredPersonKind(Role::kLegalRepresentative), PersonKind::kInformal);
  EXPECT_EQ(RequiredPersonKind(Role::kTrustedPerson), PersonKind::kInformal);
  EXPECT_EQ(RequiredPersonKind(Role::kPeerExpert), std::nullopt);
}

TEST(TeamRules, WhoMaySeeAndChangeATeam) {
  TeamStanding stranger;
  EXPECT_FALSE(MaySeeTeam(stranger));
  EXPECT_FALSE(MayChangeTeam(stranger));

  TeamStanding owner{.owner_org = true};
  EXPECT_TRUE(MaySeeTeam(owner));
  EXPECT_TRUE(MayChangeTeam(owner)) << "the owner appoints the first care coordinator";
  owner.team_has_coordinator = true;
  EXPECT_FALSE(MayChangeTeam(owner)) << "then the coordinator decides";

  TeamStanding coordinator{.owner_org = true, .coordinator = true, .team_has_coordinator = true};
  EXPECT_TRUE(MayChangeTeam(coordinator));
  TeamStanding manager{.org_may_read = true, .manage_mandate = true, .team_has_coordinator = true};
  EXPECT_TRUE(MaySeeTeam(manager));
  EXPECT_TRUE(MayChangeTeam(manager));
  TeamStanding reader{.org_may_read = true, .team_has_coordinator = true};
  EXPECT_TRUE(MaySeeTeam(reader));
  EXPECT_FALSE(MayChangeTeam(reader));
}

TEST(TeamRules, AMandateIsABitPerPermission) {
  EXPECT_EQ(Bit(Permission::kReadCase), 2);
  EXPECT_EQ(Bit(Permission::kManageTeam), 128);
  EXPECT_TRUE(kClientMandate & Bit(Permission::kReadCase));
  EXPECT_FALSE(kClientMandate & Bit(Permission::kManageTeam));
}

TEST(TeamValidation, AddParticipantCollectsEveryViolation) {
  using google::protobuf::util::TimeUtil;
  const Identity caller{"dmw", "sw-1", "professional"};
  const auto now = std::chrono::system_clock::now();
  v1::AddParticipantRequest r;
  r.set_parent("cases/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  auto* p = r.mutable_participant();
  p->set_person("people/caw-1");
  p->set_role(v1::PARTICIPANT_ROLE_PROFESSIONAL);
  p->add_mandate(v1::PERMISSION_READ_CASE);
  p->add_mandate(v1::PERMISSION_MANAGE_TEAM);
  const auto ok = ValidateAddParticipant(r, caller, now);
  EXPECT_EQ(ok.participation.permissions, Bit(Permission::kReadCase) | Bit(Permission::kManageTeam));
  EXPECT_EQ(ok.participation.person_id, "caw-1");
  EXPECT_EQ(ok.participation.life_domains, "{}");

  p->set_role(v1::PARTICIPANT_ROLE_CLIENT);
  p->add_mandate(v1::PERMISSION_READ_CASE);
  p->set_person("organizations/caw");
  r.set_handover_from("cases/other/participants/x");
  EXPECT_EQ(RefusedFields([&] { ValidateAddParticipant(r, caller, now); }),
            (std::vector<std::string>{"participant.role", "participant.person", "participant.mandate",
                                      "handover_from", "handover_from"}));

  v1::AddParticipantRequest past;
  past.set_parent(r.parent());
  past.mutable_participant()->set_person("people/caw-1");
  past.mutable_participant()->set_role(v1::PARTICIPANT_ROLE_PROFESSIONAL);
  past.mutable_participant()->add_mandate(v1::PERMISSION_READ_CASE);
  *past.mutable_participant()->mutable_valid_from() = TimeUtil::SecondsToTimestamp(1000);
  *past.mutable_participant()->mutable_valid_until() = TimeUtil::SecondsToTimestamp(2000);
  EXPECT_EQ(RefusedFields([&] { ValidateAddParticipant(past, caller, now); }),
            std::vector<std::string>{"participant.valid_until"});
}

TEST(TeamValidation, OrganisationsNeedAnIdANameAKindAndAValidKbo) {
  v1::CreateOrganizationRequest r;
  r.set_organization_id("caw oost");  // a space is not allowed in a token claim
  r.mutable_organization()->set_kbo_number("0123456748");
  r.mutable_organization()->mutable_contact()->set_email("not-an-address");
  EXPECT_EQ(RefusedFields([&] { ValidateCreateOrganization(r); }),
            (std::vector<std::string>{"organization_id", "organization.display_name", "organization.kind",
                                      "organization.kbo_number", "organization.contact.email"}));
  r.set_organization_id("caw-oost");
  r.mutable_organization()->set_display_name("CAW Oost-Brabant");
  r.mutable_organization()->set_kind(v1::ORGANIZATION_KIND_CAW);
  r.mutable_organization()->set_kbo_number("0123.456.749");
  r.mutable_organization()->mutable_contact()->set_email("onthaal@caw.be");
  EXPECT_EQ(ValidateCreateOrganization(r).kbo_number, "0123456749");
}

}  // namespace
}  // namespace kp::team
