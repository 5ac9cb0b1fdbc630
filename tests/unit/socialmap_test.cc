// The social map's request validation as pure functions: codes, names, what an update applies,
// and the keys a search asks for; its HSDS 3 form, against the HSDS schema files' required fields.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "socialmap/domain/demand_suppression.h"
#include "socialmap/domain/hsds.h"
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
  EXPECT_EQ(key->service_id, "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
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

TEST(SocialMapValidation, Zones) {
  v1::CreateZoneRequest create;
  create.set_zone_id("elz-brugge");
  create.mutable_zone()->set_display_name("ELZ Brugge");
  create.mutable_zone()->add_postal_codes("8000");
  create.mutable_zone()->add_postal_codes("8200");
  EXPECT_EQ(ValidateCreateZone(create).postal_codes, "{\"8000\",\"8200\"}");
  create.mutable_zone()->add_postal_codes("8000");
  create.set_zone_id("elz brugge");
  create.mutable_zone()->clear_display_name();
  EXPECT_EQ(RefusedFields([&] { ValidateCreateZone(create); }),
            (Fields{"zone_id", "zone.display_name", "zone.postal_codes"}));
  EXPECT_EQ(RequireZoneName("zones/elz-brugge", "zone"), "elz-brugge");
  EXPECT_EQ(RefusedFields([&] { RequireZoneName("elz-brugge", "zone"); }), Fields{"zone"});

  v1::UpdateZoneRequest update;
  update.mutable_zone()->set_name("zones/elz-brugge");
  update.mutable_zone()->set_display_name("ELZ Brugge-Oost");
  update.mutable_update_mask()->add_paths("display_name");
  const auto changes = ValidateUpdateZone(update);
  EXPECT_EQ(changes.display_name, "ELZ Brugge-Oost");
  EXPECT_FALSE(changes.postal_codes) << "not in the mask: unchanged";
  update.mutable_update_mask()->add_paths("postal_codes");
  EXPECT_EQ(RefusedFields([&] { ValidateUpdateZone(update); }), Fields{"zone.postal_codes"}) << "a zone covers some";
}

TEST(SocialMapValidation, AGapMatrixCountsAQuarterThatHasEnded) {
  using std::chrono::sys_days, std::chrono::hours;
  const auto now = sys_days{std::chrono::year{2026} / 12 / 7} + hours{3};
  v1::GetGapMatrixRequest request;
  request.set_zone("zones/elz-brugge");
  auto query = ValidateGapMatrix(request, now);
  EXPECT_EQ(query.zone_id, "elz-brugge");
  EXPECT_EQ(query.quarter, (Quarter{2026, 3})) << "unset: the last one that has ended";
  request.mutable_quarter()->set_year(2025);
  request.mutable_quarter()->set_quarter(4);
  EXPECT_EQ(ValidateGapMatrix(request, now).quarter, (Quarter{2025, 4}));
  request.mutable_quarter()->set_year(2026);
  EXPECT_EQ(RefusedFields([&] { ValidateGapMatrix(request, now); }), Fields{"quarter"}) << "still running";
  EXPECT_EQ(ValidateGapMatrix(request, sys_days{std::chrono::year{2026} / 12 / 31} + hours{23}).quarter,
            (Quarter{2026, 4}))
      << "ended at midnight in Brussels, 23:00 UTC";
  request.mutable_quarter()->set_quarter(5);
  request.set_zone("elz-brugge");
  EXPECT_EQ(RefusedFields([&] { ValidateGapMatrix(request, now); }), (Fields{"zone", "quarter"}));
  request.set_zone("zones/elz-brugge");
  for (const int year : {1999, 2101}) {
    request.mutable_quarter()->set_year(year);
    request.mutable_quarter()->set_quarter(1);
    EXPECT_EQ(RefusedFields([&] { ValidateGapMatrix(request, now); }), Fields{"quarter"}) << year;
  }
  request.mutable_quarter()->set_year(2100);
  request.mutable_quarter()->set_quarter(4);
  EXPECT_EQ(RefusedFields([&] { ValidateGapMatrix(request, now); }), Fields{"quarter"}) << "not ended";
}

// The "required" lists of the HSDS 3 schema files (openreferral/specification, schema/*.json) for
// each object an export holds, by the key it is found under.
const std::map<std::string, Fields> kHsdsRequired = {
    {"service", {"id", "name", "status"}},
    {"organization", {"id", "name", "description"}},
    {"phones", {"id", "number"}},
    {"languages", {"id"}},
    {"service_areas", {"id"}},
    {"service_at_locations", {"id"}},
    {"location", {"id", "location_type"}},
    {"addresses", {"id", "address_1", "city", "state_province", "postal_code", "country", "address_type"}},
    {"attributes", {"id"}},
    {"taxonomy_term", {"id", "name", "description"}},
};

// Every object of `object` (found under `key`) has the fields its schema requires, and every id is
// a UUID; counts the objects checked.
void ExpectRequiredFields(const nlohmann::json& object, const std::string& key, std::map<std::string, int>& seen) {
  ++seen[key];
  for (const auto& field : kHsdsRequired.at(key)) EXPECT_TRUE(object.contains(field)) << key << " lacks " << field;
  EXPECT_TRUE(IsUuid(object.value("id", ""))) << key << ".id " << object.value("id", "");
  for (const auto& [child, value] : object.items()) {
    if (!kHsdsRequired.count(child)) continue;
    if (value.is_array())
      for (const auto& item : value) ExpectRequiredFields(item, child, seen);
    else
      ExpectRequiredFields(value, child, seen);
  }
}

v1::Service Full() {
  auto s = Valid();
  s.set_name("organizations/caw-ob/services/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
  s.set_description("Hulp bij schulden");
  s.add_life_domains(D::LIFE_DOMAIN_DAILY_ACTIVITIES_AND_WORK);
  s.set_minimum_age(18);
  s.set_maximum_age(0);
  s.set_eligibility("Inwoners van Leuven");
  s.add_postal_codes("3000");
  auto* place = s.add_locations();
  place->set_description("Onthaal");
  place->set_street("Vaartstraat 5");
  place->set_postal_code("3000");
  place->set_city("Leuven");
  s.set_email("onthaal@caw.example");
  s.set_phone("+32 16 12 34 56");
  s.set_website("https://caw.example");
  s.set_how_to_apply("Bel ons");
  s.add_languages("nl");
  s.add_languages("fr");
  s.set_cost("gratis");
  s.set_status(v1::SERVICE_STATUS_TEMPORARILY_CLOSED);
  s.mutable_assure_time()->set_seconds(1796083200);  // 2026-12-01
  return s;
}

TEST(Hsds, AnExportHoldsWhatEachHsdsSchemaRequires) {
  const auto json = ToHsds(Full(), "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "caw-ob", "CAW Oost-Brabant");
  std::map<std::string, int> seen;
  ExpectRequiredFields(json, "service", seen);
  EXPECT_EQ(seen, (std::map<std::string, int>{{"service", 1}, {"organization", 1}, {"phones", 1}, {"languages", 2},
                                              {"service_areas", 2}, {"service_at_locations", 1}, {"location", 1},
                                              {"addresses", 1}, {"attributes", 2}, {"taxonomy_term", 2}}))
      << "every kind of object was checked";
  EXPECT_EQ(json["status"], "temporarily closed");
  EXPECT_EQ(json["assured_date"], "2026-12-01");
  EXPECT_EQ(json["organization"]["name"], "CAW Oost-Brabant");
  EXPECT_FALSE(json.contains("maximum_age")) << "no upper limit";
  const auto& address = json["service_at_locations"][0]["location"]["addresses"][0];
  EXPECT_EQ(address["state_province"], "Vlaams-Brabant");
  EXPECT_EQ(address["country"], "BE");
  EXPECT_EQ(json["attributes"][0]["taxonomy_term"]["code"], "finances");
  EXPECT_EQ(json["attributes"][1]["taxonomy_term"]["code"], "daily-activities-and-work");
  EXPECT_EQ(json["attributes"][0]["taxonomy_term"]["taxonomy"], kLifeDomainTaxonomy);
  EXPECT_EQ(ToHsds(Full(), "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "caw-ob", "CAW Oost-Brabant"), json)
      << "the same ids every time";
}

TEST(Hsds, AServiceComesBackAsItWasExported) {
  const auto original = Full();
  Violations v;
  const auto back = FromHsds(v, nlohmann::json::array({ToHsds(original, "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "caw-ob", "CAW")}));
  ASSERT_TRUE(v.empty());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].service_id, "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
  auto expected = original;
  expected.clear_name();
  expected.clear_assure_time();  // the import's own time
  EXPECT_EQ(back[0].service.SerializeAsString(), expected.SerializeAsString()) << back[0].service.DebugString();
}

TEST(Hsds, WhatCannotBeReadIsNamedByWhereItIs) {
  const auto json = nlohmann::json::parse(R"([
    {"id": "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "name": "Schuldbemiddeling", "status": "active",
     "minimum_age": 17.5, "service_areas": [{"id": "x", "name": 3000}],
     "attributes": [{"taxonomy_term": {"taxonomy": "kruispunt-levensdomeinen", "code": "gardening"}},
                    {"taxonomy_term": {"taxonomy": "another", "code": "gardening"}}]},
    {"id": "not-a-uuid", "status": "open"},
    "a string"])");
  Violations v;
  FromHsds(v, json);
  EXPECT_EQ(kp::test::RefusedFields([&] { v.ThrowIfAny(); }),
            (Fields{"services[0].minimum_age", "services[0].service_areas[0].name",
                    "services[0].attributes[0].taxonomy_term.code", "services[1].id", "services[1].name",
                    "services[1].status", "services[2]"}))
      << "a term of another taxonomy is left out, not refused";
  Violations not_a_list;
  FromHsds(not_a_list, nlohmann::json::object());
  EXPECT_EQ(kp::test::RefusedFields([&] { not_a_list.ThrowIfAny(); }), Fields{"hsds_json"});
}

TEST(Hsds, DerivedIdsAndProvinces) {
  const auto id = DerivedUuid("organization", "caw-ob");
  EXPECT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(id[14], '8') << "version 8";
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << "RFC 9562 variant";
  EXPECT_EQ(DerivedUuid("organization", "caw-ob"), id);
  EXPECT_NE(DerivedUuid("location", "caw-ob"), id);
  EXPECT_EQ(ProvinceOf("1000"), "Brussel");
  EXPECT_EQ(ProvinceOf("1500"), "Vlaams-Brabant");
  EXPECT_EQ(ProvinceOf("2018"), "Antwerpen");
  EXPECT_EQ(ProvinceOf("3000"), "Vlaams-Brabant");
  EXPECT_EQ(ProvinceOf("3500"), "Limburg");
  EXPECT_EQ(ProvinceOf("8000"), "West-Vlaanderen");
  EXPECT_EQ(ProvinceOf("9000"), "Oost-Vlaanderen");
  EXPECT_EQ(ProvinceOf("6700"), "Luxemburg");
  EXPECT_EQ(ProvinceOf(""), "");
  EXPECT_EQ(ProvinceOf("80a0"), "");
}

}  // namespace
}  // namespace kp::socialmap

namespace kp::socialmap {
namespace {

// Every entry below 5 withheld, and no row or column (totals included) withholding exactly one.
void ExpectNothingGivenAway(const DemandTable& table, const Withheld& w) {
  const auto rows = table.referrals.size();
  std::array<int, kAgeGroups> columns{};
  int whole = 0;
  std::array<int, kAgeGroups> column_hidden{};
  for (std::size_t r = 0; r < rows; ++r) {
    int row = 0, row_hidden = w.row_totals[r] ? 1 : 0;
    for (int g = 0; g < kAgeGroups; ++g) {
      const int n = table.referrals[r][g];
      if (n < 5) { EXPECT_TRUE(w.cells[r][g]) << "row " << r << " group " << g; }
      row += n;
      columns[g] += n;
      row_hidden += w.cells[r][g] ? 1 : 0;
      column_hidden[g] += w.cells[r][g] ? 1 : 0;
    }
    whole += row;
    if (row < 5) { EXPECT_TRUE(w.row_totals[r]); }
    EXPECT_NE(row_hidden, 1) << "row " << r << " would give its hidden entry away";
  }
  int totals_hidden = w.total ? 1 : 0;
  for (int g = 0; g < kAgeGroups; ++g) {
    if (columns[g] < 5) { EXPECT_TRUE(w.column_totals[g]); }
    EXPECT_NE(column_hidden[g] + (w.column_totals[g] ? 1 : 0), 1) << "column " << g;
    totals_hidden += w.column_totals[g] ? 1 : 0;
  }
  int row_totals_hidden = w.total ? 1 : 0;
  for (bool hidden : w.row_totals) row_totals_hidden += hidden ? 1 : 0;
  EXPECT_NE(totals_hidden, 1) << "the column totals and the whole";
  EXPECT_NE(row_totals_hidden, 1) << "the row totals and the whole";
  if (whole < 5) { EXPECT_TRUE(w.total); }
}

TEST(DemandSuppression, SmallCountsAndTheOneATotalWouldRevealAreWithheld) {
  DemandTable table;
  table.referrals.assign(13, {0, 0, 0});
  table.referrals[0] = {0, 6, 7};   // finances: 0-17 small, so the next smallest (6) goes too
  table.referrals[1] = {0, 0, 2};   // housing: all small
  const auto w = SuppressSmallCounts(table);
  ExpectNothingGivenAway(table, w);
  EXPECT_FALSE(w.cells[0][2]) << "7 referrals are shown";
  EXPECT_TRUE(w.cells[0][1]) << "6 would follow from the row's total 13 minus 7";
  EXPECT_FALSE(w.row_totals[0]);
  EXPECT_TRUE(w.cells[1][2]);
}

TEST(DemandSuppression, HoldsForManyTables) {
  std::mt19937 random(7);
  for (int round = 0; round < 500; ++round) {
    DemandTable table;
    for (int r = 0; r < 13; ++r) {
      table.referrals.push_back({});
      for (int g = 0; g < kAgeGroups; ++g) table.referrals.back()[g] = static_cast<int>(random() % (round % 3 == 0 ? 8 : 40));
    }
    ExpectNothingGivenAway(table, SuppressSmallCounts(table));
  }
  DemandTable large;
  large.referrals.assign(13, {50, 60, 70});
  const auto w = SuppressSmallCounts(large);
  for (const auto& row : w.cells) EXPECT_EQ(row, (std::array<bool, kAgeGroups>{false, false, false}));
  EXPECT_FALSE(w.total);
}

}  // namespace
}  // namespace kp::socialmap
