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
    "consent.expiries",
    "audit.access_log", "audit.access_log_expiries", "careplan.changes", "careplan.evaluations", "agreements.log", "agreements.versions",
    "referrals.changes", "referrals.unmet_needs"};

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
  // A partition of the access log, truncated on its own, fires its own triggers only: each has
  // its guard (audit.create_access_log_partition).
  const auto partitions = pqxx::nontransaction(conn).exec(
      "SELECT relid::regclass::text FROM pg_partition_tree('audit.access_log') WHERE isleaf");
  ASSERT_GE(partitions.size(), 4u) << "this month's partition and the next three";
  for (const auto& partition : partitions) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("TRUNCATE " + partition[0].as<std::string>()), pqxx::insufficient_privilege)
        << partition[0].as<std::string>();
    tx.abort();
  }
}

// The role the services run as cannot change or remove history at all, not even where no trigger
// would fire (a DELETE that matches nothing), nor switch the triggers off or drop them, nor date
// an entry back: it was granted SELECT and INSERT there, and owns nothing. It can still do its work on the tables that
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
             "WHERE p.proname = 'refuse_change' AND p.pronamespace = c.relnamespace AND NOT c.relispartition"))
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
        .exec_params1("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
                      "AND attidentity = '' ORDER BY attnum LIMIT 1", table)[0]
        .as<std::string>();
    refused(table, "UPDATE " + table + " SET " + column + " = " + column + " WHERE false");
    refused(table, "TRUNCATE " + table);
    refused(table, "ALTER TABLE " + table + " DISABLE TRIGGER ALL");
  }
  // Nor can it reach the access log's partitions but through the log, drop one, create one for a
  // month of its choosing, or read the record of the months that left the log (the owner's).
  const std::string partition =
      pqxx::nontransaction(conn).exec1("SELECT 'audit.' || audit.access_log_partition_name(now())")[0]
          .as<std::string>();
  refused(partition, "SELECT count(*) FROM " + partition);
  refused(partition, "DROP TABLE " + partition);
  refused(partition, "ALTER TABLE audit.access_log DETACH PARTITION " + partition);
  refused(partition, "SELECT audit.create_access_log_partition(now() - interval '5 years')");
  refused("audit.access_log_expiries", "SELECT count(*) FROM audit.access_log_expiries");
  {  // Nor place an agreement log entry in an older transaction, behind the readers' cursors.
    pqxx::work tx(conn);
    EXPECT_TRUE(tx.exec1("WITH e AS (INSERT INTO agreements.log (case_id, sequence, kind, agreement_id, version, "
                         "event_time, canonical, previous_hash, hash, transaction_id) VALUES (gen_random_uuid(), 1, "
                         "1, gen_random_uuid(), 1, now(), '{}', '', '', '1') RETURNING transaction_id) "
                         "SELECT transaction_id = pg_current_xact_id() FROM e")[0]
                    .as<bool>());
    tx.abort();
  }
  {  // Nor a care plan's history entry.
    pqxx::work tx(conn);
    EXPECT_TRUE(tx.exec1("WITH c AS (INSERT INTO careplan.changes (case_id, revision, organization, person, target, "
                         "kind, snapshot, transaction_id) VALUES (gen_random_uuid(), 1, 'o', 'p', 't', 1, '{}', '1') "
                         "RETURNING transaction_id) SELECT transaction_id = pg_current_xact_id() FROM c")[0]
                    .as<bool>());
    tx.abort();
  }
  {  // Nor a consent or its expiry, nor a team's history entry (of a case made up in the same transaction).
    pqxx::work tx(conn);
    EXPECT_TRUE(tx.exec1("WITH c AS (INSERT INTO consent.consents (case_id, granted_by, grantor_role, recipient_orgs, "
                         "categories, purpose, method, verified_by, verification_note, legal_basis, recorded_by_org, "
                         "transaction_id) VALUES (gen_random_uuid(), gen_random_uuid(), 1, '{o}', 2, 1, 1, 'p', 'n', 1, "
                         "'o', '1') RETURNING case_id, consent_id, transaction_id), "
                         "x AS (INSERT INTO consent.expiries (case_id, consent_id, expire_time, transaction_id) "
                         "SELECT case_id, consent_id, now(), '1' FROM c RETURNING transaction_id) "
                         "SELECT bool_and(transaction_id = pg_current_xact_id()) FROM (SELECT transaction_id FROM c "
                         "UNION ALL SELECT transaction_id FROM x) t")[0]
                    .as<bool>());
    EXPECT_TRUE(tx.exec1("WITH k AS (INSERT INTO team.cases (case_id, owner_org, client_id, case_state) "
                         "VALUES (gen_random_uuid(), 'o', gen_random_uuid(), 1) RETURNING case_id), "
                         "t AS (INSERT INTO team.team_changes (case_id, participant_id, kind, role, changed_by_org, "
                         "changed_by_person, transaction_id) SELECT case_id, gen_random_uuid(), 1, 1, 'o', 'p', '1' "
                         "FROM k RETURNING transaction_id) SELECT transaction_id = pg_current_xact_id() FROM t")[0]
                    .as<bool>());
    tx.abort();
  }
  {  // Nor date a referral or its change back (the gap matrix counts referrals by when they were
     // sent) or place the change in an older transaction, nor erase a referral.
    pqxx::work tx(conn);
    EXPECT_TRUE(tx.exec1("WITH r AS (INSERT INTO referrals.referrals (case_id, referring_org, referring_person, "
                         "receiving_org, kind, question, life_domain, shared_categories, answer_days, due_date, "
                         "create_time) VALUES (gen_random_uuid(), 'o', 'p', 'r', 1, 'q', 1, 4, 2, current_date, "
                         "now() - interval '1 year') RETURNING case_id, referral_id, create_time), "
                         "c AS (INSERT INTO referrals.changes (case_id, referral_id, revision, status, outcome, on_hold, "
                         "due_date, by_org, by_person, change_time, transaction_id) SELECT case_id, referral_id, 1, 1, 0, "
                         "false, current_date, 'o', 'p', now() - interval '1 year', '1' FROM r "
                         "RETURNING change_time, transaction_id) "
                         "SELECT change_time = now() AND transaction_id = pg_current_xact_id() "
                         "AND (SELECT create_time FROM r) = now() FROM c")[0]
                    .as<bool>());
    EXPECT_THROW(tx.exec("UPDATE referrals.referrals SET create_time = create_time - interval '1 year' "
                         "WHERE referring_org = 'o'"),
                 pqxx::insufficient_privilege);
    tx.abort();
  }
  {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("DELETE FROM referrals.referrals WHERE false"), pqxx::insufficient_privilege);
    tx.abort();
  }
  pqxx::work tx(conn);
  EXPECT_NO_THROW(tx.exec("DELETE FROM cases.team_sync_pending WHERE false"));
  EXPECT_EQ(tx.exec1("SELECT audit.create_access_log_partitions_ahead()")[0].as<int>(), 0)
      << "the migrations made them, and the server at start";
  EXPECT_NO_THROW(tx.exec("SELECT count(*) FROM audit.access_log"));
}

// A case's data can be spread over several PostgreSQL nodes by case (Citus, docs/operations.md):
// every table that holds a case's data has case_id in its primary key and in every unique key, so
// that no rule needs two nodes. The tables without case_id are the directory, clients and
// idempotency keys, named here; a new table must join one group or the other.
TEST(CaseData, EveryTableOfACaseIsKeyedByItsCase) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  pqxx::connection conn(Harness::Get().database_url());
  pqxx::nontransaction tx(conn);
  const std::set<std::string> kWithoutCase = {
      "cases.clients",       "team.organizations",    "team.people",          "cases.request_ids",
      "team.request_ids",    "consent.request_ids",   "careplan.request_ids", "agreements.request_ids",
      "audit.access_log_expiries", "socialmap.services", "socialmap.request_ids",
      "socialmap.zones", "referrals.request_ids"};
  const auto tables = tx.exec(
      "SELECT n.nspname || '.' || c.relname, "
      "       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'case_id') "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND n.nspname IN ('cases', 'team', 'consent', 'audit', 'careplan', 'agreements', 'socialmap', 'referrals')");
  ASSERT_GT(tables.size(), 20u);
  for (const auto& table : tables) {
    const auto name = table[0].as<std::string>();
    if (!table[1].as<bool>()) {
      EXPECT_TRUE(kWithoutCase.count(name)) << name << " holds no case_id: is it a case's data?";
      continue;
    }
    const auto keys = tx.exec_params(
        "SELECT n.nspname || '.' || i.relname, x.indisprimary, "
        "       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = x.indrelid AND a.attname = 'case_id' "
        "               AND a.attnum = ANY (x.indkey)) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
        "WHERE x.indrelid = $1::regclass AND x.indisunique",
        name);
    bool has_primary_key = false;
    for (const auto& key : keys) {
      has_primary_key = has_primary_key || key[1].as<bool>();
      if (!key[2].as<bool>())
        ADD_FAILURE() << name << ": unique key " << key[0].as<std::string>() << " does not include case_id";
    }
    EXPECT_TRUE(has_primary_key) << name;
  }
}

}  // namespace
}  // namespace kp::test
