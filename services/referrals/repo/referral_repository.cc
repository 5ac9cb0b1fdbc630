#include "referrals/repo/referral_repository.h"

#include <map>

#include "common/calendar.h"
#include "common/history_order.h"
#include "common/idempotency.h"
#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::referrals {

namespace {

#define REFERRAL_COLUMNS                                                                                    \
  "case_id, referral_id, referring_org, referring_person, receiving_org, service_id, kind, question, "      \
  "life_domain, array_to_string(goals, ','), shared_categories, proposed_mandate, answer_days, "             \
  "due_date::text, status, outcome, status_reason, on_hold, participant_id, " KP_MICROS("create_time") ", " \
  KP_MICROS("update_time") ", version, position, client_age_group"

// The change a statement's referral row `r` records, by $by_org and $by_person with $reason.
#define RECORD_CHANGE(by_org, by_person, reason)                                                             \
  "INSERT INTO referrals.changes (case_id, referral_id, revision, status, outcome, on_hold, reason, due_date, " \
  "by_org, by_person) SELECT case_id, referral_id, version, status, outcome, on_hold, " reason ", due_date, "    \
  by_org ", " by_person " FROM r"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("referrals"),
    {"referrals.insert",
     "WITH r AS (INSERT INTO referrals.referrals (case_id, referring_org, referring_person, receiving_org, "
     "service_id, kind, question, life_domain, goals, shared_categories, proposed_mandate, answer_days, due_date, "
     "request_id, client_postal_code, client_age_group) VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6, $7, $8, $9::uuid[], "
     "$10, $11, $12, $13::date, $14::uuid, $15, $16) "
     "ON CONFLICT ON CONSTRAINT uniq_referral_request DO NOTHING RETURNING *), "
     "c AS (" RECORD_CHANGE("$2", "$3", "''") ") SELECT " REFERRAL_COLUMNS " FROM r"},
    {"referrals.by_request",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE case_id = $1::uuid AND referring_org = $2 "
     "AND request_id = $3::uuid"},
    {"referrals.get",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE case_id = $1::uuid AND referral_id = $2::uuid"},
    {"referrals.get_for_update",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE case_id = $1::uuid AND referral_id = $2::uuid "
     "FOR UPDATE"},
    {"referrals.change",
     "WITH r AS (UPDATE referrals.referrals SET status = $4, outcome = $5, on_hold = $6, status_reason = "
     "CASE WHEN status <> $4 THEN $7 ELSE status_reason END, due_date = $8::date, "
     "participant_id = coalesce($9::uuid, participant_id), ever_waitlisted = ever_waitlisted OR $4 = 3, "
     "version = version + 1, update_time = now() "
     "WHERE case_id = $1::uuid AND referral_id = $2::uuid AND version = $3 RETURNING *), "
     "c AS (" RECORD_CHANGE("$10", "$11", "$7") ") SELECT " REFERRAL_COLUMNS " FROM r"},
    {"referrals.list_case",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE case_id = $1::uuid AND position > $2 "
     "ORDER BY position LIMIT $3"},
    {"referrals.list_incoming",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE receiving_org = $1 AND position > $2 "
     "ORDER BY position LIMIT $3"},
    {"referrals.list_incoming_open",
     "SELECT " REFERRAL_COLUMNS " FROM referrals.referrals WHERE receiving_org = $1 AND position > $2 "
     "AND status IN (1, 2, 3, 5) ORDER BY position LIMIT $3"},
    {"referrals.unmet_need_insert",
     "INSERT INTO referrals.unmet_needs (case_id, life_domain, client_postal_code, client_age_group, by_org, by_person) "
     "VALUES ($1::uuid, $2, $3, $4, $5, $6) RETURNING need_id, " KP_MICROS("create_time")},
    // A zone's demand per cell in a period: its referrals sent then (those sent before the demand
    // was recorded have no age group and are left out) and its unmet needs recorded then, from the
    // two indexes alone.
    {"referrals.count_demand",
     "SELECT life_domain, age_group, sum(referrals)::int, sum(rejected)::int, sum(waitlisted)::int, "
     "sum(no_service)::int FROM ("
     "SELECT life_domain, client_age_group AS age_group, count(*) AS referrals, "
     "count(*) FILTER (WHERE status = 4) AS rejected, count(*) FILTER (WHERE ever_waitlisted) AS waitlisted, "
     "0 AS no_service FROM referrals.referrals WHERE client_postal_code = ANY ($1::text[]) "
     "AND create_time >= " KP_FROM_MICROS("$2") " AND create_time < " KP_FROM_MICROS("$3") " "
     "AND client_age_group > 0 GROUP BY 1, 2 UNION ALL "
     "SELECT life_domain, client_age_group, count(*), 0, 0, count(*) FROM referrals.unmet_needs "
     "WHERE client_postal_code = ANY ($1::text[]) "
     "AND create_time >= " KP_FROM_MICROS("$2") " AND create_time < " KP_FROM_MICROS("$3") " "
     "GROUP BY 1, 2) counted GROUP BY 1, 2"},
    {"referrals.case_order_lock", KP_CASE_HISTORY_ORDER_LOCK},
    // The change feed's read: per case, its changes after the position and below the horizon, in
    // commit order (one referral changes per transaction, so its revision orders them there).
    {"referrals.changes_after",
     "SELECT c.case_id::text, c.referral_id::text, c.transaction_id::text::bigint, c.revision, c.status, c.outcome, "
     "c.on_hold, c.reason, c.due_date::text, c.by_org, c.by_person, " KP_MICROS("c.change_time") " "
     "FROM unnest($1::uuid[]) AS wanted(case_id) "
     "CROSS JOIN LATERAL (SELECT * FROM referrals.changes x WHERE x.case_id = wanted.case_id "
     "  AND (x.transaction_id, x.revision) > ($2::text::xid8, $3) AND x.transaction_id < $4::text::xid8 "
     "  ORDER BY x.transaction_id, x.revision LIMIT $5) c "
     "ORDER BY c.transaction_id, c.revision LIMIT $5"},
    // The changes of the referrals an organisation receives, in commit order: those whose last change
    // is at or after the cursor's transaction (referrals/0004), then each one's changes after it.
    {"referrals.changes_received_after",
     "SELECT c.case_id::text, c.referral_id::text, c.transaction_id::text::bigint, c.revision, c.status, c.outcome, "
     "c.on_hold, c.reason, c.due_date::text, c.by_org, c.by_person, " KP_MICROS("c.change_time") ", r.shared_categories "
     "FROM referrals.referrals r "
     "CROSS JOIN LATERAL (SELECT * FROM referrals.changes x WHERE x.case_id = r.case_id AND x.referral_id = r.referral_id "
     "  AND (x.transaction_id, x.revision) > ($2::text::xid8, $3) AND x.transaction_id < $4::text::xid8 "
     "  ORDER BY x.transaction_id, x.revision LIMIT $5) c "
     "WHERE r.receiving_org = $1 AND r.last_transaction >= $2::text::xid8 "
     "ORDER BY c.transaction_id, c.revision LIMIT $5"},
    {"referrals.changes",
     "SELECT revision, status, outcome, on_hold, reason, due_date::text, by_org, by_person, "
     KP_MICROS("change_time") " FROM referrals.changes WHERE case_id = $1::uuid AND referral_id = $2::uuid "
     "AND revision > $3 ORDER BY revision LIMIT $4"},
};

std::vector<int> Bits(int32_t set) {
  std::vector<int> values;
  for (int n = 1; n < 31; ++n)
    if (set & (int32_t{1} << n)) values.push_back(n);
  return values;
}

int32_t BitSet(const std::vector<int>& values) {
  int32_t set = 0;
  for (int n : values) set |= int32_t{1} << n;
  return set;
}

// A change's columns from `first` on: status, outcome, on_hold, reason, due_date, by_org,
// by_person, change_time.
void ReadChange(const pqxx::row& row, int first, v1::ReferralChange& c) {
  c.set_status(static_cast<v1::ReferralStatus>(row[first].as<int>()));
  c.set_outcome(static_cast<v1::ReferralOutcome>(row[first + 1].as<int>()));
  c.set_on_hold(row[first + 2].as<bool>());
  c.set_reason(row[first + 3].as<std::string>());
  SetDate(c.mutable_due_date(), row[first + 4].as<std::string>());
  c.set_organization(OrganizationName(row[first + 5].as<std::string>()));
  c.set_person(row[first + 6].as<std::string>());
  SetTime(c.mutable_time(), row[first + 7].as<int64_t>());
}

int64_t Read(const pqxx::row& row, std::chrono::year_month_day today, StoredReferral& out) {
  auto& r = out.referral;
  out.case_id = row[0].as<std::string>();
  out.referral_id = row[1].as<std::string>();
  r.set_name("cases/" + out.case_id + "/referrals/" + out.referral_id);
  out.referring_org = row[2].as<std::string>();
  r.set_referring_organization(OrganizationName(out.referring_org));
  r.set_referring_person(row[3].as<std::string>());
  out.receiving_org = row[4].as<std::string>();
  r.set_receiving_organization(OrganizationName(out.receiving_org));
  if (!row[5].is_null()) r.set_service(OrganizationName(out.receiving_org) + "/services/" + row[5].as<std::string>());
  r.set_kind(static_cast<v1::ReferralKind>(row[6].as<int>()));
  r.set_question(row[7].as<std::string>());
  out.life_domain = row[8].as<int>();
  r.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(out.life_domain));
  for (const auto& goal : SplitList(row[9].as<std::string>())) r.add_goals("cases/" + out.case_id + "/goals/" + goal);
  out.shared_categories = Bits(row[10].as<int32_t>());
  for (int c : out.shared_categories) r.add_shared_categories(static_cast<kruispunt::consent::v1::DataCategory>(c));
  out.proposed_mandate = Bits(row[11].as<int32_t>());
  for (int p : out.proposed_mandate) r.add_proposed_mandate(static_cast<kruispunt::team::v1::Permission>(p));
  out.answer_days = row[12].as<int>();
  r.set_answer_within_working_days(out.answer_days);
  out.due_iso = row[13].as<std::string>();
  SetDate(r.mutable_due_date(), out.due_iso);
  out.standing = {static_cast<Status>(row[14].as<int>()), static_cast<Outcome>(row[15].as<int>()), row[17].as<bool>()};
  r.set_status(static_cast<v1::ReferralStatus>(out.standing.status));
  r.set_outcome(static_cast<v1::ReferralOutcome>(out.standing.outcome));
  r.set_status_reason(row[16].as<std::string>());
  r.set_on_hold(out.standing.on_hold);
  r.set_overdue(IsOverdue(out.standing, out.due_iso, IsoText(today)));
  if (!row[18].is_null()) r.set_participant("cases/" + out.case_id + "/participants/" + row[18].as<std::string>());
  SetTime(r.mutable_create_time(), row[19].as<int64_t>());
  SetTime(r.mutable_update_time(), row[20].as<int64_t>());
  out.version = row[21].as<int>();
  r.set_etag(std::to_string(out.version));
  // The client's postal code is never read back: it is the client's address (referrals.proto).
  r.set_client_age_group(static_cast<kruispunt::socialmap::v1::AgeGroup>(row[23].as<int>()));
  return row[22].as<int64_t>();
}

std::optional<int64_t> ReadList(const pqxx::result& rows, int limit, std::chrono::year_month_day today,
                                std::vector<StoredReferral>& out) {
  return ReadPage(rows, limit, [&](const pqxx::row& row) { return Read(row, today, out.emplace_back()); });
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

StoredReferral InsertReferral(pqxx::transaction_base& tx, const NewReferral& n, const Actor& by,
                              const std::string& due_iso, std::chrono::year_month_day today) {
  auto rows = tx.exec_prepared("referrals.insert", n.case_id, by.org, by.person, n.receiving_org, n.service_id, n.kind,
                               n.question, n.life_domain, ArrayLiteral(n.goal_ids), BitSet(n.shared_categories),
                               n.proposed_mandate, n.answer_days, due_iso, n.request_id, n.client_postal_code,
                               n.client_age_group);
  if (rows.empty()) rows = tx.exec_prepared("referrals.by_request", n.case_id, by.org, n.request_id);
  StoredReferral out;
  Read(rows.at(0), today, out);
  return out;
}

std::optional<StoredReferral> GetReferral(pqxx::transaction_base& tx, const std::string& case_id,
                                          const std::string& referral_id, std::chrono::year_month_day today,
                                          bool for_update) {
  const auto rows = tx.exec_prepared(for_update ? "referrals.get_for_update" : "referrals.get", case_id, referral_id);
  if (rows.empty()) return std::nullopt;
  StoredReferral out;
  Read(rows[0], today, out);
  return out;
}

StoredReferral ChangeReferral(pqxx::transaction_base& tx, const StoredReferral& current, const Standing& next,
                              const std::string& reason, const std::string& due_iso,
                              const std::optional<std::string>& participant_id, const Actor& by,
                              std::chrono::year_month_day today) {
  const auto row = tx.exec_prepared1("referrals.change", current.case_id, current.referral_id, current.version,
                                     static_cast<int>(next.status), static_cast<int>(next.outcome), next.on_hold, reason,
                                     due_iso, participant_id, by.org, by.person);
  StoredReferral out;
  Read(row, today, out);
  return out;
}

std::optional<int64_t> ListCaseReferrals(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                                         std::chrono::year_month_day today, std::vector<StoredReferral>& out) {
  pqxx::nontransaction tx(conn);
  return ReadList(tx.exec_prepared("referrals.list_case", case_id, after, limit + 1), limit, today, out);
}

std::optional<int64_t> ListIncomingReferrals(pqxx::connection& conn, const std::string& org_id, bool open_only,
                                             int64_t after, int limit, std::chrono::year_month_day today,
                                             std::vector<StoredReferral>& out) {
  pqxx::nontransaction tx(conn);
  return ReadList(tx.exec_prepared(open_only ? "referrals.list_incoming_open" : "referrals.list_incoming", org_id,
                                   after, limit + 1),
                  limit, today, out);
}

void InsertUnmetNeed(pqxx::connection& conn, const NewUnmetNeed& n, const Actor& by, v1::UnmetNeed& out) {
  pqxx::nontransaction tx(conn);
  const auto row = tx.exec_prepared1("referrals.unmet_need_insert", n.case_id, n.life_domain, n.client_postal_code,
                                     n.client_age_group, by.org, by.person);
  out.set_name("cases/" + n.case_id + "/unmetNeeds/" + row[0].as<std::string>());
  out.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(n.life_domain));
  out.set_client_age_group(static_cast<kruispunt::socialmap::v1::AgeGroup>(n.client_age_group));
  out.set_organization(OrganizationName(by.org));
  out.set_person(by.person);
  SetTime(out.mutable_create_time(), row[1].as<int64_t>());
}

void CountDemand(pqxx::connection& conn, const DemandQuery& query, v1::CountReferralDemandResponse& out) {
  // Planned for its period, unlike the other statements (common/db_pool.cc): the generic plan
  // guesses that a period holds 0.5 % of a zone's referrals and sorts them all instead of hashing
  // them, on disk at 100,000 (bench/socialmap.sh: twice the time).
  pqxx::read_transaction tx(conn);
  tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
  for (const auto& row : tx.exec_prepared("referrals.count_demand", ArrayLiteral(query.postal_codes),
                                          query.start_micros, query.end_micros)) {
    auto& c = *out.add_counts();
    c.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(row[0].as<int>()));
    c.set_age_group(static_cast<kruispunt::socialmap::v1::AgeGroup>(row[1].as<int>()));
    c.set_referrals(row[2].as<int>());
    c.set_rejected(row[3].as<int>());
    c.set_waitlisted(row[4].as<int>());
    c.set_no_service(row[5].as<int>());
  }
  tx.commit();
}

void LockCaseHistory(pqxx::transaction_base& tx, const std::string& case_id) {
  tx.exec_prepared("referrals.case_order_lock", case_id);
}

void ReadChangesAfter(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                      const std::optional<std::string>& received_by, int64_t after_transaction, int64_t after_revision,
                      int64_t horizon, int limit, v1::ReadReferralChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  // (transaction, revision) -> the change: one referral changes per transaction, so the position
  // names one change, which both reads may give.
  std::map<std::pair<int64_t, int64_t>, v1::ReferralChangeAt> merged;
  const auto add = [&](const pqxx::row& r, bool received) {
    const std::pair<int64_t, int64_t> at{r[2].as<int64_t>(), r[3].as<int64_t>()};
    auto& change = merged[at];
    if (received)
      for (int c : Bits(r[12].as<int32_t>()))
        change.add_received_categories(static_cast<kruispunt::consent::v1::DataCategory>(c));
    if (!change.case_().empty()) return;
    const auto case_id = r[0].as<std::string>();
    change.set_case_("cases/" + case_id);
    change.set_referral("cases/" + case_id + "/referrals/" + r[1].as<std::string>());
    change.mutable_position()->set_transaction(at.first);
    change.mutable_position()->set_position(at.second);
    ReadChange(r, 4, *change.mutable_change());
  };
  if (!case_ids.empty())
    for (const auto& r : tx.exec_prepared("referrals.changes_after", ArrayLiteral(case_ids), after_transaction,
                                          after_revision, horizon, limit))
      add(r, false);
  if (received_by)
    for (const auto& r : tx.exec_prepared("referrals.changes_received_after", *received_by, after_transaction,
                                          after_revision, horizon, limit))
      add(r, true);
  // Each read gave its first `limit`: the first `limit` of both together are complete.
  for (auto& [at, change] : merged) {
    if (out.changes_size() == limit) break;
    *out.add_changes() = std::move(change);
  }
}

std::optional<int64_t> ListReferralChanges(pqxx::connection& conn, const std::string& case_id,
                                           const std::string& referral_id, int64_t after, int limit,
                                           v1::ListReferralChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("referrals.changes", case_id, referral_id, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& row) {
    ReadChange(row, 1, *out.add_changes());
    return row[0].as<int64_t>();
  });
}

}  // namespace kp::referrals
