// Every prepared statement of every service finds its rows through an index: the plan check of
// issue 23. The servers run each statement with a generic plan (common/db_pool.cc), the same plan
// whatever the values, so a statement whose generic plan walks a whole table does so for every
// call once the table is large. The check asks PostgreSQL for each statement's generic plan, with
// every table that grows with cases or log entries made to look large (LookLarge) and sequential
// scans priced out (enable_seqscan = off): a sequential scan that remains, or an index scan that
// its condition does not bound (none, or only a page cursor), means no index serves the
// statement. Tables that stay small are not checked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <map>
#include <set>
#include <string>

#include "integration/harness.h"

namespace kp::test {
namespace {

// Tables that stay small: the partner directory, the social map and its zones (they grow with the
// region's offer, not with cases: some 20,000 services and 60 zones for all of Flanders; its search
// is measured in bench/socialmap.sh), and the queue of case registrations TeamService has not
// confirmed yet (emptied as it is worked, read oldest first).
const std::set<std::string> kSmallTables = {"team.organizations", "socialmap.services", "socialmap.zones",
                                            "cases.team_sync_pending"};

// Statements that read the due rows of a work queue: the oldest first, up to now, through a partial
// index of what is still to do. What is due is done within a round (TeamService closes the expired
// participations every minute), so "up to now" bounds the scan though its range has one end.
const std::set<std::string> kDueWork = {"team.cases_with_expired_participations"};

// Whether an index condition bounds a scan: an equality (also "= ANY"), or a range closed on both
// ends. A one-sided range (a page cursor, "entry_seq < $1") leaves the scan free to walk the
// whole index when the other conditions are filters.
bool Bounds(const std::string& condition) {
  if (condition.find(" = ") != std::string::npos) return true;
  const bool below = condition.find(" < ") != std::string::npos || condition.find(" <= ") != std::string::npos;
  const bool above = condition.find(" > ") != std::string::npos || condition.find(" >= ") != std::string::npos;
  return below && above;
}

// Whether a bitmap (under a bitmap heap scan) is bounded: an index scan by its condition, an AND
// of bitmaps by any of them (the intersection is no larger), an OR by all of them. Collects the
// index scans that are not bounded.
bool BitmapBounded(const nlohmann::json& node, std::vector<std::string>& unbounded) {
  const std::string type = node.value("Node Type", "");
  if (type == "Bitmap Index Scan") {
    if (Bounds(node.value("Index Cond", ""))) return true;
    unbounded.push_back(node.value("Index Name", "") + ": " + node.value("Index Cond", "none"));
    return false;
  }
  bool any = false, all = true;
  for (const auto& child : node.value("Plans", nlohmann::json::array())) {
    const bool bounded = BitmapBounded(child, unbounded);
    any = any || bounded;
    all = all && bounded;
  }
  return type == "BitmapAnd" ? any : all;
}

// The growing tables, each by its name and by the names of its partitions (the access log's
// months).
using Growing = std::map<std::string, std::string>;

// The scans of `node` (EXPLAIN's JSON) and its children that read a whole growing table.
void FindWholeTableScans(const nlohmann::json& node, const Growing& growing, std::vector<std::string>& found) {
  const std::string type = node.value("Node Type", "");
  const auto grows = growing.find(node.value("Schema", "") + "." + node.value("Relation Name", ""));
  if (grows != growing.end()) {
    const std::string& table = grows->first;
    if (type == "Seq Scan") found.push_back("Seq Scan on " + table);
    if ((type == "Index Scan" || type == "Index Only Scan") && !Bounds(node.value("Index Cond", "")))
      found.push_back(type + " not bounded by its condition on " + table + " (" + node.value("Index Name", "") +
                      ": " + node.value("Index Cond", "none") + ")");
    std::vector<std::string> unbounded;
    if (type == "Bitmap Heap Scan" && !BitmapBounded(node["Plans"][0], unbounded))
      for (const auto& scan : unbounded)
        found.push_back("Bitmap Index Scan not bounded by its condition on " + table + " (" + scan + ")");
  }
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"]) FindWholeTableScans(child, growing, found);
}

// Makes every growing table look large to this transaction's planner, whatever the database holds
// (an empty one in a fresh CI run, a few test rows later): one row in each (its constraints
// dropped and its foreign keys' triggers skipped, so that any row will do), statistics that give
// that page ten million rows, and no column statistics; for a partitioned table, to each of its
// partitions. All of it is rolled back with the transaction.
void LookLarge(pqxx::work& tx, const std::set<std::string>& tables) {
  tx.exec("SET LOCAL session_replication_role = replica");
  for (const auto& table : tables) {
    for (const auto& check : tx.exec_params("SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass "
                                            "AND contype = 'c'", table))
      tx.exec("ALTER TABLE " + table + " DROP CONSTRAINT " + tx.quote_name(check[0].as<std::string>()));
    std::string columns, values;
    for (const auto& column : tx.exec_params(
             "SELECT quote_ident(attname), format_type(atttypid, atttypmod) FROM pg_attribute "
             "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attnotnull "
             "AND NOT atthasdef AND attidentity = '' AND attgenerated = ''", table)) {
      const std::string type = column[1].as<std::string>();
      const std::string value = type.ends_with("[]") ? "'{}'" : type == "uuid" ? "gen_random_uuid()"
                                : type.starts_with("timestamp") ? "now()" : type == "date" ? "current_date"
                                : type == "boolean" ? "false" : type.starts_with("json") ? "'{}'" : "'0'";
      columns += (columns.empty() ? "" : ", ") + column[0].as<std::string>();
      values += (values.empty() ? "" : ", ") + value + "::" + type;
    }
    // A partitioned table (by a range of one column): a row in each partition, at its lower bound.
    const auto partitions = tx.exec_params(
        "SELECT quote_ident(a.attname), (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\((''[^'']*'')\\)'))[1] "
        "FROM pg_partition_tree($1::regclass) p JOIN pg_class c ON c.oid = p.relid "
        "JOIN pg_partitioned_table k ON k.partrelid = $1::regclass "
        "JOIN pg_attribute a ON a.attrelid = k.partrelid AND a.attnum = k.partattrs[0] WHERE p.isleaf", table);
    for (const auto& partition : partitions)
      tx.exec("INSERT INTO " + table + " (" + columns + ", " + partition[0].as<std::string>() + ") VALUES (" + values +
              ", " + partition[1].as<std::string>() + ")");
    if (partitions.empty())
      tx.exec("INSERT INTO " + table + (columns.empty() ? " DEFAULT VALUES" : " (" + columns + ") VALUES (" + values + ")"));
    // pg_partition_tree lists nothing for a table that is not partitioned.
    const std::string parts = "(SELECT $1::regclass UNION SELECT relid FROM pg_partition_tree($1::regclass))";
    tx.exec_params("UPDATE pg_class SET relpages = 1, reltuples = 1e7 WHERE oid IN " + parts +
                   " OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN " + parts + ")", table);
    // Without the column statistics earlier tests left, every run sees the same estimates.
    tx.exec_params("DELETE FROM pg_statistic WHERE starelid IN " + parts, table);
  }
}

TEST(QueryPlans, EveryStatementFindsItsRowsThroughAnIndex) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  // The owner's connection: making tables look large needs a superuser (the cluster's own user,
  // as deploy/pg.sh sets it up for tests).
  pqxx::connection conn(Harness::Get().database_url());
  pqxx::work tx(conn);
  ASSERT_TRUE(tx.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>())
      << "the plan check needs the test database's owner to be a superuser (deploy/pg.sh)";
  tx.exec("SET LOCAL plan_cache_mode = force_generic_plan");
  tx.exec("SET LOCAL enable_seqscan = off");
  // Every month of the access log in the plan: pruned at execution by the statement's values
  // (NULL here), they would leave nothing to check.
  tx.exec("SET LOCAL enable_partition_pruning = off");
  std::set<std::string> tables;
  Growing growing;
  for (const auto& row : tx.exec("SELECT n.nspname || '.' || c.relname, coalesce(p.relid, c.oid)::regclass::text "
                                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "LEFT JOIN LATERAL pg_partition_tree(c.oid) p ON true WHERE c.relkind IN ('r', 'p') "
                                 "AND NOT c.relispartition "
                                 "AND n.nspname IN ('cases', 'team', 'consent', 'audit', 'careplan', 'agreements', 'socialmap', 'referrals')")) {
    const auto table = row[0].as<std::string>();
    if (kSmallTables.count(table)) continue;
    tables.insert(table);
    growing[row[1].as<std::string>()] = table;
  }
  ASSERT_GT(tables.size(), 20u);
  ASSERT_GT(growing.size(), tables.size()) << "the access log's partitions";
  LookLarge(tx, tables);

  int checked = 0;
  for (const auto& module : AllModules()) {
    for (const auto& statement : module.statements) {
      tx.exec("PREPARE " + tx.quote_name(statement.name) + " AS " + statement.sql);
      const int parameters = tx.exec_params1("SELECT cardinality(parameter_types) FROM pg_prepared_statements "
                                             "WHERE name = $1", statement.name)[0].as<int>();
      std::string nulls;
      for (int i = 0; i < parameters; ++i) nulls += i ? ", NULL" : "NULL";
      const std::string execute = "EXECUTE " + tx.quote_name(statement.name) + (parameters ? "(" + nulls + ")" : "");
      // VERBOSE names each scan's schema.
      const auto plan = nlohmann::json::parse(tx.exec1("EXPLAIN (FORMAT JSON, VERBOSE) " + execute)[0].as<std::string>());
      std::vector<std::string> scans;
      FindWholeTableScans(plan[0]["Plan"], growing, scans);
      if (kDueWork.count(statement.name))  // still no sequential scan, nor a bitmap one
        std::erase_if(scans, [](const std::string& scan) { return scan.starts_with("Index Scan not bounded"); });
      if (!scans.empty()) {
        std::string text;
        for (const auto& row : tx.exec("EXPLAIN " + execute)) text += row[0].as<std::string>() + "\n";
        for (const auto& scan : scans) ADD_FAILURE() << statement.name << ": " << scan << "\n" << text;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
  tx.abort();  // nothing of the above stays
}

}  // namespace
}  // namespace kp::test
