// The social map in Open Referral's Human Services Data Specification, version 3 (HSDS 3): a
// service as HSDS's compiled service object, and back. Pure: no database, unit-tested directly.
//
// How Kruispunt's fields map (HSDS 3 schema files, schema/*.json of openreferral/specification):
//   name, description, email, status ("temporarily closed" with a space), eligibility_description,
//   minimum_age and maximum_age (absent: no limit), application_process (how_to_apply),
//   fees_description (cost), url (website) as they are; assured_date: assure_time's day in Belgium;
//   phone: phones[0].number; languages[].code; each postal code a service_areas[] entry (name and
//   extent: the code, extent_type "text"); each location a service_at_locations[].location of
//   location_type "physical" with one address (country BE, state_province the province of its
//   postal code); each life domain an attributes[] entry whose taxonomy_term has the code
//   "finances", ... of the taxonomy "kruispunt-levensdomeinen"; organization: id, name.
// HSDS wants a UUID for every object. A service keeps its own; the others get one derived from what
// they stand for (DerivedUuid), so that exporting twice gives the same ids.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/validation.h"
#include "kruispunt/socialmap/v1/socialmap.pb.h"

namespace kp::socialmap {

namespace v1 = kruispunt::socialmap::v1;

// The taxonomy life domains are exported in.
inline constexpr std::string_view kLifeDomainTaxonomy = "kruispunt-levensdomeinen";

// A UUID (version 8, RFC 9562) from the SHA-256 of what an object stands for, e.g.
// ("organization", "caw-ob").
std::string DerivedUuid(std::string_view kind, std::string_view key);

// The Belgian province (or region) of a postal code, in Dutch ("West-Vlaanderen", "Brussel").
std::string ProvinceOf(std::string_view postal_code);

// A service as an HSDS 3 service object; `org_id` and `org_name` describe its organisation.
nlohmann::json ToHsds(const v1::Service& service, const std::string& service_id, const std::string& org_id,
                      const std::string& org_name);

// An HSDS 3 service object as a service to store under its id (the service's `id`, a UUID), or
// violations named after where they are ("services[2].service_areas[0].extent"). Only what
// Kruispunt keeps is read; the rest is left out. The fields are checked as any create's are
// (ServiceFields), by the caller.
struct Imported {
  std::string service_id;
  v1::Service service;
};
std::vector<Imported> FromHsds(Violations& v, const nlohmann::json& services);

}  // namespace kp::socialmap
