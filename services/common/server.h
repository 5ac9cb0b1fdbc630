// Hosting services in a process: keys, database pool, migrations, TLS, health and reflection,
// readiness from the database, graceful shutdown. kruispuntd and every single-service binary
// are a list of ServiceModules handed to RunServer.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/db_pool.h"
#include "common/migrations.h"
#include "common/rpc.h"

namespace kp {

// What one service contributes to a process.
struct ServiceModule {
  std::string full_name;  // e.g. "kruispunt.cases.v1.CaseService", also its health check name
  const MigrationSet* migrations;
  std::vector<PreparedStatement> statements;
  std::function<std::unique_ptr<grpc::Service>(Runtime&)> make_service;
};

// A running server; the integration tests start one in-process on an ephemeral port.
class ServerApp {
 public:
  ServerApp(Config config, std::vector<ServiceModule> modules);
  ~ServerApp();
  // Applies migrations, opens the pool, starts listening. Returns the bound port.
  int Start();
  // Stops accepting calls, lets in-flight calls finish (up to the grace period), stops workers.
  void Shutdown();
  grpc::Server* server() { return server_.get(); }

 private:
  void ProbeDatabase();
  void WatchDatabase();

  Config config_;
  std::vector<ServiceModule> modules_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<DbPool> pool_;
  Runtime runtime_{};
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<pqxx::connection> probe_conn_;  // used by ProbeDatabase only
  int last_probe_ = -1;                           // -1 unknown, 0 down, 1 up
  std::thread watcher_;
};

// main() of every server binary: parse settings, log, serve until SIGTERM or SIGINT.
int RunServerMain(int argc, char** argv, const std::string& program, const std::string& summary,
                  std::vector<ServiceModule> modules);

}  // namespace kp
