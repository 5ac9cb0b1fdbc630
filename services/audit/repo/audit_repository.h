// AuditService's SQL: appending decisions to the access log and reading it back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "common/page_token.h"
#include "kruispunt/audit/v1/audit.pb.h"

namespace kp::audit {

namespace v1 = kruispunt::audit::v1;

const std::vector<PreparedStatement>& Statements();

// A validated entry to append.
struct NewEntry {
  std::string case_id, organization, person;
  int category, action, purpose, decision, ground, deny_reason;
  std::vector<std::string> consent_ids;
  std::string rpc, request_id;
};

// Appends the entries in one statement (one round trip, one transaction); returns their ids
// (UUIDs), in order. The commit does not wait for the disk (synchronous_commit off): reads must
// not wait for a log flush; see the README for what that means on a crash of PostgreSQL itself.
std::vector<std::string> AppendEntries(pqxx::connection& conn, const std::vector<NewEntry>& entries);
// An entry's resource name: under its case, by an id that reveals nothing of the log's size or
// order ("cases/{case}/accessLogEntries/{uuid}").
std::string EntryName(const std::string& case_id, const std::string& entry_id);

// The DPO's search: each filter optional (the window: from start, before end).
struct LogFilter {
  std::optional<std::string> organization;
  std::optional<int64_t> start_micros, end_micros;
  std::optional<int> decision;
};
// A case's entries, newest first (by time, then sequence), a page at a time: the position
// returned (the last entry's time and sequence) continues before it.
std::optional<Position2> ListCaseEntries(pqxx::connection& conn, const std::string& case_id, const Page& page,
                                         v1::ListAccessLogResponse& out);
// Entries matching the filter, newest first (by time, then sequence), a page at a time: the
// position returned (the last entry's time and sequence) continues before it.
std::optional<Position2> SearchEntries(pqxx::connection& conn, const LogFilter& filter, const Page& page,
                                      v1::ListAccessLogResponse& out);

// Creates the access log's partitions for this month and the next three where missing; returns
// how many it created. An entry for a month without one cannot be written.
int CreatePartitionsAhead(pqxx::connection& conn);
// How many of the next twelve months have their partition.
int MonthsAhead(pqxx::connection& conn);

}  // namespace kp::audit
