#include "consent/repo/consent_repository.h"

#include "common/history_order.h"
#include "common/idempotency.h"
#include "common/pg_values.h"

namespace kp::consent {

namespace {

#define CONSENT_STATE                                                                   \
  "CASE WHEN w.consent_id IS NOT NULL THEN 3 WHEN c.valid_until <= now() THEN 4 "       \
  "WHEN c.valid_from > now() THEN 2 ELSE 1 END"

#define CONSENT_COLUMNS                                                                            \
  "c.case_id, c.consent_id, c.granted_by, c.grantor_role, array_to_string(c.recipient_orgs, ','), " \
  "array_to_string(c.recipient_participants, ','), c.categories, c.purpose, "                      \
  KP_MICROS("c.valid_from") ", " KP_MICROS("c.valid_until") ", c.method, c.evidence_reference, "   \
  "c.verified_by, c.verification_note, c.legal_basis, " CONSENT_STATE ", c.recorded_by_org, "      \
  KP_MICROS("c.create_time") ", " KP_MICROS("w.withdraw_time") ", w.withdrawn_by, "                \
  "COALESCE(w.reason, ''), c.event_seq"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("consent"),
    {"consent.case_order_lock", KP_CASE_HISTORY_ORDER_LOCK},
    {"consent.insert",
     "WITH c AS (INSERT INTO consent.consents (case_id, granted_by, grantor_role, recipient_orgs, "
     "           recipient_participants, categories, purpose, valid_from, valid_until, method, "
     "           evidence_reference, verified_by, verification_note, legal_basis, recorded_by_org, request_id) "
     "           VALUES ($1::uuid, $2::uuid, $3, $4::text[], $5::uuid[], $6, $7, "
     "           COALESCE(to_timestamp($8::double precision / 1e6), now()), to_timestamp($9::double precision / 1e6), "
     "           $10, $11, $12, $13, $14, $15, $16::uuid) "
     "           ON CONFLICT (case_id, request_id) DO NOTHING RETURNING *) "
     "SELECT " CONSENT_COLUMNS " FROM c LEFT JOIN consent.withdrawals w USING (case_id, consent_id)"},
    {"consent.by_request",
     "SELECT " CONSENT_COLUMNS " FROM consent.consents c LEFT JOIN consent.withdrawals w USING (case_id, consent_id) "
     "WHERE c.case_id = $1::uuid AND c.request_id = $2::uuid"},
    {"consent.get",
     "SELECT " CONSENT_COLUMNS " FROM consent.consents c LEFT JOIN consent.withdrawals w USING (case_id, consent_id) "
     "WHERE c.case_id = $1::uuid AND c.consent_id = $2::uuid"},
    {"consent.grantor",
     "SELECT granted_by::text FROM consent.consents WHERE case_id = $1::uuid AND consent_id = $2::uuid"},
    {"consent.list",
     "SELECT " CONSENT_COLUMNS " FROM consent.consents c LEFT JOIN consent.withdrawals w USING (case_id, consent_id) "
     "WHERE c.case_id = $1::uuid AND c.event_seq > $2 AND ($3::smallint IS NULL OR " CONSENT_STATE " = $3) "
     "ORDER BY c.event_seq LIMIT $4"},
    {"consent.withdraw",
     "INSERT INTO consent.withdrawals (case_id, consent_id, withdrawn_by, reason, recorded_by_person, recorded_by_org) "
     "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6) ON CONFLICT DO NOTHING"},
    {"consent.events",
     "SELECT * FROM ("
     "  SELECT consent_id::text, 1 AS kind, granted_by::text, verified_by, recorded_by_org, '' AS reason, "
     KP_MICROS("create_time") " AS at, event_seq FROM consent.consents WHERE case_id = $1::uuid AND event_seq > $2 "
     "  UNION ALL "
     "  SELECT consent_id::text, 2, withdrawn_by::text, recorded_by_person, recorded_by_org, reason, "
     KP_MICROS("withdraw_time") ", event_seq FROM consent.withdrawals WHERE case_id = $1::uuid AND event_seq > $2"
     "  UNION ALL "
     "  SELECT consent_id::text, 3, '', '', '', 'validity period ended', " KP_MICROS("expire_time") ", event_seq "
     "  FROM consent.expiries WHERE case_id = $1::uuid AND event_seq > $2"
     ") e ORDER BY event_seq LIMIT $3"},
    // The change feed's read: the events of these cases after (transaction, event_seq) and below
    // the horizon, in commit order; each case's grants and withdrawals through their commit indexes.
    {"consent.events_after",
     "SELECT e.consent_id::text, e.kind, e.participant::text, e.person, e.org, e.reason, e.at, e.event_seq, "
     "e.case_id::text, e.transaction_id::text::bigint, array_to_string(k.recipient_orgs, ',') "
     "FROM unnest($1::uuid[]) AS wanted(case_id) CROSS JOIN LATERAL ("
     "  (SELECT c.case_id, c.consent_id, 1 AS kind, c.granted_by AS participant, c.verified_by AS person, "
     "          c.recorded_by_org AS org, '' AS reason, " KP_MICROS("c.create_time") " AS at, c.event_seq, c.transaction_id "
     "   FROM consent.consents c WHERE c.case_id = wanted.case_id "
     "   AND (c.transaction_id, c.event_seq) > ($2::text::xid8, $3) AND c.transaction_id < $4::text::xid8 "
     "   ORDER BY c.transaction_id, c.event_seq LIMIT $5) "
     "  UNION ALL "
     "  (SELECT w.case_id, w.consent_id, 2, w.withdrawn_by, w.recorded_by_person, w.recorded_by_org, w.reason, "
     KP_MICROS("w.withdraw_time") ", w.event_seq, w.transaction_id "
     "   FROM consent.withdrawals w WHERE w.case_id = wanted.case_id "
     "   AND (w.transaction_id, w.event_seq) > ($2::text::xid8, $3) AND w.transaction_id < $4::text::xid8 "
     "   ORDER BY w.transaction_id, w.event_seq LIMIT $5) "
     "  UNION ALL "
     "  (SELECT x.case_id, x.consent_id, 3, NULL::uuid, '', '', 'validity period ended', " KP_MICROS("x.expire_time") ", "
     "          x.event_seq, x.transaction_id "
     "   FROM consent.expiries x WHERE x.case_id = wanted.case_id "
     "   AND (x.transaction_id, x.event_seq) > ($2::text::xid8, $3) AND x.transaction_id < $4::text::xid8 "
     "   ORDER BY x.transaction_id, x.event_seq LIMIT $5)) e "
     "JOIN consent.consents k ON k.case_id = e.case_id AND k.consent_id = e.consent_id "
     "ORDER BY e.transaction_id, e.event_seq LIMIT $5"},
    // The consents whose period ended (in the last $1 days: an older end is told to nobody) and
    // that are not recorded as expired or withdrawn yet, the oldest first.
    {"consent.due_expiries",
     "SELECT c.case_id::text, c.consent_id::text FROM consent.consents c "
     "WHERE c.valid_until <= now() AND c.valid_until > now() - make_interval(days => $1) "
     "AND NOT EXISTS (SELECT FROM consent.expiries x WHERE x.case_id = c.case_id AND x.consent_id = c.consent_id) "
     "AND NOT EXISTS (SELECT FROM consent.withdrawals w WHERE w.case_id = c.case_id AND w.consent_id = c.consent_id) "
     "ORDER BY c.valid_until LIMIT $2"},
    // Run after the case's history lock: a withdrawal committed meanwhile is seen, and wins.
    {"consent.expiry_insert",
     "INSERT INTO consent.expiries (case_id, consent_id, expire_time) "
     "SELECT c.case_id, c.consent_id, c.valid_until FROM consent.consents c "
     "WHERE c.case_id = $1::uuid AND c.consent_id = $2::uuid AND c.valid_until <= now() "
     "AND NOT EXISTS (SELECT FROM consent.withdrawals w WHERE w.case_id = c.case_id AND w.consent_id = c.consent_id) "
     "ON CONFLICT DO NOTHING"},
    // Per case, what is in force now; the C++ decision filters by organisation, data and purpose.
    // Each case's consents are read through the primary key; OFFSET 0 keeps the planner from
    // turning this into a scan of every consent (the generic plan did).
    {"consent.in_force",
     "SELECT q.case_id::text, c.consent_id::text, array_to_string(c.recipient_orgs, ','), "
     "array_to_string(c.recipient_participants, ','), c.categories, c.purpose "
     "FROM unnest($1::uuid[]) AS q(case_id) "
     "CROSS JOIN LATERAL (SELECT * FROM consent.consents k WHERE k.case_id = q.case_id "
     "  AND k.valid_from <= now() AND (k.valid_until IS NULL OR k.valid_until > now()) "
     "  AND NOT EXISTS (SELECT 1 FROM consent.withdrawals w WHERE w.case_id = k.case_id AND w.consent_id = k.consent_id) "
     "  OFFSET 0) c"},
};

int64_t ReadConsent(const pqxx::row& r, v1::Consent& out) {
  const std::string case_name = "cases/" + r[0].as<std::string>();
  out.set_name(case_name + "/consents/" + r[1].as<std::string>());
  out.set_granted_by(case_name + "/participants/" + r[2].as<std::string>());
  out.set_grantor_role(static_cast<kruispunt::team::v1::ParticipantRole>(r[3].as<int>()));
  for (const auto& org : SplitList(r[4].as<std::string>())) out.add_recipient_organizations("organizations/" + org);
  for (const auto& p : SplitList(r[5].as<std::string>())) out.add_recipient_participants(case_name + "/participants/" + p);
  const auto categories = r[6].as<int32_t>();
  for (int c = 1; c <= 8; ++c)
    if (categories & (1 << c)) out.add_categories(static_cast<v1::DataCategory>(c));
  out.set_purpose(static_cast<v1::Purpose>(r[7].as<int>()));
  SetTime(out.mutable_valid_from(), r[8].as<int64_t>());
  if (!r[9].is_null()) SetTime(out.mutable_valid_until(), r[9].as<int64_t>());
  out.set_method(static_cast<v1::ConsentMethod>(r[10].as<int>()));
  out.set_evidence_reference(r[11].as<std::string>());
  out.set_verified_by(r[12].as<std::string>());
  out.set_verification_note(r[13].as<std::string>());
  out.set_legal_basis(static_cast<v1::LegalBasis>(r[14].as<int>()));
  out.set_state(static_cast<v1::ConsentState>(r[15].as<int>()));
  out.set_recorded_by_organization("organizations/" + r[16].as<std::string>());
  SetTime(out.mutable_create_time(), r[17].as<int64_t>());
  if (!r[18].is_null()) {
    SetTime(out.mutable_withdraw_time(), r[18].as<int64_t>());
    out.set_withdrawn_by(case_name + "/participants/" + r[19].as<std::string>());
  }
  out.set_withdraw_reason(r[20].as<std::string>());
  return r[21].as<int64_t>();
}

// The first seven columns of consent.events and consent.events_after: consent, kind, participant,
// person, organisation, reason, time. An expiry has no participant, person or organisation.
void ReadEventRow(const std::string& case_name, const pqxx::row& r, v1::ConsentEvent& e) {
  e.set_consent(case_name + "/consents/" + r[0].as<std::string>());
  e.set_kind(static_cast<v1::ConsentEventKind>(r[1].as<int>()));
  if (const auto participant = r[2].as<std::string>(""); !participant.empty())
    e.set_participant(case_name + "/participants/" + participant);
  e.set_recorded_by_person(r[3].as<std::string>());
  if (const auto org = r[4].as<std::string>(); !org.empty()) e.set_recorded_by_organization("organizations/" + org);
  e.set_reason(r[5].as<std::string>());
  SetTime(e.mutable_time(), r[6].as<int64_t>());
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

void InsertConsent(pqxx::connection& conn, const NewConsent& c, v1::Consent& out) {
  pqxx::work tx(conn);
  tx.exec_prepared("consent.case_order_lock", c.case_id);  // before any write (common/history_order.h)
  auto rows = tx.exec_prepared("consent.insert", c.case_id, c.granted_by, c.grantor_role,
                               ArrayLiteral(c.recipient_orgs), ArrayLiteral(c.recipient_participants),
                               c.categories, c.purpose, c.valid_from_micros, c.valid_until_micros, c.method,
                               c.evidence_reference, c.verified_by, c.verification_note, c.legal_basis,
                               c.recorded_by_org, c.request_id);
  if (rows.empty()) rows = tx.exec_prepared("consent.by_request", c.case_id, c.request_id);
  ReadConsent(rows.at(0), out);
  tx.commit();
}

bool GetConsent(pqxx::connection& conn, const std::string& case_id, const std::string& consent_id,
                v1::Consent& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("consent.get", case_id, consent_id);
  if (rows.empty()) return false;
  ReadConsent(rows[0], out);
  return true;
}

std::optional<std::string> ConsentGrantor(pqxx::connection& conn, const std::string& case_id,
                                          const std::string& consent_id) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("consent.grantor", case_id, consent_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::optional<int64_t> ListConsents(pqxx::connection& conn, const std::string& case_id,
                                    std::optional<int> state, int64_t after_seq, int limit,
                                    v1::ListConsentsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("consent.list", case_id, after_seq, state, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) { return ReadConsent(r, *out.add_consents()); });
}

bool WithdrawConsent(pqxx::connection& conn, const std::string& case_id, const std::string& consent_id,
                     const std::string& withdrawn_by, const std::string& reason,
                     const std::string& person, const std::string& org) {
  pqxx::work tx(conn);
  tx.exec_prepared("consent.case_order_lock", case_id);  // before any write (common/history_order.h)
  auto result = tx.exec_prepared("consent.withdraw", case_id, consent_id, withdrawn_by, reason, person, org);
  tx.commit();
  return result.affected_rows() == 1;
}

std::optional<int64_t> ListConsentEvents(pqxx::connection& conn, const std::string& case_id,
                                         int64_t after_seq, int limit, v1::ListConsentEventsResponse& out) {
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec_prepared("consent.events", case_id, after_seq, limit + 1);
  const std::string case_name = "cases/" + case_id;
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    ReadEventRow(case_name, r, *out.add_events());
    return r[7].as<int64_t>();
  });
}

void ReadConsentChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids, int64_t after_transaction,
                        int64_t after_seq, int64_t horizon, int limit, v1::ReadConsentChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  for (const auto& r : tx.exec_prepared("consent.events_after", ArrayLiteral(case_ids), after_transaction, after_seq,
                                        horizon, limit)) {
    auto& change = *out.add_changes();
    const std::string case_name = "cases/" + r[8].as<std::string>();
    change.set_case_(case_name);
    ReadEventRow(case_name, r, *change.mutable_event());
    change.mutable_position()->set_position(r[7].as<int64_t>());
    change.mutable_position()->set_transaction(r[9].as<int64_t>());
    for (const auto& org : SplitList(r[10].as<std::string>())) change.add_recipient_organizations("organizations/" + org);
  }
}

std::size_t RecordDueExpiries(pqxx::connection& conn, int lookback_days, int limit) {
  const auto due = pqxx::nontransaction(conn).exec_prepared("consent.due_expiries", lookback_days, limit);
  for (const auto& r : due) {
    const auto case_id = r[0].as<std::string>();
    pqxx::work tx(conn);
    tx.exec_prepared("consent.case_order_lock", case_id);  // before any write (common/history_order.h)
    tx.exec_prepared("consent.expiry_insert", case_id, r[1].as<std::string>());
    tx.commit();
  }
  return due.size();
}

std::unordered_map<std::string, std::vector<ConsentInForce>> ConsentsInForce(
    pqxx::connection& conn, const std::vector<std::string>& case_ids) {
  pqxx::nontransaction tx(conn);
  std::unordered_map<std::string, std::vector<ConsentInForce>> found;
  for (const auto& r : tx.exec_prepared("consent.in_force", ArrayLiteral(case_ids)))
    found[r[0].as<std::string>()].push_back({r[1].as<std::string>(), SplitList(r[2].as<std::string>()),
                                             SplitList(r[3].as<std::string>()), r[4].as<int32_t>(),
                                             r[5].as<int>()});
  return found;
}

}  // namespace kp::consent
