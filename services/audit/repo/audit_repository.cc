#include "audit/repo/audit_repository.h"

#include <limits>

#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::audit {

namespace {

#define ENTRY_COLUMNS                                                                                 \
  "case_id, entry_seq, organization, person, category, action, purpose, decision, ground, deny_reason, " \
  "array_to_string(consents, ','), rpc, request_id, " KP_MICROS("entry_time") ", entry_id"

const std::vector<PreparedStatement> kStatements = {
    // One round trip: an autocommit statement whose transaction-local synchronous_commit = off
    // (set_config(..., true)) still holds when the statement's own transaction commits.
    {"audit.append",
     "INSERT INTO audit.access_log (case_id, organization, person, category, action, purpose, decision, "
     "ground, deny_reason, consents, rpc, request_id) "
     "SELECT e.case_id, e.organization, e.person, e.category, e.action, e.purpose, e.decision, e.ground, "
     "e.deny_reason, string_to_array(e.consents, ' ')::uuid[], e.rpc, e.request_id "
     "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::smallint[], "
     "$7::smallint[], $8::smallint[], $9::smallint[], $10::text[], $11::text[], $12::text[]) WITH ORDINALITY "
     "AS e(case_id, organization, person, category, action, purpose, decision, ground, deny_reason, consents, "
     "rpc, request_id, i) CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS async "
     "ORDER BY e.i RETURNING entry_id"},
    // A case's log, newest first: its own statement, so that its plan is always the primary key's
    // (the generic plan of the catch-all below scanned the whole log: issue 23).
    {"audit.case_log",
     "SELECT " ENTRY_COLUMNS " FROM audit.access_log WHERE case_id = $1::uuid AND entry_seq < $2 "
     "ORDER BY entry_seq DESC LIMIT $3"},
    {"audit.list",
     "SELECT " ENTRY_COLUMNS " FROM audit.access_log WHERE entry_seq < $1 AND ($2::uuid IS NULL OR case_id = $2) "
     "AND ($3::text IS NULL OR organization = $3) "
     "AND ($4::bigint IS NULL OR entry_time >= to_timestamp($4::double precision / 1e6)) "
     "AND ($5::bigint IS NULL OR entry_time < to_timestamp($5::double precision / 1e6)) "
     "AND ($6::smallint IS NULL OR decision = $6) ORDER BY entry_seq DESC LIMIT $7"},
};

std::vector<std::string> Numbers(const std::vector<NewEntry>& entries, int NewEntry::*field) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(std::to_string(e.*field));
  return out;
}

std::vector<std::string> Texts(const std::vector<NewEntry>& entries, std::string NewEntry::*field) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.*field);
  return out;
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

std::string EntryName(const std::string& case_id, const std::string& entry_id) {
  return "cases/" + case_id + "/accessLogEntries/" + entry_id;
}

std::vector<std::string> AppendEntries(pqxx::connection& conn, const std::vector<NewEntry>& entries) {
  std::vector<std::string> consents;
  for (const auto& e : entries) {
    std::string joined;
    for (const auto& id : e.consent_ids) joined += (joined.empty() ? "" : " ") + id;
    consents.push_back(joined);
  }
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared(
      "audit.append", ArrayLiteral(Texts(entries, &NewEntry::case_id)), ArrayLiteral(Texts(entries, &NewEntry::organization)),
      ArrayLiteral(Texts(entries, &NewEntry::person)), ArrayLiteral(Numbers(entries, &NewEntry::category)),
      ArrayLiteral(Numbers(entries, &NewEntry::action)), ArrayLiteral(Numbers(entries, &NewEntry::purpose)),
      ArrayLiteral(Numbers(entries, &NewEntry::decision)), ArrayLiteral(Numbers(entries, &NewEntry::ground)),
      ArrayLiteral(Numbers(entries, &NewEntry::deny_reason)), ArrayLiteral(consents),
      ArrayLiteral(Texts(entries, &NewEntry::rpc)), ArrayLiteral(Texts(entries, &NewEntry::request_id)));
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r[0].as<std::string>());
  return ids;
}

namespace {
std::optional<int64_t> ReadEntries(const pqxx::result& rows, int limit, v1::ListAccessLogResponse& out) {
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    auto* e = out.add_entries();
    e->set_case_("cases/" + r[0].as<std::string>());
    e->set_name(EntryName(r[0].as<std::string>(), r[14].as<std::string>()));
    e->set_organization(OrganizationName(r[2].as<std::string>()));
    e->set_person(r[3].as<std::string>());
    e->set_category(static_cast<kruispunt::consent::v1::DataCategory>(r[4].as<int>()));
    e->set_action(static_cast<kruispunt::consent::v1::Action>(r[5].as<int>()));
    e->set_purpose(static_cast<kruispunt::consent::v1::Purpose>(r[6].as<int>()));
    e->set_decision(static_cast<kruispunt::consent::v1::Decision>(r[7].as<int>()));
    e->set_ground(static_cast<kruispunt::consent::v1::Ground>(r[8].as<int>()));
    e->set_deny_reason(static_cast<kruispunt::consent::v1::DenyReason>(r[9].as<int>()));
    for (const auto& id : SplitList(r[10].as<std::string>()))
      e->add_consents("cases/" + r[0].as<std::string>() + "/consents/" + id);
    e->set_rpc(r[11].as<std::string>());
    e->set_request_id(r[12].as<std::string>());
    SetTime(e->mutable_time(), r[13].as<int64_t>());
    return r[1].as<int64_t>();
  });
}

int64_t Before(int64_t before_seq) { return before_seq > 0 ? before_seq : std::numeric_limits<int64_t>::max(); }

}  // namespace

std::optional<int64_t> ListCaseEntries(pqxx::connection& conn, const std::string& case_id, int64_t before_seq,
                                       int limit, v1::ListAccessLogResponse& out) {
  pqxx::nontransaction tx(conn);
  return ReadEntries(tx.exec_prepared("audit.case_log", case_id, Before(before_seq), limit + 1), limit, out);
}

std::optional<int64_t> ListEntries(pqxx::connection& conn, const LogFilter& f, int64_t before_seq, int limit,
                                   v1::ListAccessLogResponse& out) {
  pqxx::nontransaction tx(conn);
  return ReadEntries(tx.exec_prepared("audit.list", Before(before_seq), f.case_id, f.organization, f.start_micros,
                                      f.end_micros, f.decision, limit + 1),
                     limit, out);
}

}  // namespace kp::audit
