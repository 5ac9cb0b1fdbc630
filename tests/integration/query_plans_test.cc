// Every prepared statement of every service finds its rows through an index: the plan check of
// issue 23. The servers run each statement with a generic plan (common/db_pool.cc), the same plan
// whatever the values, so a statement whose generic plan walks a whole table does so for every
// call once the table is large. The check asks PostgreSQL for each statement's generic plan with
// sequential scans priced out (enable_seqscan = off): a sequential scan that remains, or an index
// scan that its condition does not bound (none, or only a page cursor), means no index serves the
// statement. Tables that stay small are not checked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <set>
#include <string>

#include "integration/harness.h"

namespace kp::test {
namespace {

// Tables that stay small: the partner directory, and the queue of case registrations TeamService
// has not confirmed yet (emptied as it is worked, read oldest first).
const std::set<std::string> kSmallTables = {"team.organizations", "cases.team_sync_pending"};

// Whether an index condition bounds a scan: an equality (also "= ANY"), or a range closed on both
// ends. A one-sided range (a page cursor, "entry_seq < $1") leaves the scan free to walk the
// whole index when the other conditions are filters.
bool Bounds(const std::string& condition) {
  if (condition.find(" = ") != std::string::npos) return true;
  const bool below = condition.find(" < ") != std::string::npos || condition.find(" <= ") != std::string::npos;
  const bool above = condition.find(" > ") != std::string::npos || condition.find(" >= ") != std::string::npos;
  return below && above;
}

// The scans of `plan` (EXPLAIN's JSON node and its children) that read a whole growing table.
void FindWholeTableScans(const nlohmann::json& node, const std::set<std::string>& growing,
                         std::vector<std::string>& found) {
  const std::string type = node.value("Node Type", "");
  const std::string table = node.value("Schema", "") + "." + node.value("Relation Name", "");
  if (growing.count(table)) {
    if (type == "Seq Scan") found.push_back("Seq Scan on " + table);
    if ((type == "Index Scan" || type == "Index Only Scan") && !Bounds(node.value("Index Cond", "")))
      found.push_back(type + " not bounded by its condition on " + table + " (" + node.value("Index Name", "") +
                      ": " + node.value("Index Cond", "none") + ")");
  }
  if (type == "Bitmap Index Scan" && !Bounds(node.value("Index Cond", "")))
    found.push_back("Bitmap Index Scan not bounded by its condition (" + node.value("Index Name", "") + ": " +
                    node.value("Index Cond", "none") + ")");
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"]) FindWholeTableScans(child, growing, found);
}

TEST(QueryPlans, EveryStatementFindsItsRowsThroughAnIndex) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  pqxx::connection conn(Harness::Get().app_database_url());
  pqxx::nontransaction tx(conn);
  tx.exec("SET plan_cache_mode = force_generic_plan");
  tx.exec("SET enable_seqscan = off");
  std::set<std::string> growing;
  for (const auto& row : tx.exec("SELECT n.nspname || '.' || c.relname FROM pg_class c "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
                                 "AND n.nspname IN ('cases', 'team', 'consent', 'audit', 'careplan', 'agreements')"))
    if (!kSmallTables.count(row[0].as<std::string>())) growing.insert(row[0].as<std::string>());
  ASSERT_GT(growing.size(), 20u);

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
      if (!scans.empty()) {
        std::string text;
        for (const auto& row : tx.exec("EXPLAIN " + execute)) text += row[0].as<std::string>() + "\n";
        for (const auto& scan : scans) ADD_FAILURE() << statement.name << ": " << scan << "\n" << text;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace kp::test
