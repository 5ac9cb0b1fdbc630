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

}  // namespace kp
