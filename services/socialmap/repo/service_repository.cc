#include "socialmap/repo/service_repository.h"

#include <nlohmann/json.hpp>

#include "common/idempotency.h"
#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::socialmap {

namespace {

#define SERVICE_COLUMNS                                                                                   \
  "organization, service_id, display_name, description, array_to_string(life_domains, ','), minimum_age, " \
  "maximum_age, eligibility, array_to_string(postal_codes, ','), locations::text, email, phone, website, " \
  "how_to_apply, array_to_string(languages, ','), cost, status, " KP_MICROS("assure_time") ", "            \
  KP_MICROS("create_time") ", " KP_MICROS("update_time") ", version, position, changed_by_org, changed_by_person"

// The parameters $n .. $n+14 of a service's fields, in ServiceValues' order.
#define SERVICE_FIELDS                                                                                    \
  "display_name, description, life_domains, minimum_age, maximum_age, eligibility, postal_codes, "       \
  "locations, email, phone, website, how_to_apply, languages, cost, status"

// The words of a text as a query: each word stemmed in Dutch (stop words left out), all of them
// required, each an exact match of a word start that search_text holds (socialmap.word_starts), so
// "schulden" finds "Schuldbemiddeling". NULL for a text without words, which matches nothing. The
// parser's stems never hold a quote or a backslash; they are escaped for tsquery's syntax all the same.
#define WORDS_QUERY(text)                                                                                   \
  "(SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''', ' & ')::tsquery " \
  "FROM unnest(to_tsvector('dutch', " text ")))"

// A search's page: the services that carry the keys ($1; with words, those too: one GIN index),
// whose age range includes $2, after the page's position ($3), first found, then read. Reading
// only the page's rows matters: a postal code's services are hundreds, and computing every column
// of each before sorting them took 25 µs a row (bench/socialmap.sh).
#define SEARCH(extra)                                                                                     \
  "SELECT " SERVICE_COLUMNS " FROM (SELECT organization, service_id, position AS found_position "        \
  "FROM socialmap.services WHERE search_keys @> $1::text[] " extra                                        \
  "AND ($2::smallint IS NULL OR (minimum_age <= $2 AND (maximum_age IS NULL OR maximum_age >= $2))) "    \
  "AND position > $3 ORDER BY position LIMIT $4) page JOIN socialmap.services USING (organization, service_id) " \
  "ORDER BY found_position"

#define ZONE_COLUMNS                                                                              \
  "zone_id, display_name, array_to_string(postal_codes, ','), " KP_MICROS("create_time") ", "         \
  KP_MICROS("update_time") ", version, position"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("socialmap"),
    {"socialmap.lock_organization", "SELECT pg_advisory_xact_lock(hashtextextended('socialmap.services/' || $1, 0))"},
    {"socialmap.count_offered", "SELECT count(*) FROM socialmap.services WHERE organization = $1 AND status <> 3"},
    {"socialmap.insert",
     "INSERT INTO socialmap.services (organization, request_id, " SERVICE_FIELDS ", changed_by_org, changed_by_person) "
     "VALUES ($1, $2::uuid, $3, $4, $5::smallint[], $6, $7, $8, $9::text[], $10::jsonb, $11, $12, $13, $14, "
     "$15::text[], $16, $17, $18, $19) ON CONFLICT ON CONSTRAINT uniq_service_request DO NOTHING RETURNING " SERVICE_COLUMNS},
    {"socialmap.by_request",
     "SELECT " SERVICE_COLUMNS " FROM socialmap.services WHERE organization = $1 AND request_id = $2::uuid"},
    {"socialmap.get", "SELECT " SERVICE_COLUMNS " FROM socialmap.services WHERE organization = $1 AND service_id = $2"},
    {"socialmap.get_for_update",
     "SELECT " SERVICE_COLUMNS " FROM socialmap.services WHERE organization = $1 AND service_id = $2 FOR UPDATE"},
    {"socialmap.replace",
     "UPDATE socialmap.services SET (" SERVICE_FIELDS ") = ($4, $5, $6::smallint[], $7, $8, $9, $10::text[], "
     "$11::jsonb, $12, $13, $14, $15, $16::text[], $17, $18), version = version + 1, update_time = now(), "
     "assure_time = now(), changed_by_org = $19, changed_by_person = $20 "
     "WHERE organization = $1 AND service_id = $2 AND version = $3 RETURNING " SERVICE_COLUMNS},
    {"socialmap.confirm",
     "UPDATE socialmap.services SET assure_time = now(), version = version + 1, changed_by_org = $4, "
     "changed_by_person = $5 WHERE organization = $1 AND service_id = $2 AND ($3::int IS NULL OR version = $3) RETURNING " SERVICE_COLUMNS},
    // An import: the service with its id, new or replacing the one with that id. xmax is 0 on a row
    // this statement inserted, and set on one it updated (the row's old version).
    {"socialmap.upsert",
     "INSERT INTO socialmap.services (organization, service_id, " SERVICE_FIELDS ", changed_by_org, changed_by_person) "
     "VALUES ($1, $2::uuid, $3, $4, $5::smallint[], $6, $7, $8, $9::text[], $10::jsonb, $11, $12, $13, $14, "
     "$15::text[], $16, $17, $18, $19) ON CONFLICT ON CONSTRAINT services_pkey DO UPDATE SET (" SERVICE_FIELDS ") = "
     "(EXCLUDED.display_name, EXCLUDED.description, EXCLUDED.life_domains, EXCLUDED.minimum_age, "
     "EXCLUDED.maximum_age, EXCLUDED.eligibility, EXCLUDED.postal_codes, EXCLUDED.locations, EXCLUDED.email, "
     "EXCLUDED.phone, EXCLUDED.website, EXCLUDED.how_to_apply, EXCLUDED.languages, EXCLUDED.cost, EXCLUDED.status), "
     "version = socialmap.services.version + 1, update_time = now(), assure_time = now(), "
     "changed_by_org = EXCLUDED.changed_by_org, changed_by_person = EXCLUDED.changed_by_person "
     "RETURNING " SERVICE_COLUMNS ", xmax = 0"},
    {"socialmap.list",
     "SELECT " SERVICE_COLUMNS " FROM socialmap.services WHERE organization = $1 AND position > $2 "
     "ORDER BY position LIMIT $3"},
    {"socialmap.has_words", "SELECT " WORDS_QUERY("$1::text") " IS NOT NULL"},
    // One statement per shape.
    {"socialmap.search", SEARCH("")},
    {"socialmap.search_words_and_keys", SEARCH("AND search_text @@ " WORDS_QUERY("$5::text") " ")},

    {"socialmap.zone_insert",
     "INSERT INTO socialmap.zones (zone_id, display_name, postal_codes) VALUES ($1, $2, $3::text[]) "
     "ON CONFLICT ON CONSTRAINT zones_pkey DO NOTHING RETURNING " ZONE_COLUMNS},
    {"socialmap.zone_get", "SELECT " ZONE_COLUMNS " FROM socialmap.zones WHERE zone_id = $1"},
    {"socialmap.zone_list",
     "SELECT " ZONE_COLUMNS " FROM socialmap.zones WHERE position > $1 ORDER BY position LIMIT $2"},
    {"socialmap.zone_update",
     "UPDATE socialmap.zones SET display_name = COALESCE($2, display_name), "
     "postal_codes = COALESCE($3::text[], postal_codes), version = version + 1, update_time = now() "
     "WHERE zone_id = $1 AND ($4::int IS NULL OR version = $4) RETURNING " ZONE_COLUMNS},
    // The services that serve some postal code of the zone (any of its 'p:' keys: an inactive one
    // has none), per life domain, per age group whose range their own overlaps, and per organisation
    // (for the caller to leave out those no longer active). The age groups' numbers are AgeGroup's.
    {"socialmap.zone_offer",
     "SELECT domain, grp.age_group, s.organization, count(*) FILTER (WHERE s.status = 1), "
     "count(*) FILTER (WHERE s.status = 2) FROM socialmap.zones z "
     "JOIN socialmap.services s ON s.search_keys && ARRAY(SELECT 'p:' || code FROM unnest(z.postal_codes) code) "
     "CROSS JOIN LATERAL unnest(s.life_domains) domain "
     "CROSS JOIN (VALUES (1, 0, 17), (2, 18, 64), (3, 65, 120)) AS grp(age_group, youngest, oldest) "
     "WHERE z.zone_id = $1 AND s.minimum_age <= grp.oldest AND (s.maximum_age IS NULL OR s.maximum_age >= grp.youngest) "
     "GROUP BY domain, grp.age_group, s.organization"},
};

int64_t ReadZone(const pqxx::row& r, v1::Zone& out) {
  out.set_name("zones/" + r[0].as<std::string>());
  out.set_display_name(r[1].as<std::string>());
  for (auto& code : SplitList(r[2].as<std::string>())) out.add_postal_codes(std::move(code));
  SetTime(out.mutable_create_time(), r[3].as<int64_t>());
  SetTime(out.mutable_update_time(), r[4].as<int64_t>());
  out.set_etag(std::to_string(r[5].as<int>()));
  return r[6].as<int64_t>();
}

int64_t ReadService(const pqxx::row& r, v1::Service& out) {
  out.set_name(OrganizationName(r[0].as<std::string>()) + "/services/" + r[1].as<std::string>());
  out.set_display_name(r[2].as<std::string>());
  out.set_description(r[3].as<std::string>());
  for (int domain : ParseIntList(r[4].as<std::string>()))
    out.add_life_domains(static_cast<kruispunt::type::v1::LifeDomain>(domain));
  out.set_minimum_age(r[5].as<int>());
  out.set_maximum_age(r[6].is_null() ? 0 : r[6].as<int>());
  out.set_eligibility(r[7].as<std::string>());
  for (auto& code : SplitList(r[8].as<std::string>())) out.add_postal_codes(std::move(code));
  for (const auto& place : nlohmann::json::parse(r[9].as<std::string>())) {
    auto& location = *out.add_locations();
    location.set_description(place.value("description", ""));
    location.set_street(place.value("street", ""));
    location.set_postal_code(place.value("postal_code", ""));
    location.set_city(place.value("city", ""));
  }
  out.set_email(r[10].as<std::string>());
  out.set_phone(r[11].as<std::string>());
  out.set_website(r[12].as<std::string>());
  out.set_how_to_apply(r[13].as<std::string>());
  for (auto& language : SplitList(r[14].as<std::string>())) out.add_languages(std::move(language));
  out.set_cost(r[15].as<std::string>());
  out.set_status(static_cast<v1::ServiceStatus>(r[16].as<int>()));
  SetTime(out.mutable_assure_time(), r[17].as<int64_t>());
  SetTime(out.mutable_create_time(), r[18].as<int64_t>());
  SetTime(out.mutable_update_time(), r[19].as<int64_t>());
  out.set_etag(std::to_string(r[20].as<int>()));
  if (const auto org = r[22].as<std::string>(); !org.empty()) out.set_changed_by_organization(OrganizationName(org));
  out.set_changed_by_person(r[23].as<std::string>());
  return r[21].as<int64_t>();
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

void LockOrganizationServices(pqxx::transaction_base& tx, const std::string& org_id) {
  tx.exec_prepared("socialmap.lock_organization", org_id);
}

int CountOfferedServices(pqxx::transaction_base& tx, const std::string& org_id) {
  return tx.exec_prepared1("socialmap.count_offered", org_id)[0].as<int>();
}

void InsertService(pqxx::transaction_base& tx, const std::string& org_id, const ServiceValues& s,
                   const std::optional<std::string>& request_id, const Actor& actor, v1::Service& out) {
  auto rows = tx.exec_prepared("socialmap.insert", org_id, request_id, s.display_name, s.description,
                               s.life_domains, s.minimum_age, s.maximum_age, s.eligibility, s.postal_codes,
                               s.locations, s.email, s.phone, s.website, s.how_to_apply, s.languages, s.cost,
                               s.status, actor.org, actor.person);
  if (rows.empty()) rows = tx.exec_prepared("socialmap.by_request", org_id, request_id);
  ReadService(rows.at(0), out);
}

bool GetService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                v1::Service& out, bool for_update) {
  auto rows = tx.exec_prepared(for_update ? "socialmap.get_for_update" : "socialmap.get", org_id, service_id);
  if (rows.empty()) return false;
  ReadService(rows[0], out);
  return true;
}

bool ReplaceService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                    int version, const ServiceValues& s, const Actor& actor, v1::Service& out) {
  auto rows = tx.exec_prepared("socialmap.replace", org_id, service_id, version, s.display_name, s.description,
                               s.life_domains, s.minimum_age, s.maximum_age, s.eligibility, s.postal_codes,
                               s.locations, s.email, s.phone, s.website, s.how_to_apply, s.languages, s.cost,
                               s.status, actor.org, actor.person);
  if (rows.empty()) return false;
  ReadService(rows[0], out);
  return true;
}

bool UpsertService(pqxx::transaction_base& tx, const std::string& org_id, const std::string& service_id,
                   const ServiceValues& s, const Actor& actor, v1::Service& out) {
  const auto row = tx.exec_prepared1("socialmap.upsert", org_id, service_id, s.display_name, s.description,
                                     s.life_domains, s.minimum_age, s.maximum_age, s.eligibility, s.postal_codes,
                                     s.locations, s.email, s.phone, s.website, s.how_to_apply, s.languages, s.cost,
                                     s.status, actor.org, actor.person);
  ReadService(row, out);
  return row[24].as<bool>();
}

bool ConfirmService(pqxx::connection& conn, const std::string& org_id, const std::string& service_id,
                    std::optional<int> version, const Actor& actor, v1::Service& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("socialmap.confirm", org_id, service_id, version, actor.org, actor.person);
  if (rows.empty()) return false;
  ReadService(rows[0], out);
  return true;
}

std::optional<int64_t> ListServices(pqxx::connection& conn, const std::string& org_id, int64_t after, int limit,
                                    v1::ListServicesResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("socialmap.list", org_id, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadService(r, *out.add_services()); });
}

bool HasSearchWords(pqxx::connection& conn, const std::string& text) {
  pqxx::nontransaction tx(conn);
  return tx.exec_prepared1("socialmap.has_words", text)[0].as<bool>();
}

std::optional<int64_t> SearchServices(pqxx::connection& conn, const Search& search, int64_t after, int limit,
                                      v1::SearchServicesResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = search.text ? tx.exec_prepared("socialmap.search_words_and_keys", search.keys, search.age, after,
                                             limit + 1, *search.text)
                          : tx.exec_prepared("socialmap.search", search.keys, search.age, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadService(r, *out.add_services()); });
}

bool InsertZone(pqxx::connection& conn, const std::string& zone_id, const std::string& display_name,
                const std::string& postal_codes, v1::Zone& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("socialmap.zone_insert", zone_id, display_name, postal_codes);
  if (rows.empty()) return false;
  ReadZone(rows[0], out);
  return true;
}

bool GetZone(pqxx::connection& conn, const std::string& zone_id, v1::Zone& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("socialmap.zone_get", zone_id);
  if (rows.empty()) return false;
  ReadZone(rows[0], out);
  return true;
}

std::optional<int64_t> ListZones(pqxx::connection& conn, int64_t after, int limit, v1::ListZonesResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("socialmap.zone_list", after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadZone(r, *out.add_zones()); });
}

bool UpdateZone(pqxx::connection& conn, const std::string& zone_id, const std::optional<std::string>& display_name,
                const std::optional<std::string>& postal_codes, std::optional<int> version, v1::Zone& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("socialmap.zone_update", zone_id, display_name, postal_codes, version);
  if (rows.empty()) return false;
  ReadZone(rows[0], out);
  return true;
}

std::vector<CellCount> CountZoneOffer(pqxx::connection& conn, const std::string& zone_id) {
  pqxx::nontransaction tx(conn);
  std::vector<CellCount> cells;
  for (const auto& row : tx.exec_prepared("socialmap.zone_offer", zone_id))
    cells.push_back({row[0].as<int>(), row[1].as<int>(), row[2].as<std::string>(), row[3].as<int>(), row[4].as<int>()});
  return cells;
}

}  // namespace kp::socialmap
