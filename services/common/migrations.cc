#include "common/migrations.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <thread>

#include "common/sha256.h"

namespace kp {

namespace {
constexpr long kMigrationLockKey = 0x4b50'4d49'4752;  // "KPMIGR"

// Runs one transaction of the start-up steps again when PostgreSQL rolled it back to break a
// deadlock: another process's catalogue change (a server of another service starting, the access
// log's partitions created ahead) may lock catalogue rows in the other order. Rolled back, the
// step is safe to repeat.
template <class Step>
auto RetriedAfterADeadlock(const Step& step) {
  for (int attempt = 1;; ++attempt) {
    try {
      return step();
    } catch (const pqxx::deadlock_detected&) {
      if (attempt == 5) throw;
      spdlog::warn("start-up step rolled back by a deadlock; attempt={} of 5", attempt + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
  }
}
}  // namespace

static int ApplyMigrationsOnce(pqxx::connection& conn, const MigrationSet& set) {
  pqxx::work tx(conn);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS public.kruispunt_migrations ("
      " schema_name text NOT NULL, name text NOT NULL, sha256 text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now(),"
      " CONSTRAINT kruispunt_migrations_pkey PRIMARY KEY (schema_name, name))");
  const auto applied = tx.exec_params(
      "SELECT name, sha256 FROM public.kruispunt_migrations WHERE schema_name = $1", set.schema);
  std::map<std::string, std::string> done;
  for (const auto& row : applied) done[row[0].as<std::string>()] = row[1].as<std::string>();

  int count = 0;
  for (const auto& migration : set.migrations) {
    const std::string sha = Sha256Hex(migration.sql);
    auto it = done.find(migration.name);
    if (it != done.end()) {
      if (it->second != sha)
        throw std::runtime_error("migration " + set.schema + "/" + migration.name +
                                 " was changed after it was applied");
      continue;
    }
    tx.exec(migration.sql);
    tx.exec_params("INSERT INTO public.kruispunt_migrations (schema_name, name, sha256) VALUES ($1, $2, $3)",
                   set.schema, migration.name, sha);
    spdlog::info("migration applied schema={} name={}", set.schema, migration.name);
    ++count;
  }
  tx.commit();
  return count;
}

static void GrantRunTimePrivilegesOnce(pqxx::connection& owner, const std::string& schema,
                                       const std::string& run_time_role) {
  pqxx::work tx(owner);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
  if (tx.exec1("SELECT current_user")[0].as<std::string>() == run_time_role)
    throw std::runtime_error("the run-time database role '" + run_time_role +
                             "' is the role that owns the schemas; give the server a role of its own "
                             "(README, Database roles)");
  // GRANT takes no parameters: the names are quoted as identifiers. They come from the server's
  // configuration and the catalogue, never from a request.
  const std::string role = tx.quote_name(run_time_role);
  const std::string ns = tx.quote_name(schema);
  tx.exec("REVOKE ALL ON ALL TABLES IN SCHEMA " + ns + " FROM " + role);
  tx.exec("GRANT USAGE ON SCHEMA " + ns + " TO " + role);
  tx.exec("GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + ns + " TO " + role);
  const auto tables = tx.exec_params(
      "SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
      "                          WHERE t.tgrelid = c.oid AND p.proname = 'refuse_change'"
      "                            AND p.pronamespace = c.relnamespace) AS history"
      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
      "   AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'Owner only:%'"
      " ORDER BY c.relname",
      schema);
  // The functions that run with the owner's rights (SECURITY DEFINER) are the ones the run-time
  // role is meant to call, e.g. creating the access log's partitions ahead; the others it need not.
  const auto functions = tx.exec_params(
      "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
      " WHERE n.nspname = $1 AND p.prosecdef ORDER BY 1", schema);
  for (const auto& row : functions)
    tx.exec("GRANT EXECUTE ON FUNCTION " + row[0].as<std::string>() + " TO " + role);
  for (const auto& row : tables) {
    const bool history = row[1].as<bool>();
    tx.exec(std::string("GRANT ") + (history ? "SELECT, INSERT" : "SELECT, INSERT, UPDATE, DELETE") + " ON " + ns +
            "." + tx.quote_name(row[0].as<std::string>()) + " TO " + role);
  }
  tx.commit();
}

int ApplyMigrations(pqxx::connection& conn, const MigrationSet& set) {
  return RetriedAfterADeadlock([&] { return ApplyMigrationsOnce(conn, set); });
}

void GrantRunTimePrivileges(pqxx::connection& owner, const std::string& schema, const std::string& run_time_role) {
  RetriedAfterADeadlock([&] { GrantRunTimePrivilegesOnce(owner, schema, run_time_role); });
}

}  // namespace kp
