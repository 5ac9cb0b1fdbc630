#include "team/repo/team_repository.h"

#include "common/errors.h"
#include "common/history_order.h"
#include "common/idempotency.h"
#include "common/pg_values.h"
#include "common/validation.h"
#include "team/client/team_client.h"

namespace kp::team {

namespace {

#define ORG_COLUMNS                                                                            \
  "org_id, kbo_number, display_name, kind, email, phone, street, postal_code, city, active, " \
  KP_MICROS("create_time") ", " KP_MICROS("update_time") ", version, org_seq"

#define PERSON_COLUMNS                                                                         \
  "person_id, kind, organization, profession, given_name, family_name, email, phone, street, " \
  "postal_code, city, registering_org, " KP_MICROS("create_time")

// A participation grants something now: not ended by hand, its period begun and not over.
#define ACTIVE(p)                                                                   \
  p ".end_time IS NULL AND " p ".valid_from <= now() AND (" p ".valid_until IS NULL OR " p \
  ".valid_until > now())"

#define PARTICIPANT_COLUMNS                                                                        \
  "p.case_id, p.participant_id, p.person_id, p.client_id, p.organization, p.role, p.permissions, " \
  "array_to_string(p.life_domains, ','), " KP_MICROS("p.valid_from") ", " KP_MICROS("p.valid_until") \
  ", CASE WHEN p.end_time IS NOT NULL OR p.valid_until <= now() THEN 3 "                             \
  "WHEN p.valid_from > now() THEN 1 ELSE 2 END, " KP_MICROS("p.end_time") ", p.end_reason, "     \
  "COALESCE(pe.given_name || ' ' || pe.family_name, ''), " KP_MICROS("p.create_time") ", "         \
  "p.participant_seq FROM team.participations p LEFT JOIN team.people pe USING (person_id)"

#define TEAM_CHANGE_COLUMNS                                                                          \
  "participant_id::text, kind, role, reason, changed_by_org, changed_by_person, " KP_MICROS("change_time") \
  ", change_seq"

#define PAGE_AFTER(seq) " AND p.participant_seq > " seq " ORDER BY p.participant_seq LIMIT "

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("team"),
    {"team.org_insert",
     "INSERT INTO team.organizations (org_id, kbo_number, display_name, kind, email, phone, street, "
     "postal_code, city) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " ORG_COLUMNS},
    {"team.org_get", "SELECT " ORG_COLUMNS " FROM team.organizations WHERE org_id = $1"},
    {"team.org_look_up", "SELECT " ORG_COLUMNS " FROM team.organizations WHERE org_id = ANY($1::text[])"},
    {"team.org_list",
     "SELECT " ORG_COLUMNS " FROM team.organizations WHERE org_seq > $1 "
     "AND ($2::smallint IS NULL OR kind = $2) AND (NOT $3 OR active) ORDER BY org_seq LIMIT $4"},
    {"team.org_update",
     "UPDATE team.organizations SET display_name = COALESCE($2, display_name), "
     "kind = COALESCE($3, kind), email = COALESCE($4, email), phone = COALESCE($5, phone), "
     "street = COALESCE($6, street), postal_code = COALESCE($7, postal_code), "
     "city = COALESCE($8, city), active = COALESCE($9, active), version = version + 1, "
     "update_time = now() WHERE org_id = $1 AND ($10::int IS NULL OR version = $10) "
     "RETURNING " ORG_COLUMNS},
    {"team.org_version", "SELECT version FROM team.organizations WHERE org_id = $1"},

    {"team.person_insert",
     "INSERT INTO team.people (person_id, kind, organization, profession, given_name, family_name, "
     "email, phone, street, postal_code, city, registering_org, request_id, created_by) "
     "SELECT COALESCE($1, gen_random_uuid()::text), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
     "$13::uuid, $14 WHERE $3::text IS NULL OR EXISTS (SELECT 1 FROM team.organizations WHERE org_id = $3) "
     "ON CONFLICT (registering_org, request_id) DO NOTHING RETURNING " PERSON_COLUMNS},
    {"team.person_by_request",
     "SELECT " PERSON_COLUMNS " FROM team.people WHERE registering_org = $1 AND request_id = $2::uuid"},
    {"team.person_get", "SELECT " PERSON_COLUMNS " FROM team.people WHERE person_id = $1"},
    {"team.person_facts",
     "SELECT pe.kind, pe.organization, COALESCE(o.active, false) FROM team.people pe "
     "LEFT JOIN team.organizations o ON o.org_id = pe.organization WHERE pe.person_id = $1"},

    {"team.case_order_lock", KP_CASE_HISTORY_ORDER_LOCK},
    {"team.case_lock", "SELECT 1 FROM team.cases WHERE case_id = $1::uuid FOR UPDATE"},
    {"team.participation_facts",
     "SELECT role, p.end_time IS NOT NULL OR COALESCE(p.valid_until <= now(), false) "
     "FROM team.participations p WHERE p.case_id = $1::uuid AND p.participant_id = $2::uuid"},
    {"team.participant_by_request",
     "SELECT participant_id::text FROM team.participations WHERE case_id = $1::uuid AND request_id = $2::uuid"},
    {"team.participation_insert",
     "WITH p AS (INSERT INTO team.participations (case_id, person_id, organization, role, permissions, "
     "           life_domains, valid_from, valid_until, request_id, added_by_org, added_by_person) "
     "           SELECT $1::uuid, $2, pe.organization, $3, $4, $5::smallint[], "
     "           COALESCE(to_timestamp($6::double precision / 1e6), now()), "
     "           to_timestamp($7::double precision / 1e6), $8::uuid, $9, $10 "
     "           FROM team.people pe WHERE pe.person_id = $2 RETURNING case_id, participant_id, role), "
     "h AS (INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person) "
     "      SELECT case_id, participant_id, 1, role, $11, $9, $10 FROM p) "
     "SELECT participant_id::text FROM p"},
    {"team.participation_end",
     "WITH p AS (UPDATE team.participations SET end_time = now(), end_reason = $3 "
     "           WHERE case_id = $1::uuid AND participant_id = $2::uuid AND end_time IS NULL "
     "           RETURNING case_id, participant_id, role), "
     "h AS (INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person) "
     "      SELECT case_id, participant_id, 2, role, $3, $4, $5 FROM p) "
     "SELECT count(*) FROM p"},
    // A participation whose validity period has passed is over, as an ended one is: it is closed
    // (ended at its valid_until) before a change to the team, so that the person, or another
    // coordinator, can be added again. Recorded in the team's history like any ending.
    {"team.participations_close_expired",
     "WITH p AS (UPDATE team.participations SET end_time = valid_until, end_reason = 'validity period ended' "
     "           WHERE case_id = $1::uuid AND end_time IS NULL AND valid_until <= now() "
     "           RETURNING case_id, participant_id, role), "
     "h AS (INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person) "
     "      SELECT case_id, participant_id, 2, role, 'validity period ended', $2, $3 FROM p) "
     "SELECT count(*) FROM p"},
    {"team.cases_with_expired_participations",
     "SELECT DISTINCT case_id::text FROM (SELECT case_id FROM team.participations "
     "  WHERE end_time IS NULL AND valid_until <= now() ORDER BY valid_until LIMIT $1) p"},
    {"team.participant_get",
     "SELECT " PARTICIPANT_COLUMNS " WHERE p.case_id = $1::uuid AND p.participant_id = $2::uuid"},
    {"team.participant_list",
     "SELECT " PARTICIPANT_COLUMNS " WHERE p.case_id = $1::uuid "
     "AND ($2 OR (p.end_time IS NULL AND (p.valid_until IS NULL OR p.valid_until > now())))"
     PAGE_AFTER("$3") "$4"},
    {"team.changes_list",
     "SELECT " TEAM_CHANGE_COLUMNS " FROM team.team_changes "
     "WHERE case_id = $1::uuid AND change_seq > $2 ORDER BY change_seq LIMIT $3"},
    // For the change feed: per case, its changes after the position and below the horizon, in
    // commit order (team_changes_case_commit_idx); with $6, also the endings of that
    // organisation's participations in any case (team_changes_endings_commit_idx). Whose
    // participation each change is comes from the participation, which keeps its organisation.
    {"team.changes_after",
     "SELECT " TEAM_CHANGE_COLUMNS ", case_id::text, transaction_id::text::bigint, "
     "COALESCE((SELECT p.organization FROM team.participations p "
     "          WHERE p.case_id = h.case_id AND p.participant_id = h.participant_id), '') "
     "FROM (("
     "  SELECT c.* FROM unnest($1::uuid[]) AS wanted(case_id) CROSS JOIN LATERAL ("
     "    SELECT * FROM team.team_changes t WHERE t.case_id = wanted.case_id "
     "    AND (t.transaction_id, t.change_seq) > ($2::text::xid8, $3) AND t.transaction_id < $4::text::xid8 "
     "    ORDER BY t.transaction_id, t.change_seq LIMIT $5) c"
     ") UNION ("
     "  SELECT e.* FROM team.team_changes e JOIN team.participations q USING (case_id, participant_id) "
     "  WHERE $6 <> '' AND e.kind = 2 AND q.organization = $6 "
     "  AND (e.transaction_id, e.change_seq) > ($2::text::xid8, $3) AND e.transaction_id < $4::text::xid8 "
     "  ORDER BY e.transaction_id, e.change_seq LIMIT $5"
     ")) h ORDER BY h.transaction_id, h.change_seq LIMIT $5"},
    {"team.participations_of_person",
     "SELECT " PARTICIPANT_COLUMNS " WHERE p.person_id = $1 AND p.end_time IS NULL "
     "AND (p.valid_until IS NULL OR p.valid_until > now())" PAGE_AFTER("$2") "$3"},
    {"team.participations_of_org",
     "SELECT " PARTICIPANT_COLUMNS " WHERE p.organization = $1 AND p.end_time IS NULL "
     "AND (p.valid_until IS NULL OR p.valid_until > now())" PAGE_AFTER("$2") "$3"},

    {"team.organization_cases",
     "SELECT case_id::text FROM team.cases WHERE owner_org = $1 "
     "UNION SELECT p.case_id::text FROM team.participations p WHERE p.organization = $1 AND p.end_time IS NULL "
     "AND (p.valid_until IS NULL OR p.valid_until > now())"},
    // The same, with the transaction in which the organisation's part in each began: 0 for a case
    // it owns, else the one that added the earliest of its current participations (each addition
    // found through its case's history, a handful of rows; a join let the planner scan all of it).
    {"team.organization_cases_since",
     "SELECT case_id::text, 0::bigint FROM team.cases WHERE owner_org = $1 "
     "UNION ALL SELECT p.case_id::text, min(("
     "  SELECT c.transaction_id FROM team.team_changes c "
     "  WHERE c.case_id = p.case_id AND c.participant_id = p.participant_id AND c.kind = 1)::text::bigint) "
     "FROM team.participations p "
     "WHERE p.organization = $1 AND p.end_time IS NULL AND (p.valid_until IS NULL OR p.valid_until > now()) "
     "GROUP BY p.case_id"},
    // A page of the cases the organisation takes part in without owning them, in the order it
    // joined them: each case at the organisation's first active participation in it, found
    // through the organisation's participations in order, so that a page reads about a page of
    // rows however many cases the organisation has (bench/scale.sh).
    {"team.partner_cases_page",
     "SELECT p.case_id::text, p.participant_seq FROM team.participations p "
     "WHERE p.organization = $1 AND p.end_time IS NULL AND p.participant_seq > $2 "
     "AND (p.valid_until IS NULL OR p.valid_until > now()) "
     "AND NOT EXISTS (SELECT FROM team.cases c WHERE c.case_id = p.case_id AND c.owner_org = $1) "
     "AND NOT EXISTS (SELECT FROM team.participations q WHERE q.case_id = p.case_id AND q.organization = $1 "
     "  AND q.end_time IS NULL AND (q.valid_until IS NULL OR q.valid_until > now()) "
     "  AND q.participant_seq < p.participant_seq) "
     "ORDER BY p.participant_seq LIMIT $3"},
    {"team.case_register",
     "INSERT INTO team.cases AS c (case_id, owner_org, client_id, case_state) "
     "VALUES ($1::uuid, $2, $3::uuid, $4) ON CONFLICT (case_id) DO UPDATE "
     "SET case_state = EXCLUDED.case_state, update_time = now() WHERE c.case_state <> EXCLUDED.case_state "
     "RETURNING (xmax = 0)"},
    {"team.client_participation",
     "WITH p AS (INSERT INTO team.participations (case_id, client_id, role, permissions, added_by_org, added_by_person) "
     "           VALUES ($1::uuid, $2::uuid, 1, $3, $4, $5) "
     "           ON CONFLICT (case_id) WHERE role = 1 DO NOTHING RETURNING case_id, participant_id) "
     "INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person) "
     "SELECT case_id, participant_id, 1, 1, 'case opened', $4, $5 FROM p"},
    {"team.has_coordinator",
     "SELECT EXISTS (SELECT 1 FROM team.participations p WHERE p.case_id = $1::uuid AND p.role = 6 "
     "AND " ACTIVE("p") ")"},
    // One row per query, in the order asked. Each case's team (a handful of rows) is read once
    // through the primary key and aggregated; OFFSET 0 keeps the planner from flattening the
    // subquery into a scan of every participation of the organisation (the generic plan did).
    {"team.describe",
     "SELECT c.case_id IS NOT NULL, COALESCE(c.owner_org, ''), COALESCE(c.case_state, 0), "
     "COALESCE(t.org_permissions, 0), COALESCE(t.mine, ''), COALESCE(t.coordinator, false), "
     "COALESCE(t.manager, false), t.current_coordinator "
     "FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS q(case_id, org, person, i) "
     "LEFT JOIN team.cases c ON c.case_id = q.case_id "
     "LEFT JOIN LATERAL (SELECT "
     "  bit_or(p.permissions) FILTER (WHERE p.organization = q.org AND " ACTIVE("p") ") AS org_permissions, "
     "  string_agg(p.participant_id::text, ',' ORDER BY p.participant_seq) "
     "    FILTER (WHERE p.person_id = q.person AND p.organization = q.org AND " ACTIVE("p") ") AS mine, "
     "  bool_or(p.role = 6 AND p.person_id = q.person AND p.organization = q.org AND " ACTIVE("p") ") AS coordinator, "
     "  bool_or(p.permissions & 128 <> 0 AND p.person_id = q.person AND p.organization = q.org AND " ACTIVE("p") ") AS manager, "
     "  max(p.participant_id::text) FILTER (WHERE p.role = 6 AND p.end_time IS NULL "
     "                                     AND (p.valid_until IS NULL OR p.valid_until > now())) AS current_coordinator "
     "  FROM team.participations p WHERE p.case_id = q.case_id OFFSET 0) t ON true "
     "ORDER BY q.i"},
    {"team.describe_participants",
     "SELECT p.participant_id IS NOT NULL, COALESCE(p.role, 0), COALESCE(" ACTIVE("p") ", false), "
     "p.person_id, COALESCE('clients/' || p.client_id::text, '') "
     "FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS q(case_id, participant_id, i) "
     "LEFT JOIN team.participations p ON p.case_id = q.case_id AND p.participant_id = q.participant_id "
     "ORDER BY q.i"},
};

std::string Etag(int version) { return std::to_string(version); }

std::optional<std::string> OptionalText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

int64_t ReadOrganization(const pqxx::row& r, v1::Organization& out) {
  out.set_name(OrganizationName(r[0].as<std::string>()));
  out.set_kbo_number(r[1].as<std::string>());
  out.set_display_name(r[2].as<std::string>());
  out.set_kind(static_cast<v1::OrganizationKind>(r[3].as<int>()));
  auto* c = out.mutable_contact();
  c->set_email(r[4].as<std::string>());
  c->set_phone(r[5].as<std::string>());
  c->set_street(r[6].as<std::string>());
  c->set_postal_code(r[7].as<std::string>());
  c->set_city(r[8].as<std::string>());
  out.set_active(r[9].as<bool>());
  SetTime(out.mutable_create_time(), r[10].as<int64_t>());
  SetTime(out.mutable_update_time(), r[11].as<int64_t>());
  out.set_etag(Etag(r[12].as<int>()));
  return r[13].as<int64_t>();
}

std::string ReadPerson(const pqxx::row& r, v1::Person& out) {
  out.set_name(PersonName(r[0].as<std::string>()));
  out.set_kind(static_cast<v1::PersonKind>(r[1].as<int>()));
  if (auto org = OptionalText(r[2])) out.set_organization(OrganizationName(*org));
  out.set_profession(r[3].as<std::string>());
  out.set_given_name(r[4].as<std::string>());
  out.set_family_name(r[5].as<std::string>());
  auto* c = out.mutable_contact();
  c->set_email(r[6].as<std::string>());
  c->set_phone(r[7].as<std::string>());
  c->set_street(r[8].as<std::string>());
  c->set_postal_code(r[9].as<std::string>());
  c->set_city(r[10].as<std::string>());
  const std::string registering_org = r[11].as<std::string>();
  out.set_registering_organization(OrganizationName(registering_org));
  SetTime(out.mutable_create_time(), r[12].as<int64_t>());
  return registering_org;
}

int64_t ReadParticipantRow(const pqxx::row& r, v1::Participant& out) {
  out.set_name("cases/" + r[0].as<std::string>() + "/participants/" + r[1].as<std::string>());
  if (auto person = OptionalText(r[2])) out.set_person(PersonName(*person));
  if (auto client = OptionalText(r[3])) out.set_client("clients/" + *client);
  if (auto org = OptionalText(r[4])) out.set_organization(OrganizationName(*org));
  out.set_role(static_cast<v1::ParticipantRole>(r[5].as<int>()));
  const auto permissions = r[6].as<int32_t>();
  for (int p = 1; p <= 7; ++p)
    if (permissions & (1 << p)) out.add_mandate(static_cast<v1::Permission>(p));
  for (int domain : ParseIntList(r[7].as<std::string>()))
    out.add_life_domains(static_cast<kruispunt::type::v1::LifeDomain>(domain));
  SetTime(out.mutable_valid_from(), r[8].as<int64_t>());
  if (!r[9].is_null()) SetTime(out.mutable_valid_until(), r[9].as<int64_t>());
  out.set_state(static_cast<v1::ParticipationState>(r[10].as<int>()));
  if (!r[11].is_null()) SetTime(out.mutable_end_time(), r[11].as<int64_t>());
  out.set_end_reason(r[12].as<std::string>());
  out.set_display_name(r[13].as<std::string>());
  SetTime(out.mutable_create_time(), r[14].as<int64_t>());
  return r[15].as<int64_t>();
}

// A row of TEAM_CHANGE_COLUMNS; returns its sequence number.
int64_t ReadTeamChangeRow(const std::string& case_id, const pqxx::row& r, v1::TeamChange& change) {
  change.set_participant("cases/" + case_id + "/participants/" + r[0].as<std::string>());
  change.set_kind(static_cast<v1::TeamChangeKind>(r[1].as<int>()));
  change.set_role(static_cast<v1::ParticipantRole>(r[2].as<int>()));
  change.set_reason(r[3].as<std::string>());
  if (const auto by = r[4].as<std::string>(); !by.empty()) change.set_changed_by_organization(OrganizationName(by));
  change.set_changed_by_person(r[5].as<std::string>());  // both empty: by the system (CloseDueExpiries)
  SetTime(change.mutable_change_time(), r[6].as<int64_t>());
  return r[7].as<int64_t>();
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

void InsertOrganization(pqxx::connection& conn, const NewOrganization& o, v1::Organization& out) {
  pqxx::nontransaction tx(conn);
  const auto& k = o.contact;
  auto rows = tx.exec_prepared("team.org_insert", o.org_id, o.kbo_number, o.display_name, o.kind,
                               k.email, k.phone, k.street, k.postal_code, k.city);
  ReadOrganization(rows[0], out);
}

bool GetOrganization(pqxx::connection& conn, const std::string& org_id, v1::Organization& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.org_get", org_id);
  if (rows.empty()) return false;
  ReadOrganization(rows[0], out);
  return true;
}

void LookUpOrganizations(pqxx::connection& conn, const std::vector<std::string>& org_ids,
                         v1::LookUpOrganizationsResponse& out) {
  pqxx::nontransaction tx(conn);
  for (const auto& row : tx.exec_prepared("team.org_look_up", ArrayLiteral(org_ids)))
    ReadOrganization(row, *out.add_organizations());
}

std::optional<int64_t> ListOrganizations(pqxx::connection& conn, std::optional<int> kind,
                                         bool active_only, int64_t after_seq, int limit,
                                         v1::ListOrganizationsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.org_list", after_seq, kind, active_only, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadOrganization(r, *out.add_organizations()); });
}

bool UpdateOrganization(pqxx::connection& conn, const std::string& org_id, const OrganizationChanges& c,
                        std::optional<int> expected_version, v1::Organization& out) {
  pqxx::nontransaction tx(conn);
  const auto& k = c.contact;
  auto rows = tx.exec_prepared("team.org_update", org_id, c.display_name, c.kind, k.email, k.phone,
                               k.street, k.postal_code, k.city, c.active, expected_version);
  if (rows.empty()) return false;
  ReadOrganization(rows[0], out);
  return true;
}

std::optional<int> OrganizationVersion(pqxx::connection& conn, const std::string& org_id) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.org_version", org_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<int>();
}

bool InsertPerson(pqxx::connection& conn, const NewPerson& p, v1::Person& out) {
  pqxx::nontransaction tx(conn);
  std::optional<std::string> id;
  if (!p.person_id.empty()) id = p.person_id;
  const auto& k = p.contact;
  auto rows = tx.exec_prepared("team.person_insert", id, static_cast<int>(p.kind), p.organization,
                               p.profession, p.given_name, p.family_name, k.email, k.phone, k.street,
                               k.postal_code, k.city, p.registering_org, p.request_id, p.created_by);
  if (rows.empty() && p.request_id)  // a retry: return what the first call created
    rows = tx.exec_prepared("team.person_by_request", p.registering_org, p.request_id);
  if (rows.empty()) return false;
  ReadPerson(rows[0], out);
  return true;
}

bool GetPerson(pqxx::connection& conn, const std::string& person_id, v1::Person& out,
               std::string& registering_org) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.person_get", person_id);
  if (rows.empty()) return false;
  registering_org = ReadPerson(rows[0], out);
  return true;
}

std::optional<TeamCase> LockTeamCase(pqxx::transaction_base& tx, const std::string& case_id,
                                     const std::string& caller_org, const std::string& caller_person) {
  // The lock is its own statement: under READ COMMITTED the standing must be read by a statement
  // that starts after the lock is granted, or it would miss what the previous holder committed.
  // The history lock comes first, before anything assigns the transaction an id.
  tx.exec_prepared("team.case_order_lock", case_id);
  if (tx.exec_prepared("team.case_lock", case_id).empty()) return std::nullopt;
  auto fact = Describe(tx, {{case_id, caller_org, caller_person, {}}}).at(0);
  if (!fact.case_known) return std::nullopt;
  return TeamCase{fact.owner_org, fact.case_state, fact.standing, fact.current_coordinator};
}

std::optional<PersonFacts> FindPerson(pqxx::transaction_base& tx, const std::string& person_id) {
  auto rows = tx.exec_prepared("team.person_facts", person_id);
  if (rows.empty()) return std::nullopt;
  return PersonFacts{static_cast<PersonKind>(rows[0][0].as<int>()), OptionalText(rows[0][1]),
                     rows[0][2].as<bool>()};
}

std::optional<ParticipationFacts> FindParticipation(pqxx::transaction_base& tx, const std::string& case_id,
                                                    const std::string& participant_id) {
  auto rows = tx.exec_prepared("team.participation_facts", case_id, participant_id);
  if (rows.empty()) return std::nullopt;
  return ParticipationFacts{static_cast<Role>(rows[0][0].as<int>()), rows[0][1].as<bool>()};
}

std::optional<std::string> ParticipantByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                                const std::string& request_id) {
  auto rows = tx.exec_prepared("team.participant_by_request", case_id, request_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::string InsertParticipation(pqxx::transaction_base& tx, const NewParticipation& p) {
  auto rows = tx.exec_prepared("team.participation_insert", p.case_id, p.person_id,
                               static_cast<int>(p.role), p.permissions, p.life_domains,
                               p.valid_from_micros, p.valid_until_micros, p.request_id,
                               p.added_by_org, p.added_by_person, p.reason);
  return rows[0][0].as<std::string>();
}

bool EndParticipation(pqxx::transaction_base& tx, const std::string& case_id,
                      const std::string& participant_id, const std::string& reason,
                      const std::string& by_org, const std::string& by_person) {
  auto rows = tx.exec_prepared("team.participation_end", case_id, participant_id, reason, by_org, by_person);
  return rows[0][0].as<int>() == 1;
}

void CloseExpiredParticipations(pqxx::transaction_base& tx, const std::string& case_id, const std::string& by_org,
                                const std::string& by_person) {
  tx.exec_prepared("team.participations_close_expired", case_id, by_org, by_person);
}

std::size_t CloseDueExpiries(pqxx::connection& conn, int limit) {
  std::vector<std::string> cases;
  for (const auto& r : pqxx::nontransaction(conn).exec_prepared("team.cases_with_expired_participations", limit))
    cases.push_back(r[0].as<std::string>());
  for (const auto& case_id : cases) {
    pqxx::work tx(conn);
    tx.exec_prepared("team.case_order_lock", case_id);  // as every change to a team
    tx.exec_prepared("team.case_lock", case_id);
    CloseExpiredParticipations(tx, case_id, "", "");  // by the system: no organisation, no person
    tx.commit();
  }
  return cases.size();
}

void ReadParticipant(pqxx::transaction_base& tx, const std::string& case_id,
                     const std::string& participant_id, v1::Participant& out) {
  auto rows = tx.exec_prepared("team.participant_get", case_id, participant_id);
  ReadParticipantRow(rows.at(0), out);
}

std::optional<int64_t> ListParticipants(pqxx::connection& conn, const std::string& case_id,
                                        bool include_ended, int64_t after_seq, int limit,
                                        v1::ListParticipantsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.participant_list", case_id, include_ended, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadParticipantRow(r, *out.add_participants()); });
}

std::optional<int64_t> ListTeamChanges(pqxx::connection& conn, const std::string& case_id,
                                       int64_t after_seq, int limit, v1::ListTeamChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.changes_list", case_id, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadTeamChangeRow(case_id, r, *out.add_changes()); });
}

void ReadTeamChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                     const std::string& ended_for_org, int64_t after_transaction, int64_t after_seq, int64_t horizon,
                     int limit, v1::ReadTeamChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  for (const auto& r : tx.exec_prepared("team.changes_after", ArrayLiteral(case_ids), after_transaction, after_seq,
                                        horizon, limit, ended_for_org)) {
    auto& change = *out.add_changes();
    const auto case_id = r[8].as<std::string>();
    change.set_case_("cases/" + case_id);
    change.mutable_position()->set_position(ReadTeamChangeRow(case_id, r, *change.mutable_change()));
    change.mutable_position()->set_transaction(r[9].as<int64_t>());
    if (const auto org = r[10].as<std::string>(); !org.empty()) change.set_participant_organization(OrganizationName(org));
  }
}

std::optional<int64_t> ListParticipationsOfPerson(pqxx::connection& conn, const std::string& person_id,
                                                  int64_t after_seq, int limit,
                                                  v1::ListParticipationsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.participations_of_person", person_id, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadParticipantRow(r, *out.add_participants()); });
}

std::optional<int64_t> ListParticipationsOfOrganization(pqxx::connection& conn, const std::string& org_id,
                                                        int64_t after_seq, int limit,
                                                        v1::ListParticipationsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("team.participations_of_org", org_id, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadParticipantRow(r, *out.add_participants()); });
}

void RegisterCase(pqxx::transaction_base& tx, const CaseRegistration& c) {
  tx.exec_prepared("team.case_order_lock", c.case_id);  // a new case's team gets its first entry
  auto changed = tx.exec_prepared("team.case_register", c.case_id, c.owner_org, c.client_id, c.case_state);
  tx.exec_prepared("team.client_participation", c.case_id, c.client_id, kClientMandate, c.owner_org,
                   c.created_by);
  // Only a change of state (or a new case) needs the rule checked; the row is now locked.
  if (changed.empty() || c.case_state != kCaseStateActive) return;
  if (!tx.exec_prepared("team.has_coordinator", c.case_id)[0][0].as<bool>())
    throw Error::FailedPrecondition("NO_CARE_COORDINATOR",
                                    "an active case needs an active care coordinator in its team; "
                                    "add one first");
}

std::vector<TeamFact> Describe(pqxx::transaction_base& tx, const std::vector<TeamQuery>& queries) {
  std::vector<std::string> cases, orgs, people, asked_cases, asked_ids;
  for (const auto& q : queries) {
    cases.push_back(q.case_id);
    orgs.push_back(q.org);
    people.push_back(ProfessionalKey(q.org, q.person));
    for (const auto& id : q.participant_ids) {
      asked_cases.push_back(q.case_id);
      asked_ids.push_back(id);
    }
  }
  std::vector<TeamFact> facts;
  for (const auto& r : tx.exec_prepared("team.describe", ArrayLiteral(cases), ArrayLiteral(orgs), ArrayLiteral(people))) {
    TeamFact f;
    f.case_known = r[0].as<bool>();
    f.owner_org = r[1].as<std::string>();
    f.case_state = r[2].as<int>();
    f.org_permissions = r[3].as<int32_t>();
    f.person_participations = SplitList(r[4].as<std::string>());
    f.standing.coordinator = r[5].as<bool>();
    f.standing.manage_mandate = r[6].as<bool>();
    if (!r[7].is_null()) f.current_coordinator = r[7].as<std::string>();
    f.standing.team_has_coordinator = f.current_coordinator.has_value();
    facts.push_back(std::move(f));
  }
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto& f = facts[i];
    f.standing.owner_org = f.case_known && f.owner_org == queries[i].org;
    f.standing.org_may_read = (f.org_permissions & Bit(Permission::kReadCase)) != 0;
  }
  if (asked_ids.empty()) return facts;
  auto rows = tx.exec_prepared("team.describe_participants", ArrayLiteral(asked_cases), ArrayLiteral(asked_ids));
  std::size_t row = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    for (std::size_t k = 0; k < queries[i].participant_ids.size(); ++k, ++row) {
      const auto& r = rows.at(row);
      const auto person = OptionalText(r[3]);
      facts[i].participants.push_back({r[0].as<bool>(), static_cast<Role>(r[1].as<int>()), r[2].as<bool>(),
                                       person ? PersonName(*person) : r[4].as<std::string>()});
    }
  }
  return facts;
}

std::vector<TeamFact> DescribeTeams(pqxx::connection& conn, const std::vector<TeamQuery>& queries) {
  pqxx::nontransaction tx(conn);
  return Describe(tx, queries);
}

std::vector<std::string> OrganizationCases(pqxx::connection& conn, const std::string& org_id) {
  pqxx::nontransaction tx(conn);
  std::vector<std::string> ids;
  for (const auto& row : tx.exec_prepared("team.organization_cases", org_id))
    ids.push_back(row[0].as<std::string>());
  return ids;
}

std::map<std::string, int64_t> OrganizationCasesSince(pqxx::connection& conn, const std::string& org_id) {
  pqxx::nontransaction tx(conn);
  std::map<std::string, int64_t> since;
  for (const auto& row : tx.exec_prepared("team.organization_cases_since", org_id)) {
    const auto [it, added] = since.emplace(row[0].as<std::string>(), row[1].as<int64_t>());
    if (!added) it->second = std::min(it->second, row[1].as<int64_t>());  // owned, and taken part in
  }
  return since;
}

std::vector<std::pair<std::string, int64_t>> PartnerCasesPage(pqxx::connection& conn, const std::string& org_id,
                                                              int64_t after_position, int limit) {
  pqxx::nontransaction tx(conn);
  std::vector<std::pair<std::string, int64_t>> page;
  for (const auto& row : tx.exec_prepared("team.partner_cases_page", org_id, after_position, limit))
    page.emplace_back(row[0].as<std::string>(), row[1].as<int64_t>());
  return page;
}

}  // namespace kp::team
