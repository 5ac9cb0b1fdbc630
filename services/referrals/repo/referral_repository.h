// ReferralService's tables (schema referrals): a referral as it stands, and its append-only
// changes, each written with the referral in one statement, so that the two cannot disagree.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "kruispunt/referrals/v1/referrals.pb.h"
#include "referrals/domain/referral_rules.h"
#include "referrals/grpc/referral_validation.h"

namespace kp::referrals {

const std::vector<PreparedStatement>& Statements();

// Who makes a change: organisation id and person (token subject).
struct Actor {
  std::string org, person;
};

// A referral as read, with what the rules and the access decision need of it.
struct StoredReferral {
  v1::Referral referral;
  std::string case_id, referral_id, referring_org, receiving_org;
  std::vector<int> shared_categories;  // kruispunt.consent.v1.DataCategory
  std::vector<int> proposed_mandate;   // kruispunt.team.v1.Permission
  std::string due_iso;  // the due date as ISO text
  int life_domain = 0, answer_days = 0, version = 0;
  Standing standing{};
};

// Sends a referral (its first change with it), due `due_iso`; with a request_id the referring
// organisation used before in this case, returns the referral that request made instead.
StoredReferral InsertReferral(pqxx::transaction_base& tx, const NewReferral& referral, const Actor& by,
                              const std::string& due_iso, std::chrono::year_month_day today);

std::optional<StoredReferral> GetReferral(pqxx::transaction_base& tx, const std::string& case_id,
                                          const std::string& referral_id, std::chrono::year_month_day today,
                                          bool for_update = false);

// The referral's new standing (and due day, and the participant an acceptance added), with its
// change; the version must still be `version`.
StoredReferral ChangeReferral(pqxx::transaction_base& tx, const StoredReferral& current, const Standing& next,
                              const std::string& reason, const std::string& due_iso,
                              const std::optional<std::string>& participant_id, const Actor& by,
                              std::chrono::year_month_day today);

// Pages in the order sent; each returns the position to continue after, or nullopt at the end.
std::optional<int64_t> ListCaseReferrals(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                                         std::chrono::year_month_day today, std::vector<StoredReferral>& out);
std::optional<int64_t> ListIncomingReferrals(pqxx::connection& conn, const std::string& org_id, bool open_only,
                                             int64_t after, int limit, std::chrono::year_month_day today,
                                             std::vector<StoredReferral>& out);
// Records a need for which no service was found.
void InsertUnmetNeed(pqxx::connection& conn, const NewUnmetNeed& need, const Actor& by, v1::UnmetNeed& out);

// The demand per life domain and age group.
void CountDemand(pqxx::connection& conn, const DemandQuery& query, v1::CountReferralDemandResponse& out);

// Takes the case's history lock (common/history_order.h): before a transaction's first write.
void LockCaseHistory(pqxx::transaction_base& tx, const std::string& case_id);

// The change feed's read: the changes of these cases, and of the referrals `received_by` (an
// organisation id) receives, after (transaction, revision) and below the horizon, in that order.
// Those of the referrals it receives carry the kinds of data each shares.
void ReadChangesAfter(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                      const std::optional<std::string>& received_by, int64_t after_transaction, int64_t after_revision,
                      int64_t horizon, int limit, v1::ReadReferralChangesResponse& out);

std::optional<int64_t> ListReferralChanges(pqxx::connection& conn, const std::string& case_id,
                                           const std::string& referral_id, int64_t after, int limit,
                                           v1::ListReferralChangesResponse& out);

}  // namespace kp::referrals
