// The social map's request validation as pure functions: codes, names, what an update applies,
// and the keys a search asks for.
#include <gtest/gtest.h>

#include "socialmap/grpc/socialmap_validation.h"
#include "support/refusals.h"

namespace kp::socialmap {
namespace {

using kp::test::RefusedFields;
using D = kruispunt::type::v1::LifeDomain;
using Fields = std::vector<std::string>;

v1::Service Valid() {
  v1::Service s;
  s.set_display_name("Schuldbemiddeling");
  s.add_life_domains(D::LIFE_DOMAIN_FINANCES);
  s.add_postal_codes("8000");
  return s;
}

TEST(SocialMapValidation, PostalCodesAndLanguages) {
  EXPECT_TRUE(IsPostalCode("1000"));
  EXPECT_TRUE(IsPostalCode("9992"));
  for (const char* bad : {"", "0999", "800", "80000", "8O00", "B-8000", " 8000"}) EXPECT_FALSE(IsPostalCode(bad)) << bad;
  EXPECT_TRUE(IsLanguageCode("nl"));
  EXPECT_TRUE(IsLanguageCode("vgt"));
  for (const char* bad : {"", "n", "NL", "nl-BE", "dutch", "n1"}) EXPECT_FALSE(IsLanguageCode(bad)) << bad;
}

TEST(SocialMapValidation, ServiceNames) {
  const auto key = ParseServiceName("organizations/caw-brugge/services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->org_id, "caw-brugge");
  EXPECT_EQ(ServiceName(*key), "organizations/caw-brugge/services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
  for (const char* bad : {"", "services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "organizations/caw/services/42",
                          "organizations/c w/services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                          "organizations/caw/goals/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"})
    EXPECT_FALSE(ParseServiceName(bad)) << bad;
}

TEST(SocialMapValidation, ServiceFieldsAsStored) {
  auto s = Valid();
  s.add_postal_codes("8200");
  s.add_languages("nl");
  s.set_maximum_age(0);
  Violations v;
  const auto values = ServiceFields(v, "service", s, true);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(values.postal_codes, "{\"8000\",\"8200\"}");
  EXPECT_EQ(values.life_domains, "{1}");
  EXPECT_EQ(values.status, v1::SERVICE_STATUS_ACTIVE) << "ACTIVE when not set on create";
  EXPECT_FALSE(values.maximum_age) << "0: no upper limit";
  EXPECT_EQ(values.locations, "[]");

  s.add_postal_codes("8000");
  s.set_minimum_age(30);
  s.set_maximum_age(29);
  Violations again;
  ServiceFields(again, "service", s, false);
  EXPECT_EQ(RefusedFields([&] { again.ThrowIfAny(); }),
            (Fields{"service.maximum_age", "service.postal_codes", "service.status"}))
      << "a postal code twice, a range upside down, and no status outside a create";
}

TEST(SocialMapValidation, AnUpdateReplacesTheListsItNamesAndChecksTheResult) {
  auto current = Valid();
  current.add_postal_codes("8200");
  current.set_status(v1::SERVICE_STATUS_ACTIVE);
  v1::UpdateServiceRequest request;
  request.mutable_service()->set_name("organizations/caw/services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
  request.mutable_service()->add_postal_codes("8400");
  request.mutable_service()->set_display_name("");  // not in the mask
  request.mutable_update_mask()->add_paths("postal_codes");
  const auto update = ValidateUpdate(request);
  const auto values = UpdatedFields(current, request, update);
  EXPECT_EQ(values.postal_codes, "{\"8400\"}");
  EXPECT_EQ(values.display_name, "Schuldbemiddeling");

  request.mutable_update_mask()->add_paths("display_name");
  EXPECT_EQ(RefusedFields([&] { UpdatedFields(current, request, ValidateUpdate(request)); }),
            Fields{"service.display_name"});
  request.mutable_update_mask()->add_paths("etag");
  EXPECT_EQ(RefusedFields([&] { ValidateUpdate(request); }), Fields{"update_mask"});
}

TEST(SocialMapValidation, ASearchAsksForOneKeyPerFilterOrForEveryListedService) {
  v1::SearchServicesRequest request;
  EXPECT_EQ(ValidateSearch(request).keys, "{\"listed\"}");
  request.set_life_domain(D::LIFE_DOMAIN_HOUSING);
  request.set_postal_code("8200");
  request.set_language("fr");
  request.set_age(67);
  const auto filters = ValidateSearch(request);
  EXPECT_EQ(filters.keys, "{\"d:2\",\"p:8200\",\"l:fr\"}") << "only listed services have keys";
  EXPECT_EQ(filters.age, 67);
  EXPECT_FALSE(filters.text);
  request.set_age(0);
  EXPECT_NE(ValidateSearch(request).canonical, filters.canonical) << "a page token is bound to the age";
  request.set_query("schulden");
  EXPECT_EQ(ValidateSearch(request).text, "schulden");
}

}  // namespace
}  // namespace kp::socialmap
