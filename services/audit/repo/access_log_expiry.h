// Removing the access log's months past retention (issue 23): the only way entries ever leave
// the log. A month goes whole, optionally after an export, and its removal is recorded in
// audit.access_log_expiries (append-only). It runs as the schemas' owner, as the
// `--job expire-access-log` of kruispuntd and kruispunt-audit (docs/operations.md); the run-time
// role can do none of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace kp::audit {

// A month removed from the log.
struct ExpiredMonth {
  std::string partition;  // e.g. access_log_y2016m11
  int64_t entries = 0;
  std::string archive_file;  // empty: removed without an export
  std::string archive_sha256;
};

// Removes, oldest first, every month of the log that ended at least `retention_months` ago. With
// an `archive_dir`, each is first exported there as `{partition}.tsv.gz`, its SHA-256 beside it
// in `{partition}.tsv.gz.sha256` (sha256sum's format), both on disk before the month is dropped.
// Each month goes in a transaction of its own, with its record: a failure leaves earlier months
// removed and recorded, and this one untouched.
std::vector<ExpiredMonth> ExpireAccessLog(pqxx::connection& owner, int retention_months,
                                          const std::string& archive_dir);

}  // namespace kp::audit
