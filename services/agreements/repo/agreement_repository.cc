#include "agreements/repo/agreement_repository.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "common/metrics.h"
#include "common/errors.h"
#include "common/idempotency.h"
#include "common/history_order.h"
#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::agreements {

namespace {

// An agreement, one of its versions and one of that version's parties per row.
#define AGREEMENT_ROWS                                                                                     \
  "SELECT a.case_id::text, a.agreement_id::text, a.current_version, a.status, a.end_reason, "              \
  KP_MICROS("a.create_time") ", " KP_MICROS("a.update_time") ", v.version, v.text, "                       \
  "array_to_string(v.goals, ','), array_to_string(v.performers, ','), v.schedule, v.start_date::text, "    \
  "v.end_date::text, v.consultation_date::text, v.proposed_by, v.proposed_by_org, " KP_MICROS("v.propose_time") ", " \
  "p.party, p.answer, p.comment, p.answered_by, p.answered_by_org, " KP_MICROS("p.answer_time") ", "        \
  "p.withdrawn, p.withdrawal_reason, a.position "
#define JOIN_VERSIONS_AND_PARTIES                                                                          \
  " JOIN agreements.versions v ON v.case_id = a.case_id AND v.agreement_id = a.agreement_id "             \
  " JOIN agreements.parties p ON p.case_id = v.case_id AND p.agreement_id = v.agreement_id AND p.version = v.version "
#define LOG_COLUMNS \
  "l.sequence, l.kind, l.case_id::text, l.agreement_id::text, l.version, " KP_MICROS("l.event_time") \
  ", l.canonical, l.previous_hash, l.hash, l.position"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("agreements"),
    {"agreements.case_order_lock", KP_CASE_HISTORY_ORDER_LOCK},
    {"agreements.chain_lock",
     "INSERT INTO agreements.chain_heads AS h (case_id) VALUES ($1::uuid) "
     "ON CONFLICT (case_id) DO UPDATE SET last_sequence = h.last_sequence RETURNING h.last_sequence, h.last_hash"},
    // Its own statement after the lock: a statement that waited for the lock still sees the log as
    // it was before the previous holder committed (READ COMMITTED takes a snapshot per statement).
    {"agreements.head_entry", "SELECT hash FROM agreements.log WHERE case_id = $1::uuid AND sequence = $2"},
    {"agreements.chain_head",
     "SELECT last_sequence, last_hash FROM agreements.chain_heads WHERE case_id = $1::uuid"},
    {"agreements.log_append",
     "WITH l AS (INSERT INTO agreements.log (case_id, sequence, kind, agreement_id, version, event_time, canonical, "
     "           previous_hash, hash) VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6::timestamptz, $7, $8, $9)) "
     "UPDATE agreements.chain_heads SET last_sequence = $2, last_hash = $9 WHERE case_id = $1::uuid"},
    {"agreements.state",
     "SELECT a.current_version, a.status, p.party, p.answer FROM agreements.agreements a "
     "JOIN agreements.parties p ON p.case_id = a.case_id AND p.agreement_id = a.agreement_id "
     "AND p.version = a.current_version WHERE a.case_id = $1::uuid AND a.agreement_id = $2::uuid ORDER BY p.ordinal"},
    {"agreements.by_request",
     "SELECT agreement_id::text FROM agreements.agreements WHERE case_id = $1::uuid AND request_id = $2::uuid"},
    {"agreements.insert",
     "INSERT INTO agreements.agreements (case_id, request_id) VALUES ($1::uuid, $2::uuid) RETURNING agreement_id::text"},
    {"agreements.version_add",
     "WITH v AS (INSERT INTO agreements.versions (case_id, agreement_id, version, text, goals, performers, schedule, "
     "           start_date, end_date, consultation_date, proposed_by, proposed_by_org, propose_time) "
     "           VALUES ($1::uuid, $2::uuid, $3, $4, $5::text[], $6::text[], $7, $8::date, $9::date, $10::date, $11, "
     "           $12, $13::timestamptz) RETURNING case_id, agreement_id, version), "
     "     p AS (INSERT INTO agreements.parties (case_id, agreement_id, version, ordinal, party, party_org) "
     "           SELECT v.case_id, v.agreement_id, v.version, t.o, t.p, "
     "                  CASE WHEN t.p LIKE 'organizations/%' THEN substr(t.p, 15) END "
     "           FROM v, unnest($14::text[]) WITH ORDINALITY AS t(p, o)) "
     "UPDATE agreements.agreements SET current_version = $3, status = 1, update_time = now() "
     "WHERE case_id = $1::uuid AND agreement_id = $2::uuid"},
    {"agreements.answer",
     "WITH p AS (UPDATE agreements.parties SET answer = $5, comment = $6, answered_by = $7, answered_by_org = $8, "
     "           answer_time = $9::timestamptz, withdrawn = false, withdrawal_reason = '' "
     "           WHERE case_id = $1::uuid AND agreement_id = $2::uuid AND version = $3 AND party = $4) "
     "UPDATE agreements.agreements SET status = $10, update_time = now() "
     "WHERE case_id = $1::uuid AND agreement_id = $2::uuid"},
    {"agreements.withdraw",
     "WITH p AS (UPDATE agreements.parties SET answer = NULL, withdrawn = true, withdrawal_reason = $5, "
     "           answered_by = $6, answered_by_org = $7, answer_time = $8::timestamptz "
     "           WHERE case_id = $1::uuid AND agreement_id = $2::uuid AND version = $3 AND party = $4) "
     "UPDATE agreements.agreements SET status = $9, update_time = now() "
     "WHERE case_id = $1::uuid AND agreement_id = $2::uuid"},
    {"agreements.end",
     "UPDATE agreements.agreements SET status = 5, end_reason = $3, update_time = now() "
     "WHERE case_id = $1::uuid AND agreement_id = $2::uuid"},

    {"agreements.get",
     AGREEMENT_ROWS "FROM agreements.agreements a" JOIN_VERSIONS_AND_PARTIES
     "WHERE a.case_id = $1::uuid AND a.agreement_id = $2::uuid AND v.version = a.current_version ORDER BY p.ordinal"},
    {"agreements.versions",
     AGREEMENT_ROWS "FROM agreements.agreements a" JOIN_VERSIONS_AND_PARTIES
     "WHERE a.case_id = $1::uuid AND a.agreement_id = $2::uuid ORDER BY v.version, p.ordinal"},
    {"agreements.list",
     "WITH page AS (SELECT * FROM agreements.agreements WHERE case_id = $1::uuid "
     "              AND ($2::smallint IS NULL OR status = $2) AND position > $3 ORDER BY position LIMIT $4) "
     AGREEMENT_ROWS "FROM page a" JOIN_VERSIONS_AND_PARTIES
     "WHERE v.version = a.current_version ORDER BY a.position, p.ordinal"},
    // Driven by the partial index of unanswered organisation parties.
    {"agreements.awaiting",
     "WITH page AS (SELECT DISTINCT a.* FROM agreements.parties w JOIN agreements.agreements a "
     "                ON a.case_id = w.case_id AND a.agreement_id = w.agreement_id AND a.current_version = w.version "
     "              WHERE w.party_org = $1 AND w.answer IS NULL AND a.status = 1 AND a.position > $2 "
     "              ORDER BY a.position LIMIT $3) "
     AGREEMENT_ROWS "FROM page a" JOIN_VERSIONS_AND_PARTIES
     "WHERE v.version = a.current_version ORDER BY a.position, p.ordinal"},

    {"agreements.log_page",
     "SELECT " LOG_COLUMNS " FROM agreements.log l WHERE l.case_id = $1::uuid AND l.sequence > $2 "
     "ORDER BY l.sequence LIMIT $3"},
    // Each case's entries in commit order through its (case_id, transaction_id, position) index,
    // at most a page of each, below the horizon $4 (migration agreements/0005 says why).
    {"agreements.changes",
     "SELECT " LOG_COLUMNS ", l.transaction_id::text::bigint FROM unnest($1::uuid[]) AS wanted(case_id) "
     "CROSS JOIN LATERAL (SELECT * FROM agreements.log l WHERE l.case_id = wanted.case_id "
     "  AND (l.transaction_id, l.position) > ($2::text::xid8, $3) AND l.transaction_id < $4::text::xid8 "
     "  ORDER BY l.transaction_id, l.position LIMIT $5) l "
     "ORDER BY l.transaction_id, l.position LIMIT $5"},
    // Every transaction below it has ended: no entry can still commit there.
    {"agreements.commit_horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"},
};

// A party key ("organizations/x", "participants/p") as the API names it.
v1::Party PartyOf(const std::string& case_id, const std::string& key) {
  v1::Party p;
  if (key.rfind("organizations/", 0) == 0) p.set_organization(key);
  else p.set_participant("cases/" + case_id + "/" + key);
  return p;
}

// Groups rows (AGREEMENT_ROWS, ordered by agreement, version, party) into agreements, each with
// the versions its rows hold; calls emit(agreement, versions, position) per agreement.
template <class Emit>
void ReadRows(const pqxx::result& rows, Emit emit) {
  v1::Agreement agreement;
  std::vector<v1::AgreementVersion> versions;
  int64_t position = 0;
  std::string current_id;
  auto flush = [&] {
    if (current_id.empty()) return;
    for (const auto& v : versions)
      if (v.version() == std::stoi(agreement.etag())) *agreement.mutable_current() = v;
    emit(agreement, versions, position);
    agreement.Clear();
    versions.clear();
  };
  for (const auto& r : rows) {
    const auto case_id = r[0].as<std::string>();
    const auto id = r[1].as<std::string>();
    if (id != current_id) {
      flush();
      current_id = id;
      agreement.set_name("cases/" + case_id + "/agreements/" + id);
      agreement.set_etag(std::to_string(r[2].as<int>()));
      agreement.set_status(static_cast<v1::AgreementStatus>(r[3].as<int>()));
      agreement.set_end_reason(r[4].as<std::string>());
      SetTime(agreement.mutable_create_time(), r[5].as<int64_t>());
      SetTime(agreement.mutable_update_time(), r[6].as<int64_t>());
      position = r[26].as<int64_t>();
    }
    const int number = r[7].as<int>();
    if (versions.empty() || versions.back().version() != number) {
      auto& v = versions.emplace_back();
      v.set_version(number);
      auto& c = *v.mutable_content();
      c.set_text(r[8].as<std::string>());
      for (const auto& goal : SplitList(r[9].as<std::string>())) c.add_goals("cases/" + case_id + "/goals/" + goal);
      for (const auto& p : SplitList(r[10].as<std::string>())) *c.add_performers() = PartyOf(case_id, p);
      c.set_schedule(r[11].as<std::string>());
      if (!r[12].is_null()) SetDate(c.mutable_start_date(), r[12].as<std::string>());
      if (!r[13].is_null()) SetDate(c.mutable_end_date(), r[13].as<std::string>());
      if (!r[14].is_null()) SetDate(c.mutable_consultation_date(), r[14].as<std::string>());
      v.set_proposed_by(r[15].as<std::string>());
      v.set_proposed_by_organization(OrganizationName(r[16].as<std::string>()));
      SetTime(v.mutable_propose_time(), r[17].as<int64_t>());
      v.set_status(number == r[2].as<int>() ? agreement.status() : v1::AGREEMENT_STATUS_SUPERSEDED);
    }
    auto& v = versions.back();
    const auto party = r[18].as<std::string>();
    *v.mutable_content()->add_required_parties() = PartyOf(case_id, party);
    auto& a = *v.add_answers();
    *a.mutable_party() = PartyOf(case_id, party);
    if (!r[19].is_null()) a.set_answer(static_cast<v1::Answer>(r[19].as<int>()));
    a.set_comment(r[20].as<std::string>());
    a.set_answered_by(r[21].as<std::string>());
    a.set_answered_by_organization(OrganizationName(r[22].as<std::string>()));
    if (!r[23].is_null()) SetTime(a.mutable_answer_time(), r[23].as<int64_t>());
    a.set_withdrawn(r[24].as<bool>());
    a.set_withdrawal_reason(r[25].as<std::string>());
  }
  flush();
}

template <class Response>
std::optional<int64_t> ReadAgreementPage(const pqxx::result& rows, int limit, Response& out) {
  int count = 0;
  int64_t last = 0;
  bool more = false;
  ReadRows(rows, [&](const v1::Agreement& a, const std::vector<v1::AgreementVersion>&, int64_t position) {
    if (count == limit) {
      more = true;
      return;
    }
    *out.add_agreements() = a;
    last = position;
    ++count;
  });
  if (more) return last;
  return std::nullopt;
}

int64_t ReadLogEntry(const pqxx::row& r, v1::AgreementLogEntry& e) {
  e.set_sequence(r[0].as<int64_t>());
  e.set_kind(static_cast<v1::EventKind>(r[1].as<int>()));
  e.set_agreement("cases/" + r[2].as<std::string>() + "/agreements/" + r[3].as<std::string>());
  e.set_version(r[4].as<int>());
  SetTime(e.mutable_event_time(), r[5].as<int64_t>());
  e.set_canonical(r[6].as<std::string>());
  e.set_previous_hash(r[7].as<std::string>());
  e.set_hash(r[8].as<std::string>());
  return r[9].as<int64_t>();
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

ChainHead LockChain(pqxx::work& tx, const std::string& case_id) {
  tx.exec_prepared("agreements.case_order_lock", case_id);  // before any write (common/history_order.h)
  const auto row = tx.exec_prepared1("agreements.chain_lock", case_id);
  ChainHead head{row[0].as<int64_t>(), row[1].as<std::string>()};
  const auto entry = tx.exec_prepared("agreements.head_entry", case_id, head.last_sequence);
  const bool head_entry_matches =
      head.last_sequence == 0 ? entry.empty() : !entry.empty() && entry[0][0].as<std::string>() == head.last_hash;
  if (!head_entry_matches) {
    // No case id here (logs carry no personal data): the call's request id leads to the case in
    // the access log, where the write decision was recorded.
    spdlog::error("agreement_log_broken stored_head_sequence={}: the entry at the head is missing or differs; "
                  "no change is recorded until it is repaired (VerifyAgreementLog)",
                  head.last_sequence);
    ProcessMetrics().CountBrokenAgreementLog();
    throw Error(grpc::StatusCode::DATA_LOSS, "AGREEMENT_LOG_BROKEN",
                "this case's agreement log does not end where it should; no change can be recorded until an "
                "operator repairs it");
  }
  return head;
}

Verification VerifyChain(pqxx::connection& conn, const std::string& case_id,
                         const std::optional<ChainHead>& kept_head) {
  constexpr int kPage = 1000;  // entries held at a time
  // One snapshot: an append committed between two reads would otherwise look like a broken chain.
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(conn);
  ChainHead stored;
  const auto head = tx.exec_prepared("agreements.chain_head", case_id);
  if (!head.empty()) stored = {head[0][0].as<int64_t>(), head[0][1].as<std::string>()};
  ChainVerifier verifier(kept_head);
  for (int64_t after = 0;;) {
    const auto page = tx.exec_prepared("agreements.log_page", case_id, after, kPage);
    bool intact = true;
    for (const auto& r : page) {
      intact = verifier.Add({r[0].as<int64_t>(), r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>()});
      if (!intact) break;
      after = r[0].as<int64_t>();
    }
    if (!intact || static_cast<int>(page.size()) < kPage) break;
  }
  tx.commit();
  return verifier.Finish(stored);
}

std::optional<AgreementState> StateOf(pqxx::transaction_base& tx, const std::string& case_id,
                                      const std::string& agreement_id) {
  const auto rows = tx.exec_prepared("agreements.state", case_id, agreement_id);
  if (rows.empty()) return std::nullopt;
  AgreementState s{rows[0][0].as<int>(), static_cast<v1::AgreementStatus>(rows[0][1].as<int>()), {}};
  for (const auto& r : rows)
    s.parties.push_back({r[2].as<std::string>(), r[3].is_null() ? v1::ANSWER_UNSPECIFIED
                                                                 : static_cast<v1::Answer>(r[3].as<int>())});
  return s;
}

std::optional<std::string> AgreementByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                              const std::string& request_id) {
  const auto rows = tx.exec_prepared("agreements.by_request", case_id, request_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::string InsertAgreement(pqxx::work& tx, const std::string& case_id, const std::optional<std::string>& request_id) {
  return tx.exec_prepared1("agreements.insert", case_id, request_id)[0].as<std::string>();
}

void AddVersion(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                const Content& c, const Actor& actor, const std::string& time) {
  tx.exec_prepared0("agreements.version_add", case_id, agreement_id, version, c.text, ArrayLiteral(c.goal_ids),
                    ArrayLiteral(c.performers), c.schedule, c.start_date, c.end_date, c.consultation_date,
                    actor.person, actor.org, time, ArrayLiteral(c.parties));
}

void RecordAnswer(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                  const std::string& party, v1::Answer answer, const std::string& comment, const Actor& actor,
                  const std::string& time, v1::AgreementStatus status) {
  tx.exec_prepared0("agreements.answer", case_id, agreement_id, version, party, static_cast<int>(answer), comment,
                    actor.person, actor.org, time, static_cast<int>(status));
}

void RecordWithdrawal(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                      const std::string& party, const std::string& reason, const Actor& actor,
                      const std::string& time, v1::AgreementStatus status) {
  tx.exec_prepared0("agreements.withdraw", case_id, agreement_id, version, party, reason, actor.person, actor.org,
                    time, static_cast<int>(status));
}

void EndAgreement(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id,
                  const std::string& reason) {
  tx.exec_prepared0("agreements.end", case_id, agreement_id, reason);
}

void AppendLog(pqxx::work& tx, const std::string& case_id, const ChainHead& head, v1::EventKind kind,
               const std::string& agreement_id, int version, const std::string& time, const std::string& canonical,
               const std::string& hash) {
  tx.exec_prepared0("agreements.log_append", case_id, head.last_sequence + 1, static_cast<int>(kind), agreement_id,
                    version, time, canonical, head.last_hash, hash);
}

bool ReadAgreement(pqxx::transaction_base& tx, const std::string& case_id, const std::string& agreement_id,
                   v1::Agreement& out) {
  bool found = false;
  ReadRows(tx.exec_prepared("agreements.get", case_id, agreement_id),
           [&](const v1::Agreement& a, const std::vector<v1::AgreementVersion>&, int64_t) {
             out = a;
             found = true;
           });
  return found;
}

std::vector<v1::AgreementVersion> ReadVersions(pqxx::connection& conn, const std::string& case_id,
                                               const std::string& agreement_id) {
  pqxx::nontransaction tx(conn);
  std::vector<v1::AgreementVersion> out;
  ReadRows(tx.exec_prepared("agreements.versions", case_id, agreement_id),
           [&](const v1::Agreement&, const std::vector<v1::AgreementVersion>& versions, int64_t) { out = versions; });
  return out;
}

std::optional<int64_t> ListAgreements(pqxx::connection& conn, const std::string& case_id, std::optional<int> status,
                                      int64_t after, int limit, v1::ListAgreementsResponse& out) {
  pqxx::nontransaction tx(conn);
  return ReadAgreementPage(tx.exec_prepared("agreements.list", case_id, status, after, limit + 1), limit, out);
}

std::optional<int64_t> ListAwaiting(pqxx::connection& conn, const std::string& org_id, int64_t after, int limit,
                                    v1::ListAgreementsResponse& out) {
  pqxx::nontransaction tx(conn);
  return ReadAgreementPage(tx.exec_prepared("agreements.awaiting", org_id, after, limit + 1), limit, out);
}

std::optional<int64_t> ListLog(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                               v1::ListAgreementLogResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("agreements.log_page", case_id, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    auto& e = *out.add_entries();
    ReadLogEntry(r, e);
    return e.sequence();
  });
}

int64_t CommitHorizon(pqxx::transaction_base& tx) {
  return tx.exec_prepared1("agreements.commit_horizon")[0].as<int64_t>();
}

std::vector<LogChange> ReadChanges(pqxx::transaction_base& tx, const std::vector<std::string>& case_ids,
                                   Position2 from, int64_t horizon, int limit) {
  std::vector<LogChange> changes;
  for (const auto& r : tx.exec_prepared("agreements.changes", ArrayLiteral(case_ids), from.after, from.then, horizon,
                                        limit)) {
    auto& change = changes.emplace_back();
    const int64_t position = ReadLogEntry(r, change.entry);
    change.position = {r[10].as<int64_t>(), position};
  }
  return changes;
}

ChangesPage ListChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids, Position2 from, int limit,
                        v1::ListAgreementChangesResponse& out) {
  // One snapshot for the horizon and the entries: every transaction below the horizon ended
  // before the snapshot was taken, so the page sees all of its entries.
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(conn);
  const int64_t horizon = CommitHorizon(tx);
  auto changes = ReadChanges(tx, case_ids, from, horizon, limit + 1);
  tx.commit();
  ChangesPage page{from, static_cast<int>(changes.size()) > limit};
  if (page.more) changes.pop_back();
  for (auto& change : changes) {
    page.next = change.position;
    *out.add_entries() = std::move(change.entry);
  }
  // Everything below the horizon is read: continue there (a cursor never moves back).
  if (!page.more && horizon > page.next.after) page.next = {horizon, 0};
  return page;
}

}  // namespace kp::agreements
