// SocialMapService's table (schema socialmap): one row per service, its search keys and words
// derived by the database (migrations/0001_social_map.sql), so that what is stored and what search
// matches on cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "kruispunt/socialmap/v1/socialmap.pb.h"

namespace kp::socialmap {

namespace v1 = kruispunt::socialmap::v1;

const std::vector<PreparedStatement>& Statements();

// A service's fields as stored, validated (socialmap_validation.h): arrays as SQL literals of
// validated values, locations as a JSON array.
struct ServiceValues {
  std::string display_name, description, life_domains, eligibility, postal_codes, locations, email, phone,
      website, how_to_apply, languages, cost;
  int minimum_age = 0;
  std::optional<int> maximum_age;  // nullopt: no upper limit
  int status = v1::SERVICE_STATUS_ACTIVE;
};

// Who makes a change or confirmation: the caller's organisation (its id) and person (its token
// subject).
struct Actor {
  std::string org, person;
};

// Takes the organisation's lock on its services until the transaction ends: its changes one at a
// time, so that a count of its services taken under the lock stays true until the commit.
void LockOrganizationServices(pqxx::transaction_base& tx, const std::string& org_id);
// How many of the organisation's services are offered (not INACTIVE): what search can show of it.
int CountOfferedServices(pqxx::transaction_base& tx, const std::string& org_id);

// Adds a service of `org_id`; with a request_id already used by the organisation, returns the
// service that request made instead.
void InsertService(pqxx::transaction_base& tx, const std::string& org_id, const ServiceValues& values,
                   const std::optional<std::string>& request_id, const Actor& actor, v1::Service& out);
bool GetService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                v1::Service& out, bool for_update = false);
// Replaces every field of the service at `version`; false when it is not at that version.
bool ReplaceService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                    int version, const ServiceValues& values, const Actor& actor, v1::Service& out);
// Stores the service under `service_id`: new, or replacing every field of the organisation's service
// with that id (which is then confirmed now). True when it was new.
bool UpsertService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                   const ServiceValues& values, const Actor& actor, v1::Service& out);
// Marks the record confirmed now; false when there is no such service or it is not at `version`
// (when given).
bool ConfirmService(pqxx::connection& conn, const std::string& org_id, const std::string& service_id,
                    std::optional<int> version, const Actor& actor, v1::Service& out);
// The organisation's services after position `after`, at most `limit`; the position to continue
// after, or nullopt at the end.
std::optional<int64_t> ListServices(pqxx::connection& conn, const std::string& org_id, int64_t after, int limit,
                                    v1::ListServicesResponse& out);

// A search: the keys every service found carries (SQL literal), an age its range must include, a
// text whose words it must contain (each as the start of a word, after Dutch stemming).
struct Search {
  std::string keys;
  std::optional<int> age;
  std::optional<std::string> text;
};
// Whether a text holds a word to search for (not only stop words or punctuation).
bool HasSearchWords(pqxx::connection& conn, const std::string& text);
std::optional<int64_t> SearchServices(pqxx::connection& conn, const Search& search, int64_t after, int limit,
                                      v1::SearchServicesResponse& out);

// Zones: the insert (false: the id is taken), a read, a page, a change (false: no such zone at
// the version given).
bool InsertZone(pqxx::connection& conn, const std::string& zone_id, const std::string& display_name,
                const std::string& postal_codes, v1::Zone& out);
bool GetZone(pqxx::connection& conn, const std::string& zone_id, v1::Zone& out);
std::optional<int64_t> ListZones(pqxx::connection& conn, int64_t after, int limit, v1::ListZonesResponse& out);
bool UpdateZone(pqxx::connection& conn, const std::string& zone_id, const std::optional<std::string>& display_name,
                const std::optional<std::string>& postal_codes, std::optional<int> version, v1::Zone& out);

// The gap matrix's counts: for each (life domain, age group, organisation) with any service, the
// active and the temporarily closed services of the zone.
struct CellCount {
  int life_domain, age_group;
  std::string organization;
  int active, temporarily_closed;
};
std::vector<CellCount> CountZoneOffer(pqxx::connection& conn, const std::string& zone_id);

}  // namespace kp::socialmap
