#include "cases/repo/case_repository.h"

#include "cases/domain/case_id.h"
#include "common/idempotency.h"
#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::cases {

namespace {

// Column lists shared by the statements that return a whole client or case.
#define CLIENT_COLUMNS                                                                        \
  "client_id, insz, given_name, family_name, birth_date::text, preferred_language, email, "   \
  "phone, street, postal_code, city, registering_org, " KP_MICROS("create_time") ", "        \
  KP_MICROS("update_time") ", version, client_seq"

#define CASE_COLUMNS                                                                           \
  "c.case_id, c.client_id, c.owner_org, c.title, c.summary, "                                 \
  "array_to_string(c.life_domains, ','), c.state, c.state_reason, " KP_MICROS("c.create_time") \
  ", " KP_MICROS("c.update_time") ", c.version, cl.insz, cl.given_name, cl.family_name, "      \
  "cl.birth_date::text, c.case_seq"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("cases"),
    {"cases.client_insert",
     "INSERT INTO cases.clients (registering_org, insz, given_name, family_name, birth_date, "
     "preferred_language, email, phone, street, postal_code, city, request_id, created_by) "
     "VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, $10, $11, $12::uuid, $13) "
     "ON CONFLICT (registering_org, request_id) DO NOTHING RETURNING " CLIENT_COLUMNS},
    {"cases.client_by_request",
     "SELECT " CLIENT_COLUMNS " FROM cases.clients WHERE registering_org = $1 AND request_id = $2::uuid"},
    {"cases.client_get",
     "SELECT " CLIENT_COLUMNS " FROM cases.clients WHERE client_id = $1::uuid AND registering_org = $2"},
    {"cases.client_version",
     "SELECT version FROM cases.clients WHERE client_id = $1::uuid AND registering_org = $2"},
    {"cases.client_update",
     "UPDATE cases.clients SET "
     "given_name = COALESCE($3, given_name), family_name = COALESCE($4, family_name), "
     "preferred_language = COALESCE($5, preferred_language), email = COALESCE($6, email), "
     "phone = COALESCE($7, phone), street = COALESCE($8, street), "
     "postal_code = COALESCE($9, postal_code), city = COALESCE($10, city), "
     "version = version + 1, update_time = now() "
     "WHERE client_id = $1::uuid AND registering_org = $2 AND ($11::int IS NULL OR version = $11) "
     "RETURNING " CLIENT_COLUMNS},
    // An organisation's clients, or the one with an INSZ: two statements, so that a search by
    // INSZ is always the (registering_org, insz) key's lookup, never a walk of the register.
    {"cases.client_list",
     "SELECT " CLIENT_COLUMNS " FROM cases.clients WHERE registering_org = $1 AND client_seq > $2 "
     "ORDER BY client_seq LIMIT $3"},
    {"cases.client_by_insz",
     "SELECT " CLIENT_COLUMNS " FROM cases.clients WHERE registering_org = $1 AND insz = $3 AND client_seq > $2 "
     "ORDER BY client_seq LIMIT $4"},

    {"cases.case_insert",
     "WITH cl AS (SELECT client_id, insz, given_name, family_name, birth_date FROM cases.clients "
     "            WHERE client_id = $1::uuid AND registering_org = $2), "
     "c AS (INSERT INTO cases.cases (case_id, client_id, owner_org, title, summary, life_domains, request_id, created_by) "
     "      SELECT COALESCE($8::uuid, gen_random_uuid()), client_id, $2, $3, $4, $5::smallint[], $6::uuid, $7 FROM cl "
     "      ON CONFLICT (case_id) DO NOTHING RETURNING *), "
     "h AS (INSERT INTO cases.case_status_changes (case_id, from_state, to_state, changed_by_org, changed_by_person) "
     "      SELECT case_id, NULL, state, owner_org, created_by FROM c) "
     "SELECT " CASE_COLUMNS " FROM c JOIN cl USING (client_id)"},
    {"cases.case_by_request",
     "SELECT " CASE_COLUMNS " FROM cases.cases c JOIN cases.clients cl USING (client_id) "
     "WHERE c.owner_org = $1 AND c.request_id = $2::uuid LIMIT 1"},
    // One primary-key probe per id, whatever the plan: with "case_id = ANY($1)" PostgreSQL's
    // generic plan for a prepared statement scans the whole table (LIMIT 1 keeps the lateral
    // subqueries from being flattened back into that plan).
    {"cases.case_get_many",
     "SELECT " CASE_COLUMNS " FROM unnest($1::uuid[]) AS wanted(case_id) "
     "CROSS JOIN LATERAL (SELECT * FROM cases.cases WHERE case_id = wanted.case_id LIMIT 1) c "
     "CROSS JOIN LATERAL (SELECT * FROM cases.clients WHERE client_id = c.client_id LIMIT 1) cl"},
    {"cases.team_sync_mark",
     "INSERT INTO cases.team_sync_pending (case_id, version) VALUES ($1::uuid, $2) "
     "ON CONFLICT (case_id) DO UPDATE SET version = GREATEST(team_sync_pending.version, EXCLUDED.version)"},
    {"cases.team_sync_clear",
     "DELETE FROM cases.team_sync_pending WHERE case_id = $1::uuid AND version <= $2"},
    {"cases.team_sync_due",
     "SELECT c.case_id, c.owner_org, c.client_id, c.created_by, c.state, c.version "
     "FROM cases.team_sync_pending p JOIN cases.cases c USING (case_id) "
     "WHERE p.mark_time < now() - make_interval(secs => $1) ORDER BY p.mark_time LIMIT $2"},
    {"cases.case_probe", "SELECT owner_org, version, state, client_id::text FROM cases.cases WHERE case_id = $1::uuid"},
    {"cases.case_update",
     "WITH c AS (UPDATE cases.cases SET title = COALESCE($3, title), summary = COALESCE($4, summary), "
     "           life_domains = COALESCE($5::smallint[], life_domains), "
     "           version = version + 1, update_time = now() "
     "           WHERE case_id = $1::uuid AND owner_org = $2 AND state <> 4 "
     "           AND ($6::int IS NULL OR version = $6) RETURNING *) "
     "SELECT " CASE_COLUMNS " FROM c JOIN cases.clients cl USING (client_id)"},
    {"cases.case_transition",
     "WITH old AS (SELECT case_id, state FROM cases.cases WHERE case_id = $1::uuid AND owner_org = $2 FOR UPDATE), "
     "c AS (UPDATE cases.cases t SET state = $4, state_reason = $5, version = t.version + 1, update_time = now() "
     "      FROM old WHERE t.case_id = old.case_id AND old.state = ANY($3::smallint[]) "
     "      AND ($6::int IS NULL OR t.version = $6) RETURNING t.*, old.state AS from_state), "
     "h AS (INSERT INTO cases.case_status_changes (case_id, from_state, to_state, reason, changed_by_org, changed_by_person) "
     "      SELECT case_id, from_state, state, state_reason, owner_org, $7 FROM c) "
     "SELECT " CASE_COLUMNS " FROM c JOIN cases.clients cl USING (client_id)"},
    // The cases an organisation owns or may read as a partner ($6), or those of one of its own
    // clients (by INSZ: through the client's key and its cases' index, never a walk of every
    // case). The optional state and life domain filters only narrow what that path reads. The
    // owned cases are read in order through (owner_org, case_seq), a page at most, and the
    // partner's by their keys: one condition "owner or partner" read every owned case and sorted.
    // The organisation's own cases, oldest first.
    {"cases.case_list_owned",
     "SELECT " CASE_COLUMNS " FROM cases.cases c JOIN cases.clients cl USING (client_id) "
     "WHERE c.owner_org = $1 AND c.case_seq > $2 "
     "AND ($3::smallint IS NULL OR c.state = $3) AND ($4::smallint IS NULL OR $4 = ANY (c.life_domains)) "
     "ORDER BY c.case_seq LIMIT $5"},
    // Named cases (a page of those an organisation takes part in), in the order named.
    {"cases.case_list_by_ids",
     "SELECT " CASE_COLUMNS " FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted(case_id, n) "
     "JOIN cases.cases c USING (case_id) JOIN cases.clients cl USING (client_id) "
     "WHERE ($2::smallint IS NULL OR c.state = $2) AND ($3::smallint IS NULL OR $3 = ANY (c.life_domains)) "
     "ORDER BY wanted.n"},
    {"cases.case_list_by_insz",
     "SELECT " CASE_COLUMNS " FROM cases.clients cl JOIN cases.cases c USING (client_id) "
     "WHERE cl.registering_org = $1 AND cl.insz = $6 AND c.owner_org = $1 AND c.case_seq > $2 "
     "AND ($3::smallint IS NULL OR c.state = $3) AND ($4::smallint IS NULL OR $4 = ANY (c.life_domains)) "
     "ORDER BY c.case_seq LIMIT $5"},
    {"cases.status_changes",
     "SELECT from_state, to_state, reason, changed_by_org, changed_by_person, "
     KP_MICROS("change_time") ", change_seq FROM cases.case_status_changes "
     "WHERE case_id = $1::uuid AND change_seq > $2 ORDER BY change_seq LIMIT $3"},
};

std::string Etag(int version) { return std::to_string(version); }

int64_t ReadClient(const pqxx::row& r, v1::Client& out) {
  out.set_name("clients/" + r[0].as<std::string>());
  out.set_insz(r[1].as<std::string>());
  out.set_given_name(r[2].as<std::string>());
  out.set_family_name(r[3].as<std::string>());
  SetDate(out.mutable_birth_date(), r[4].as<std::string>());
  out.set_preferred_language(r[5].as<std::string>());
  auto* contact = out.mutable_contact();
  contact->set_email(r[6].as<std::string>());
  contact->set_phone(r[7].as<std::string>());
  contact->set_street(r[8].as<std::string>());
  contact->set_postal_code(r[9].as<std::string>());
  contact->set_city(r[10].as<std::string>());
  out.set_registering_organization(OrganizationName(r[11].as<std::string>()));
  SetTime(out.mutable_create_time(), r[12].as<int64_t>());
  SetTime(out.mutable_update_time(), r[13].as<int64_t>());
  out.set_etag(Etag(r[14].as<int>()));
  return r[15].as<int64_t>();
}

int64_t ReadCase(const pqxx::row& r, v1::Case& out) {
  const std::string client = "clients/" + r[1].as<std::string>();
  out.set_name("cases/" + r[0].as<std::string>());
  out.set_client(client);
  out.set_owner_organization(OrganizationName(r[2].as<std::string>()));
  out.set_title(r[3].as<std::string>());
  out.set_summary(r[4].as<std::string>());
  out.clear_life_domains();
  for (int domain : ParseIntList(r[5].as<std::string>()))
    out.add_life_domains(static_cast<kruispunt::type::v1::LifeDomain>(domain));
  out.set_state(static_cast<v1::CaseState>(r[6].as<int>()));
  out.set_state_reason(r[7].as<std::string>());
  SetTime(out.mutable_create_time(), r[8].as<int64_t>());
  SetTime(out.mutable_update_time(), r[9].as<int64_t>());
  out.set_etag(Etag(r[10].as<int>()));
  auto* summary = out.mutable_client_summary();
  summary->set_name(client);
  summary->set_insz(r[11].as<std::string>());
  summary->set_given_name(r[12].as<std::string>());
  summary->set_family_name(r[13].as<std::string>());
  SetDate(summary->mutable_birth_date(), r[14].as<std::string>());
  return r[15].as<int64_t>();
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

bool InsertClient(pqxx::connection& conn, const NewClient& c, v1::Client& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.client_insert", c.organization, c.insz, c.given_name,
                               c.family_name, c.birth_date, c.preferred_language, c.contact.email,
                               c.contact.phone, c.contact.street, c.contact.postal_code,
                               c.contact.city, c.request_id, c.created_by);
  if (rows.empty())  // a retry: the request_id is known, return what the first call created
    rows = tx.exec_prepared("cases.client_by_request", c.organization, c.request_id);
  if (rows.empty()) return false;
  ReadClient(rows[0], out);
  return true;
}

bool GetClient(pqxx::connection& conn, const std::string& client_id, const std::string& org,
               v1::Client& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.client_get", client_id, org);
  if (rows.empty()) return false;
  ReadClient(rows[0], out);
  return true;
}

bool UpdateClient(pqxx::connection& conn, const std::string& client_id, const std::string& org,
                  const ClientChanges& ch, std::optional<int> expected_version, v1::Client& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.client_update", client_id, org, ch.given_name,
                               ch.family_name, ch.preferred_language, ch.contact.email,
                               ch.contact.phone, ch.contact.street, ch.contact.postal_code,
                               ch.contact.city, expected_version);
  if (rows.empty()) return false;
  ReadClient(rows[0], out);
  return true;
}

std::optional<int> ClientVersion(pqxx::connection& conn, const std::string& client_id,
                                 const std::string& org) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.client_version", client_id, org);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<int>();
}

std::optional<int64_t> ListClients(pqxx::connection& conn, const std::string& org,
                                   std::optional<std::string> insz, int64_t after_seq, int limit,
                                   v1::ListClientsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = insz ? tx.exec_prepared("cases.client_by_insz", org, after_seq, *insz, limit + 1)
                   : tx.exec_prepared("cases.client_list", org, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadClient(r, *out.add_clients()); });
}

bool InsertCase(pqxx::transaction_base& tx, const NewCase& c, v1::Case& out) {
  // With a request_id the case's id is derived from it: a retry conflicts on the primary key and
  // reads the case the first call made (or, for a case made before ids were derived, finds it by
  // its request_id).
  const std::optional<std::string> case_id =
      c.request_id ? std::optional(CaseIdFor(c.organization, *c.request_id)) : std::nullopt;
  auto rows = tx.exec_prepared("cases.case_insert", c.client_id, c.organization, c.title,
                               c.summary, c.life_domains, c.request_id, c.created_by, case_id);
  if (rows.empty() && c.request_id)
    rows = tx.exec_prepared("cases.case_by_request", c.organization, c.request_id);
  if (rows.empty()) return false;
  ReadCase(rows[0], out);
  return true;
}

std::unordered_map<std::string, v1::Case> GetCases(pqxx::connection& conn,
                                                   const std::vector<std::string>& case_ids) {
  pqxx::nontransaction tx(conn);
  std::unordered_map<std::string, v1::Case> found;
  for (const auto& row : tx.exec_prepared("cases.case_get_many", ArrayLiteral(case_ids)))
    ReadCase(row, found[row[0].as<std::string>()]);
  return found;
}

int CaseVersion(const v1::Case& c) { return std::stoi(c.etag()); }

void MarkTeamSyncPending(pqxx::transaction_base& tx, const std::string& case_id, int version) {
  tx.exec_prepared("cases.team_sync_mark", case_id, version);
}

void ClearTeamSyncPending(pqxx::connection& conn, const std::string& case_id, int version) {
  pqxx::nontransaction tx(conn);
  tx.exec_prepared("cases.team_sync_clear", case_id, version);
}

std::vector<PendingTeamSync> DueTeamSyncs(pqxx::connection& conn, int min_age_seconds, int limit) {
  pqxx::nontransaction tx(conn);
  std::vector<PendingTeamSync> due;
  for (const auto& r : tx.exec_prepared("cases.team_sync_due", min_age_seconds, limit))
    due.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                   r[4].as<int>(), r[5].as<int>()});
  return due;
}

std::optional<CaseProbe> ProbeCase(pqxx::connection& conn, const std::string& case_id) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.case_probe", case_id);
  if (rows.empty()) return std::nullopt;
  return CaseProbe{rows[0][0].as<std::string>(), rows[0][1].as<int>(), rows[0][2].as<int>(),
                   rows[0][3].as<std::string>()};
}

bool UpdateCase(pqxx::connection& conn, const std::string& case_id, const std::string& org,
                const CaseChanges& ch, std::optional<int> expected_version, v1::Case& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.case_update", case_id, org, ch.title, ch.summary,
                               ch.life_domains, expected_version);
  if (rows.empty()) return false;
  ReadCase(rows[0], out);
  return true;
}

bool TransitionCase(pqxx::transaction_base& tx, const std::string& case_id, const std::string& org,
                    const std::string& allowed_from, int to_state, const std::string& reason,
                    std::optional<int> expected_version, const std::string& person, v1::Case& out) {
  auto rows = tx.exec_prepared("cases.case_transition", case_id, org, allowed_from, to_state,
                               reason, expected_version, person);
  if (rows.empty()) return false;
  ReadCase(rows[0], out);
  return true;
}

std::optional<int64_t> ListOwnedCases(pqxx::connection& conn, const std::string& org, const CaseListFilter& f,
                                      int64_t after_seq, int limit, v1::ListCasesResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = f.client_insz ? tx.exec_prepared("cases.case_list_by_insz", org, after_seq, f.state, f.life_domain,
                                               limit + 1, *f.client_insz)
                            : tx.exec_prepared("cases.case_list_owned", org, after_seq, f.state, f.life_domain,
                                               limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadCase(r, *out.add_cases()); });
}

void ListCasesByIds(pqxx::connection& conn, const std::vector<std::string>& case_ids, const CaseListFilter& f,
                    v1::ListCasesResponse& out) {
  if (case_ids.empty()) return;
  pqxx::nontransaction tx(conn);
  for (const auto& r : tx.exec_prepared("cases.case_list_by_ids", ArrayLiteral(case_ids), f.state, f.life_domain))
    ReadCase(r, *out.add_cases());
}

std::optional<int64_t> ListStatusChanges(pqxx::connection& conn, const std::string& case_id,
                                         int64_t after_seq, int limit,
                                         v1::ListCaseStatusChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("cases.status_changes", case_id, after_seq, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    auto* change = out.add_changes();
    change->set_from_state(static_cast<v1::CaseState>(r[0].is_null() ? 0 : r[0].as<int>()));
    change->set_to_state(static_cast<v1::CaseState>(r[1].as<int>()));
    change->set_reason(r[2].as<std::string>());
    change->set_changed_by_organization(OrganizationName(r[3].as<std::string>()));
    change->set_changed_by_person(r[4].as<std::string>());
    SetTime(change->mutable_change_time(), r[5].as<int64_t>());
    return r[6].as<int64_t>();
  });
}

}  // namespace kp::cases
