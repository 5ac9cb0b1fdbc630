// ConsentService's SQL: named prepared statements and the mapping of their rows to messages.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "consent/domain/access_decision.h"
#include "kruispunt/consent/v1/consent.pb.h"
#include "kruispunt/consent/v1/consent_internal.pb.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

const std::vector<PreparedStatement>& Statements();

struct NewConsent {
  std::string case_id, granted_by;  // granted_by: a participant id
  int grantor_role = 0;             // from TeamService
  std::vector<std::string> recipient_orgs, recipient_participants;
  int32_t categories = 0;
  int purpose = 0;
  std::optional<int64_t> valid_from_micros, valid_until_micros;
  int method = 0, legal_basis = 0;
  std::string evidence_reference, verified_by, verification_note, recorded_by_org;
  std::optional<std::string> request_id;
};

// Inserts, or returns what an earlier call with the same request_id inserted.
void InsertConsent(pqxx::connection& conn, const NewConsent& consent, v1::Consent& out);
bool GetConsent(pqxx::connection& conn, const std::string& case_id, const std::string& consent_id,
                v1::Consent& out);
// The participant who granted a consent, if it exists.
std::optional<std::string> ConsentGrantor(pqxx::connection& conn, const std::string& case_id,
                                          const std::string& consent_id);
std::optional<int64_t> ListConsents(pqxx::connection& conn, const std::string& case_id,
                                    std::optional<int> state, int64_t after_seq, int limit,
                                    v1::ListConsentsResponse& out);
// False if it was withdrawn already.
bool WithdrawConsent(pqxx::connection& conn, const std::string& case_id, const std::string& consent_id,
                     const std::string& withdrawn_by, const std::string& reason,
                     const std::string& person, const std::string& org);
std::optional<int64_t> ListConsentEvents(pqxx::connection& conn, const std::string& case_id,
                                         int64_t after_seq, int limit, v1::ListConsentEventsResponse& out);
// The change feed's read: the consent events of these cases that committed after (transaction,
// event_seq) and below the horizon, in commit order, at most `limit`.
// Records as expired, each in a transaction of its own, at most `limit` of the consents whose period
// ended in the last `lookback_days` and that are neither recorded as expired nor withdrawn; returns
// how many it looked at.
std::size_t RecordDueExpiries(pqxx::connection& conn, int lookback_days, int limit);
void ReadConsentChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids, int64_t after_transaction,
                        int64_t after_seq, int64_t horizon, int limit, v1::ReadConsentChangesResponse& out);

// The consents in force now (granted, within their period, not withdrawn), by case id.
std::unordered_map<std::string, std::vector<ConsentInForce>> ConsentsInForce(
    pqxx::connection& conn, const std::vector<std::string>& case_ids);

}  // namespace kp::consent
