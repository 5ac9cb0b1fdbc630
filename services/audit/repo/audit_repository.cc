#include "audit/repo/audit_repository.h"

#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::audit {

namespace {

#define ENTRY_COLUMNS                                                                                 \
  "case_id, entry_seq, organization, person, category, action, purpose, decision, ground, deny_reason, " \
  "array_to_string(consents, ','), rpc, request_id, " KP_MICROS("entry_time") ", entry_id"

// Entries before a position ($2 its time, $3 its sequence), newest first: by time, then sequence
// (a batch of entries shares its time). The log is partitioned by month (audit/0005), and this
// order is the partitions' own, so PostgreSQL reads the newest month first and stops at a full
// page; `entry_time <= $2` lets it skip the months after the position without reading them.
#define BEFORE_POSITION                                                                             \
  "entry_time <= " KP_FROM_MICROS("$2") " AND (entry_time, entry_seq) < (" KP_FROM_MICROS("$2")       \
  ", $3) ORDER BY entry_time DESC, entry_seq DESC LIMIT $4"

// The DPO's search within a time window ($1 from) and before a position: its statements differ
// in `condition` only.
#define SEARCH_WINDOW(condition)                                                                     \
  "SELECT " ENTRY_COLUMNS " FROM audit.access_log WHERE " condition " AND entry_time >= "              \
  KP_FROM_MICROS("$1") " AND " BEFORE_POSITION

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
    // A case's log, newest first: its own statement, so that its plan is always the primary key's,
    // month by month (the generic plan of a catch-all statement for every search scanned the
    // whole log: issue 23).
    {"audit.case_log",
     "SELECT " ENTRY_COLUMNS " FROM audit.access_log WHERE case_id = $1::uuid AND " BEFORE_POSITION},
    // The DPO's search, newest first by time (then sequence: a batch of entries shares its time),
    // one statement per shape, each bounded by an index on the time window (audit/0004, by month
    // since audit/0005): all entries; permits (most entries: the window's index); denials (their
    // own small index); one organisation's, with or without a decision.
    {"audit.search", SEARCH_WINDOW("true")},
    {"audit.search_permitted", SEARCH_WINDOW("decision = 1")},
    {"audit.search_denied", SEARCH_WINDOW("decision = 2")},
    {"audit.search_organization", SEARCH_WINDOW("organization = $5")},
    {"audit.search_organization_decision", SEARCH_WINDOW("organization = $5 AND decision = $6")},
    // This month's partition and the next three, unless they exist (audit/0005; runs with the
    // owner's rights).
    {"audit.create_partitions_ahead", "SELECT audit.create_access_log_partitions_ahead()"},
    // How many of the next twelve months have their partition.
    {"audit.months_ahead",
     "SELECT count(*) FROM generate_series(1, 12) AS m WHERE to_regclass('audit.' || "
     "audit.access_log_partition_name(now() + make_interval(months => m))) IS NOT NULL"},
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

// Reads a page of entries (the query asked for one more than `page.size`); returns the position
// of the page's last entry when more follow.
std::optional<Position2> ReadEntries(const pqxx::result& rows, const Page& page, v1::ListAccessLogResponse& out) {
  const auto last = ReadPage(rows, page.size, [&](const pqxx::row& r) {
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
  if (!last) return std::nullopt;
  const auto& r = rows[page.size - 1];
  return Position2{r[13].as<int64_t>(), r[1].as<int64_t>()};
}

// Where a page starts: a first page before (end, 0), so that an entry stamped exactly at the end
// is outside the window (no end given: before the year 9999); a later one before its token's
// position.
Position2 Start(const Page& page, std::optional<int64_t> end_micros) {
  if (page.after == 0) return {end_micros.value_or(kLastMicros), 0};
  return {page.after, page.then};
}

}  // namespace

std::optional<Position2> ListCaseEntries(pqxx::connection& conn, const std::string& case_id, const Page& page,
                                         v1::ListAccessLogResponse& out) {
  const Position2 before = Start(page, std::nullopt);
  pqxx::nontransaction tx(conn);
  return ReadEntries(tx.exec_prepared("audit.case_log", case_id, before.after, before.then, page.size + 1), page, out);
}

std::optional<Position2> SearchEntries(pqxx::connection& conn, const LogFilter& f, const Page& page,
                                       v1::ListAccessLogResponse& out) {
  const int64_t start = f.start_micros.value_or(0);
  const Position2 before = Start(page, f.end_micros);
  const int64_t limit = page.size + 1;
  pqxx::nontransaction tx(conn);
  pqxx::result rows;
  if (f.organization && f.decision)
    rows = tx.exec_prepared("audit.search_organization_decision", start, before.after, before.then, limit,
                            *f.organization, *f.decision);
  else if (f.organization)
    rows = tx.exec_prepared("audit.search_organization", start, before.after, before.then, limit, *f.organization);
  else if (f.decision == kruispunt::consent::v1::DECISION_DENY)
    rows = tx.exec_prepared("audit.search_denied", start, before.after, before.then, limit);
  else if (f.decision == kruispunt::consent::v1::DECISION_PERMIT)
    rows = tx.exec_prepared("audit.search_permitted", start, before.after, before.then, limit);
  else
    rows = tx.exec_prepared("audit.search", start, before.after, before.then, limit);
  return ReadEntries(rows, page, out);
}

int CreatePartitionsAhead(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  return tx.exec_prepared1("audit.create_partitions_ahead")[0].as<int>();
}

int MonthsAhead(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  return tx.exec_prepared1("audit.months_ahead")[0].as<int>();
}

}  // namespace kp::audit
