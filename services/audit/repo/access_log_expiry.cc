#include "audit/repo/access_log_expiry.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <stdexcept>

#include "common/sha256.h"

namespace kp::audit {

namespace {

// The archive's columns, in this order: its first line names them (tab-separated), every other
// line is one entry in PostgreSQL's COPY text format (docs/operations.md, Retention).
const std::vector<std::string> kArchiveColumns = {
    "case_id", "entry_seq",  "entry_id", "entry_time",  "organization", "person",   "category", "action",
    "purpose", "decision",   "ground",   "deny_reason", "consents",     "rpc",      "request_id"};

struct Month {
  std::string partition, start, end;
};

// The months that ended `retention_months` or more ago, oldest first, with their bounds as
// PostgreSQL wrote them when it created them (audit.create_access_log_partition).
std::vector<Month> ExpiredMonths(pqxx::connection& owner, int retention_months) {
  pqxx::nontransaction tx(owner);
  std::vector<Month> months;
  for (const auto& r : tx.exec_params(
           "SELECT c.relname, b[1], b[2] FROM pg_partition_tree('audit.access_log') p "
           "JOIN pg_class c ON c.oid = p.relid, "
           "LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']*)''\\) TO \\(''([^'']*)''\\)') b "
           "WHERE p.isleaf AND b[2]::timestamptz <= now() - make_interval(months => $1) "
           "ORDER BY b[1]::timestamptz",
           retention_months))
    months.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
  return months;
}

[[noreturn]] void Fail(const std::string& what, const std::filesystem::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void SyncFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) Fail("cannot sync", path);
  ::close(fd);
}

// The SHA-256 of the file as it is on disk (read back: what an auditor's sha256sum will read).
std::string FileSha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read", path);
  Sha256 hash;
  std::array<char, 1 << 16> buffer;
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0)
    hash.Add(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  return hash.Hex();
}

// Has `write` write a temporary file, syncs it, then renames it to `path` and syncs the folder:
// the file is either whole or absent, and stays on disk once this returns (before the month is
// dropped).
void WriteWhole(const std::filesystem::path& path, const std::function<void(const std::filesystem::path&)>& write) {
  const auto temporary = std::filesystem::path(path.string() + ".partial");
  write(temporary);
  SyncFile(temporary);
  std::filesystem::rename(temporary, path);
  SyncFile(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

// Exports the partition's rows (under the transaction's lock) to `path`, gzip-compressed.
void Export(pqxx::work& tx, const std::string& table, const std::filesystem::path& path) {
  WriteWhole(path, [&](const std::filesystem::path& temporary) {
    // The entries name people and cases: the archive is for the operator's account only.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    gzFile out = fd < 0 ? nullptr : gzdopen(fd, "wb");
    if (!out) Fail("cannot create", temporary);
    std::string header;
    for (const auto& column : kArchiveColumns) header += (header.empty() ? "" : "\t") + column;
    header += "\n";
    bool written = gzwrite(out, header.data(), static_cast<unsigned>(header.size())) > 0;
    pqxx::stream_from rows(tx, table, kArchiveColumns);
    std::string line;
    while (written && rows.get_raw_line(line)) {
      if (line.empty() || line.back() != '\n') line += '\n';
      written = gzwrite(out, line.data(), static_cast<unsigned>(line.size())) > 0;
    }
    if (!written) {
      gzclose(out);
      Fail("cannot write", temporary);
    }
    rows.complete();
    if (gzclose(out) != Z_OK) Fail("cannot write", temporary);
  });
}

}  // namespace

std::vector<ExpiredMonth> ExpireAccessLog(pqxx::connection& owner, int retention_months,
                                          const std::string& archive_dir) {
  if (retention_months < 1) throw std::invalid_argument("the retention must be at least one month");
  if (!archive_dir.empty() && !std::filesystem::is_directory(archive_dir))
    throw std::runtime_error("the archive folder " + archive_dir + " does not exist");
  std::vector<ExpiredMonth> expired;
  for (const auto& month : ExpiredMonths(owner, retention_months)) {
    pqxx::work tx(owner);
    const std::string table = "audit." + tx.quote_name(month.partition);
    // Nothing is added to the month while it is counted, exported and dropped; its times are
    // written in UTC whatever the owner's settings.
    tx.exec("LOCK TABLE " + table + " IN SHARE MODE");
    tx.exec("SET LOCAL TimeZone = 'UTC'");
    tx.exec("SET LOCAL DateStyle = 'ISO'");
    ExpiredMonth done{month.partition, tx.exec1("SELECT count(*) FROM " + table)[0].as<int64_t>(), "", ""};
    if (!archive_dir.empty()) {
      const auto path = std::filesystem::path(archive_dir) / (month.partition + ".tsv.gz");
      Export(tx, table, path);
      done.archive_file = path.filename().string();
      done.archive_sha256 = FileSha256(path);
      WriteWhole(path.string() + ".sha256", [&](const std::filesystem::path& temporary) {
        std::ofstream out(temporary);
        out << done.archive_sha256 << "  " << done.archive_file << "\n";
        if (!out.flush()) Fail("cannot write", temporary);
      });
    }
    tx.exec_params(
        "INSERT INTO audit.access_log_expiries (partition_name, range_start, range_end, entry_count, retention, "
        "archive_file, archive_sha256) VALUES ($1, $2::timestamptz, $3::timestamptz, $4, make_interval(months => $5), "
        "NULLIF($6, ''), NULLIF($7, ''))",
        month.partition, month.start, month.end, done.entries, retention_months, done.archive_file,
        done.archive_sha256);
    tx.exec("DROP TABLE " + table);
    tx.commit();
    spdlog::info("access_log_month_expired partition={} entries={} archive={} sha256={}", done.partition,
                 done.entries, done.archive_file.empty() ? "none" : done.archive_file,
                 done.archive_sha256.empty() ? "none" : done.archive_sha256);
    expired.push_back(std::move(done));
  }
  spdlog::info("access_log_expiry_done months={} retention_months={}", expired.size(), retention_months);
  return expired;
}

}  // namespace kp::audit
