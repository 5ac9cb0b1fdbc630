// AgreementService's tables (schema agreements). A party is kept as a key: "organizations/{id}"
// or "participants/{id}" (a participant of the same case). Every change runs in one transaction
// that first takes the case's chain lock (LockChain) and ends by appending to the log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "agreements/domain/agreement_log.h"
#include "common/db_pool.h"
#include "common/page_token.h"
#include "kruispunt/agreements/v1/agreements.pb.h"

namespace kp::agreements {

namespace v1 = kruispunt::agreements::v1;

const std::vector<PreparedStatement>& Statements();

struct Actor {
  std::string org, person;
};

struct Content {
  std::string text, schedule;
  std::vector<std::string> goal_ids, performers, parties;  // parties and performers as keys
  std::optional<std::string> start_date, end_date, consultation_date;  // ISO dates
};

// Takes the case's chain lock and returns its head. Throws DATA_LOSS AGREEMENT_LOG_BROKEN (and
// logs it) when the stored head's entry is missing or differs: a broken chain is never extended.
ChainHead LockChain(pqxx::work& tx, const std::string& case_id);
// Verifies a case's chain (ChainVerifier) in one snapshot: the head stored with the last append
// and every entry in order, read a page at a time, so that memory does not grow with the chain.
Verification VerifyChain(pqxx::connection& conn, const std::string& case_id,
                         const std::optional<ChainHead>& kept_head);

// The current version's standing, read after the chain lock.
struct PartyStanding {
  std::string party;
  v1::Answer answer;
};
struct AgreementState {
  int current_version;
  v1::AgreementStatus status;
  std::vector<PartyStanding> parties;
};
std::optional<AgreementState> StateOf(pqxx::transaction_base& tx, const std::string& case_id,
                                      const std::string& agreement_id);

std::optional<std::string> AgreementByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                              const std::string& request_id);
// A new agreement (version 1 follows with AddVersion); returns its id.
std::string InsertAgreement(pqxx::work& tx, const std::string& case_id, const std::optional<std::string>& request_id);
// Adds version `version` with its parties and makes it current, with status PROPOSED.
void AddVersion(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                const Content& content, const Actor& actor, const std::string& time);
void RecordAnswer(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                  const std::string& party, v1::Answer answer, const std::string& comment, const Actor& actor,
                  const std::string& time, v1::AgreementStatus status);
void RecordWithdrawal(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id, int version,
                      const std::string& party, const std::string& reason, const Actor& actor,
                      const std::string& time, v1::AgreementStatus status);
void EndAgreement(pqxx::work& tx, const std::string& case_id, const std::string& agreement_id,
                  const std::string& reason);
// Appends an entry after `head` and moves the head.
void AppendLog(pqxx::work& tx, const std::string& case_id, const ChainHead& head, v1::EventKind kind,
               const std::string& agreement_id, int version, const std::string& time, const std::string& canonical,
               const std::string& hash);

// The agreement with its current version; false when there is none.
bool ReadAgreement(pqxx::transaction_base& tx, const std::string& case_id, const std::string& agreement_id,
                   v1::Agreement& out);
std::vector<v1::AgreementVersion> ReadVersions(pqxx::connection& conn, const std::string& case_id,
                                               const std::string& agreement_id);
std::optional<int64_t> ListAgreements(pqxx::connection& conn, const std::string& case_id, std::optional<int> status,
                                      int64_t after, int limit, v1::ListAgreementsResponse& out);
// The agreements whose current version awaits the organisation's answer (any case).
std::optional<int64_t> ListAwaiting(pqxx::connection& conn, const std::string& org_id, int64_t after, int limit,
                                    v1::ListAgreementsResponse& out);

std::optional<int64_t> ListLog(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                               v1::ListAgreementLogResponse& out);
// A position in commit order is (transaction id, position): after `then` of transaction `after`
// (migration agreements/0005 says why the log is read so).
// The transaction id below which every transaction has ended (the snapshot's xmin): no entry
// can still commit below it.
int64_t CommitHorizon(pqxx::transaction_base& tx);
// The entries of the cases that committed after `from` and below `horizon`, in commit order, at
// most `limit`, each with its position.
struct LogChange {
  v1::AgreementLogEntry entry;
  Position2 position;
};
std::vector<LogChange> ReadChanges(pqxx::transaction_base& tx, const std::vector<std::string>& case_ids,
                                   Position2 from, int64_t horizon, int limit);
// ListAgreementChanges' page: the entries after `from`, at most `limit`, and where the next read
// continues: after the last entry returned, or, when every entry committed so far was returned,
// at the horizon, never before `from`. `more` says the page was full.
struct ChangesPage {
  Position2 next;
  bool more = false;
};
ChangesPage ListChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids, Position2 from, int limit,
                        v1::ListAgreementChangesResponse& out);

}  // namespace kp::agreements
