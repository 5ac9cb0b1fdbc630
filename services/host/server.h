// Hosting services in a process: keys, database pool, migrations, TLS, health and reflection,
// channels to the peer services and the organisation gate, readiness from the database,
// graceful shutdown. kruispuntd and every single-service binary are a list of ServiceModules
// handed to RunServerMain.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <prometheus/exposer.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/db_pool.h"
#include "common/module.h"
#include "host/database_probe.h"
#include "host/server_metrics.h"
#include "team/client/team_client.h"

namespace kp {

// The health service name that reports only that the process answers (for liveness probes).
inline constexpr std::string_view kLivenessService = "liveness";

// A running server; the integration tests start one in-process on an ephemeral port.
class ServerApp {
 public:
  ServerApp(Config config, std::vector<ServiceModule> modules);
  ~ServerApp();
  // Applies migrations, opens the pool, starts listening. Returns the bound port.
  int Start();
  // Applies the migrations and the run-time role's grants, and serves nothing (--migrate-only).
  void MigrateOnly() { Migrate(); }
  // Stops accepting calls, lets in-flight calls finish (up to the grace period), stops workers.
  void Shutdown();
  grpc::Server* server() { return server_.get(); }
  // The internal services' port (Config::internal_listen), 0 when not served.
  int internal_port() const { return internal_port_; }
  // The metrics port (Config::metrics_listen), 0 when not served.
  int metrics_port() const;

 private:
  void StartInternalServer();
  void StartMetrics();
  void UpdateReadiness();
  void InterruptDatabaseWork();
  void WatchDatabase();

  void RequirePeerAddresses() const;
  void Migrate();
  void ConnectPeers();
  bool Hosts(const std::string& service) const;

  // Workers for the methods only Kruispunt's services call (Callers::kServices): few, as each
  // call is short and asks no other process.
  static constexpr int kInternalPoolSize = 2;
  // The memory gRPC may take for connections and their buffers.
  static constexpr std::size_t kGrpcMemoryBytes = 256u << 20;
  // How often freed memory is given back to the system (see WatchDatabase).
  static constexpr std::chrono::seconds kTrimEvery{10};

  Config config_;
  std::vector<ServiceModule> modules_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<DbPool> internal_pool_;
  std::unique_ptr<Peers> peers_;
  PeerClients clients_;
  std::unique_ptr<team::DirectoryGate> gate_;
  Runtime runtime_{};
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> internal_server_;
  int internal_port_ = 0;
  std::map<std::string, int> migrations_;  // schema -> migrations applied at start
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<ServerMetrics> server_metrics_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<DatabaseProbe> probe_;
  DatabaseProbe::State readiness_ = DatabaseProbe::State::kUnknown;  // as health reports it
  std::thread watcher_;
};

// The settings that give a process the address of a peer service it does not host.
struct PeerAddressSetting {
  std::string service;           // full name, e.g. "kruispunt.team.v1.TeamService"
  std::string internal_service;  // the one its peers call, e.g. "kruispunt.team.v1.TeamInternalService"
  std::string Config::*address;  // e.g. &Config::team_address
  std::string flag;              // e.g. "--team-address"
  // Sets the service's remote client (once its channel is in `peers`).
  std::function<void(PeerClients&, Peers&)> connect_remote;
};
const std::vector<PeerAddressSetting>& PeerAddressSettings();

// main() of every server binary: parse settings, log, serve until SIGTERM or SIGINT.
int RunServerMain(int argc, char** argv, const std::string& program, const std::string& summary,
                  std::vector<ServiceModule> modules);

}  // namespace kp
