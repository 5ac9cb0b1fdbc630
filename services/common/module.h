// What one service contributes to a process; kruispuntd and each single-service binary are a
// list of these handed to kp::RunServerMain (services/host).
#pragma once

#include <grpcpp/impl/codegen/service_type.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/db_pool.h"
#include "common/migrations.h"
#include "common/rpc.h"

namespace kp {

// A maintenance task an operator runs with `--job NAME` instead of serving (from a scheduled job):
// once, on a connection of the schemas' owner (--migration-database-url); the process then exits.
// It throws on failure (the process exits 1).
struct MaintenanceJob {
  std::string name, summary;
  std::function<void(pqxx::connection& owner, const Config& config)> run;
};

// What one service contributes to a process.
struct ServiceModule {
  std::string full_name;  // e.g. "kruispunt.cases.v1.CaseService", also its health check name
  const MigrationSet* migrations;
  std::vector<PreparedStatement> statements;
  std::function<std::unique_ptr<grpc::Service>(Runtime&)> make_service;
  // The services it calls (full names). Each must be hosted in the same process or have its
  // address configured, or the process refuses to start.
  std::vector<std::string> peers;
  // Sets the local implementation of its client interface, for the other services of a process
  // that hosts it (null: no other service calls it).
  std::function<void(PeerClients&)> provide_local;
  // The service through which Kruispunt's other services call it from another process, served
  // only on the internal port (Config::internal_listen); null for a service no other service calls.
  std::function<std::unique_ptr<grpc::Service>(Runtime&)> make_internal_service;
  std::vector<MaintenanceJob> jobs;
};

}  // namespace kp
