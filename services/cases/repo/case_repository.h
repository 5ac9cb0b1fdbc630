// CaseService's SQL: named prepared statements and the mapping of their rows to messages.
// Normal paths are one statement (one round trip, autocommit); a second query runs only to
// explain a failure (missing, stale etag, illegal transition).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "common/validation.h"
#include "kruispunt/cases/v1/cases.pb.h"

namespace kp::cases {

namespace v1 = kruispunt::cases::v1;

const std::vector<PreparedStatement>& Statements();

// Row values of a client to insert (validated, INSZ normalised).
struct NewClient {
  std::string organization, insz, given_name, family_name, birth_date, preferred_language;
  ContactValues contact;
  std::optional<std::string> request_id;
  std::string created_by;
};

// Fields to change in a client; a field left nullopt keeps its value.
struct ClientChanges {
  std::optional<std::string> given_name, family_name, preferred_language;
  ContactChanges contact;
};

struct NewCase {
  std::string client_id, organization, title, summary, life_domains;  // life_domains: "{1,2}"
  std::optional<std::string> request_id;
  std::string created_by;
};

struct CaseChanges {
  std::optional<std::string> title, summary, life_domains;
};

struct CaseListFilter {
  std::optional<int> state, life_domain;
  std::optional<std::string> client_insz;
};

// The case's owner and version, to explain why a conditional statement touched no row.
struct CaseProbe {
  std::string owner_org;
  int version;
  int state;
  std::string client_id;
};

// Each returns false when no row is visible to the organisation (the caller answers NOT_FOUND).
bool InsertClient(pqxx::connection& conn, const NewClient& client, v1::Client& out);
bool GetClient(pqxx::connection& conn, const std::string& client_id, const std::string& org,
               v1::Client& out);
bool UpdateClient(pqxx::connection& conn, const std::string& client_id, const std::string& org,
                  const ClientChanges& changes, std::optional<int> expected_version, v1::Client& out);
std::optional<int> ClientVersion(pqxx::connection& conn, const std::string& client_id,
                                 const std::string& org);
// Lists after `after_seq`; returns the seq of the last row, or nullopt at the end of the list.
std::optional<int64_t> ListClients(pqxx::connection& conn, const std::string& org,
                                   std::optional<std::string> insz, int64_t after_seq, int limit,
                                   v1::ListClientsResponse& out);

// False when the client is not visible to the organisation. Runs in the caller's transaction,
// so that TeamService (hosted in the same process) registers the case in the same commit.
bool InsertCase(pqxx::transaction_base& tx, const NewCase& c, v1::Case& out);
// Reads cases whatever their owner, keyed by case id; the caller decides access.
std::unordered_map<std::string, v1::Case> GetCases(pqxx::connection& conn,
                                                   const std::vector<std::string>& case_ids);
std::optional<CaseProbe> ProbeCase(pqxx::connection& conn, const std::string& case_id);
bool UpdateCase(pqxx::connection& conn, const std::string& case_id, const std::string& org,
                const CaseChanges& changes, std::optional<int> expected_version, v1::Case& out);
// Runs in the caller's transaction, so that TeamService (hosted in the same process) learns the
// new state in the same commit.
bool TransitionCase(pqxx::transaction_base& tx, const std::string& case_id, const std::string& org,
                    const std::string& allowed_from, int to_state, const std::string& reason,
                    std::optional<int> expected_version, const std::string& person, v1::Case& out);
// The cases the organisation owns, and those of `partner_cases` (ids), in creation order; with a
// client's INSZ in the filter, only its own cases of its own client with that INSZ.
// The organisation's own cases after `after_seq`, oldest first, at most `limit` (filtered; by the
// client's INSZ when the filter names one); the last one's sequence when there are more.
std::optional<int64_t> ListOwnedCases(pqxx::connection& conn, const std::string& org, const CaseListFilter& filter,
                                      int64_t after_seq, int limit, v1::ListCasesResponse& out);
// The named cases that pass the filter's state and life domain, in the order named.
void ListCasesByIds(pqxx::connection& conn, const std::vector<std::string>& case_ids, const CaseListFilter& filter,
                    v1::ListCasesResponse& out);
// The version a case read from here carries (its etag).
int CaseVersion(const v1::Case& c);

// Cases whose state TeamService (in another process) has not confirmed yet: marked in the
// transaction of the change, cleared once TeamService confirmed that version or a later one.
void MarkTeamSyncPending(pqxx::transaction_base& tx, const std::string& case_id, int version);
void ClearTeamSyncPending(pqxx::connection& conn, const std::string& case_id, int version);
struct PendingTeamSync {
  std::string case_id, owner_org, client_id, created_by;
  int state, version;
};
// The oldest marks at least `min_age_seconds` old (a change in flight is not re-sent), at most `limit`.
std::vector<PendingTeamSync> DueTeamSyncs(pqxx::connection& conn, int min_age_seconds, int limit);

std::optional<int64_t> ListStatusChanges(pqxx::connection& conn, const std::string& case_id,
                                         int64_t after_seq, int limit,
                                         v1::ListCaseStatusChangesResponse& out);

}  // namespace kp::cases
