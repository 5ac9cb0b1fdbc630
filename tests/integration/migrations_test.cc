// The migration runner against the real PostgreSQL: twice, concurrently, and a changed migration.
#include <random>
#include <set>
#include <thread>

#include "common/migrations.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
    schema_ = "kp_migtest_" + std::to_string(std::random_device{}());
    set_ = MigrationSet{schema_, {
        {"0001_schema.sql", "CREATE SCHEMA " + schema_ + "; CREATE TABLE " + schema_ + ".t (id int PRIMARY KEY);"},
        {"0002_rows.sql", "INSERT INTO " + schema_ + ".t VALUES (1), (2);"}}};
  }
  void TearDown() override {
    pqxx::connection conn(Harness::Get().database_url());
    pqxx::work tx(conn);
    tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    tx.exec_params("DELETE FROM public.kruispunt_migrations WHERE schema_name = $1", schema_);
    tx.commit();
  }
  int RowsIn(pqxx::connection& conn) {
    pqxx::nontransaction tx(conn);
    return tx.exec1("SELECT count(*) FROM " + schema_ + ".t")[0].as<int>();
  }

  std::string schema_;
  MigrationSet set_;
};

TEST_F(MigrationsTest, AppliesOnceAndIsANoOpTheSecondTime) {
  pqxx::connection conn(Harness::Get().database_url());
  EXPECT_EQ(ApplyMigrations(conn, set_), 2);
  EXPECT_EQ(ApplyMigrations(conn, set_), 0);
  EXPECT_EQ(RowsIn(conn), 2);
}

TEST_F(MigrationsTest, TwoProcessesAtOnceApplyEachMigrationOnce) {
  std::atomic<int> applied{0}, failed{0};
  std::vector<std::thread> runners;
  for (int i = 0; i < 4; ++i)
    runners.emplace_back([&] {
      try {
        pqxx::connection conn(Harness::Get().database_url());  // a connection each, like processes
        applied += ApplyMigrations(conn, set_);
      } catch (const std::exception&) {
        ++failed;
      }
    });
  for (auto& r : runners) r.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), 2);
  pqxx::connection conn(Harness::Get().database_url());
  EXPECT_EQ(RowsIn(conn), 2);
}

TEST_F(MigrationsTest, RefusesToRunWhenAnAppliedMigrationWasEdited) {
  pqxx::connection conn(Harness::Get().database_url());
  ApplyMigrations(conn, set_);
  set_.migrations[1].sql += " -- edited";
  EXPECT_THROW(ApplyMigrations(conn, set_), std::runtime_error);
}

// Every table the domain calls append-only history.
const std::vector<std::string> kHistoryTables = {
    "cases.case_status_changes", "team.team_changes", "consent.consents", "consent.withdrawals",
    "audit.access_log", "careplan.changes", "careplan.evaluations", "agreements.log", "agreements.versions"};

// The history the domain calls append-only refuses TRUNCATE as well as UPDATE and DELETE, even to
// SQL run by hand as the tables' owner: emptying the withdrawals would bring every withdrawn
// consent back into force. Each attempt runs in a transaction rolled back, so that a table that
// does accept it loses nothing for the tests running beside this one.
TEST(AppendOnlyHistory, RefusesTruncate) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  pqxx::connection conn(Harness::Get().database_url());
  for (const auto& table : kHistoryTables) {
    pqxx::work tx(conn);
    try {
      tx.exec("TRUNCATE " + table + " CASCADE");
      ADD_FAILURE() << table << " was truncated";
    } catch (const pqxx::insufficient_privilege& e) {
      EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << table << ": " << e.what();
    }
    tx.abort();
  }
}

// The role the services run as cannot change or remove history at all, not even where no trigger
// would fire (a DELETE that matches nothing), nor switch the triggers off or drop them: it was
// granted SELECT and INSERT there, and owns nothing. It can still do its work on the tables that
// are not history.
TEST(AppendOnlyHistory, TheRunTimeRoleHasNoPrivilegeToChangeIt) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  {
    // The tables the grants treat as history (an append-only trigger calling refuse_change()) are
    // exactly those the domain calls history: one added without its trigger, or with a trigger
    // but missing here, fails.
    pqxx::connection owner(Harness::Get().database_url());
    pqxx::nontransaction tx(owner);
    std::set<std::string> protected_tables;
    for (const auto& row : tx.exec(
             "SELECT DISTINCT n.nspname || '.' || c.relname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
             "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE p.proname = 'refuse_change' AND p.pronamespace = c.relnamespace"))
      protected_tables.insert(row[0].as<std::string>());
    EXPECT_EQ(protected_tables, std::set<std::string>(kHistoryTables.begin(), kHistoryTables.end()));
  }
  pqxx::connection conn(Harness::Get().app_database_url());
  const auto refused = [&](const std::string& table, const std::string& sql) {
    pqxx::work tx(conn);
    try {
      tx.exec(sql);
      ADD_FAILURE() << "the run-time role may: " << sql;
    } catch (const pqxx::insufficient_privilege& e) {
      EXPECT_EQ(std::string(e.what()).find("append-only"), std::string::npos)
          << table << ": refused by a trigger, not by privileges: " << e.what();
    }
  };
  for (const auto& table : kHistoryTables) {
    refused(table, "DELETE FROM " + table + " WHERE false");
    const std::string column = pqxx::nontransaction(conn)
        .exec_params1("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum = 1", table)[0]
        .as<std::string>();
    refused(table, "UPDATE " + table + " SET " + column + " = " + column + " WHERE false");
    refused(table, "TRUNCATE " + table);
    refused(table, "ALTER TABLE " + table + " DISABLE TRIGGER ALL");
  }
  pqxx::work tx(conn);
  EXPECT_NO_THROW(tx.exec("DELETE FROM cases.team_sync_pending WHERE false"));
  EXPECT_NO_THROW(tx.exec("SELECT count(*) FROM audit.access_log"));
}

}  // namespace
}  // namespace kp::test
