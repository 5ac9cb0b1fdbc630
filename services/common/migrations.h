// Numbered SQL migrations per service schema, recorded in kruispunt_migrations. Safe to run twice
// and from two processes at once: an advisory lock serialises runners.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace kp {

struct Migration {
  std::string name;  // "0001_init.sql": the number orders them
  std::string sql;
};

struct MigrationSet {
  std::string schema;
  std::vector<Migration> migrations;
};

// Applies the migrations not yet recorded; returns how many it applied. Throws if a recorded
// migration's text has changed since it was applied (a migration is never edited once shipped).
int ApplyMigrations(pqxx::connection& conn, const MigrationSet& set);

// Gives the run-time role (the one the services connect as) exactly what it needs in the set's
// schema, on a connection of the role that owns it: SELECT and INSERT on every table, UPDATE and
// DELETE only on tables that are not history. History is every table whose rows a trigger calling
// the schema's refuse_change() protects, so the two rules are written once, in the migrations.
// Never TRUNCATE, REFERENCES or TRIGGER, and no ownership: the run-time role cannot drop or
// disable the append-only triggers either. Not on a table's partitions (reached through it only),
// nor on a table whose comment begins "Owner only:". EXECUTE on the schema's SECURITY DEFINER
// functions, the ones meant for it. Idempotent (revokes first); throws when the run-time role is
// the owner itself, where privileges would protect nothing.
void GrantRunTimePrivileges(pqxx::connection& owner, const std::string& schema, const std::string& run_time_role);

}  // namespace kp
