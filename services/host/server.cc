#include "host/server.h"

#include <absl/synchronization/mutex.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "grpc/health/v1/health.pb.h"
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <iostream>
#include <set>

#include "common/files.h"
#include "audit/client/audit_client.h"
#include "agreements/client/agreement_client.h"
#include "careplan/client/careplan_client.h"
#include "cases/client/case_client.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/version.h"
#include "consent/client/consent_client.h"
#include "host/unparseable_requests.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "referrals/client/referral_client.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "socialmap/client/socialmap_client.h"

namespace kp {

namespace {
// TLS from files gRPC watches: a certificate and key (and client CA) renewed in their files, by
// writing new ones and renaming them over the old, are served from the next handshake on, within
// --credentials-recheck-seconds, without a restart. Connections already open keep their session.
std::shared_ptr<grpc::ServerCredentials> Credentials(const Config& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  // Unreadable files are refused at start-up rather than at the first handshake.
  ReadFileToString(config.tls_key);
  ReadFileToString(config.tls_cert);
  if (!config.tls_client_ca.empty()) ReadFileToString(config.tls_client_ca);
  const auto recheck = static_cast<unsigned>(std::max(1, config.credentials_recheck_seconds));
  auto files = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      config.tls_key, config.tls_cert, config.tls_client_ca, recheck);
  grpc::experimental::TlsServerCredentialsOptions options(files);
  options.watch_identity_key_cert_pairs();
  if (config.tls_client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

// Peers over TLS, verified against --peer-tls-ca (and presenting --tls-cert/--tls-key where the
// peer asks for a client certificate), from files gRPC watches as the server's own above: a
// renewed CA bundle or certificate is used from the next handshake on, without a restart.
std::shared_ptr<grpc::ChannelCredentials> PeerCredentials(const Config& config) {
  if (config.peer_tls_ca.empty()) return grpc::InsecureChannelCredentials();
  ReadFileToString(config.peer_tls_ca);
  const auto recheck = static_cast<unsigned>(std::max(1, config.credentials_recheck_seconds));
  grpc::experimental::TlsChannelCredentialsOptions options;
  if (config.tls_cert.empty()) {
    options.set_certificate_provider(
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(config.peer_tls_ca, recheck));
  } else {
    options.set_certificate_provider(std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.tls_key, config.tls_cert, config.peer_tls_ca, recheck));
    options.watch_identity_key_cert_pairs();
  }
  options.watch_root_certs();
  // The peer's certificate must name the host of its address (--team-address etc.).
  options.set_certificate_verifier(std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> Interceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UnparseableRequestsFactory>());
  return interceptors;
}

// The database may still be starting (a fresh deployment): wait a little for it.
std::unique_ptr<pqxx::connection> ConnectWithPatience(const std::string& url) {
  for (int attempt = 1;; ++attempt) {
    try {
      return std::make_unique<pqxx::connection>(url);
    } catch (const pqxx::broken_connection&) {
      if (attempt >= 30) throw std::runtime_error("database unreachable after 30 attempts");
      spdlog::warn("database not reachable yet, attempt={}", attempt);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}
}  // namespace

ServerApp::ServerApp(Config config, std::vector<ServiceModule> modules)
    : config_(std::move(config)), modules_(std::move(modules)) {}

ServerApp::~ServerApp() { Shutdown(); }

int ServerApp::Start() {
  RequirePeerAddresses();
  const std::chrono::seconds recheck_credentials(config_.credentials_recheck_seconds);
  auth_ = std::make_unique<Authenticator>(TokenKeyFiles{config_.token_public_keys, config_.token_jwks},
                                          JwtExpectations{config_.token_issuer, config_.token_audience},
                                          recheck_credentials);
  if (config_.migrate) Migrate();
  std::vector<PreparedStatement> statements;
  for (const auto& module : modules_)
    statements.insert(statements.end(), module.statements.begin(), module.statements.end());
  pool_ = std::make_unique<DbPool>(config_.database_url, config_.db_pool_size, statements);
  internal_pool_ = std::make_unique<DbPool>(config_.database_url, kInternalPoolSize, statements);
  peers_ = std::make_unique<Peers>(config_.service_token_file, recheck_credentials);
  ConnectPeers();
  gate_ = std::make_unique<team::DirectoryGate>(*clients_.team, *pool_);
  runtime_ = Runtime{auth_.get(), pool_.get(), internal_pool_.get(), gate_.get(), &clients_, &stopping_, &config_};

  grpc::EnableDefaultHealthCheckService(true);
  // Reflection lists the health service gRPC implements without a descriptor of its own: naming
  // its generated descriptor here links it into the binary, so that reflection can describe it
  // too (and a client such as `kruispunt services` or `buf curl --list-methods` lists its methods).
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.listen, Credentials(config_), &port);
  // What a connection that never speaks can cost: it is closed after 10 s without a completed
  // handshake (gRPC's default is 120 s), and the memory gRPC takes for connections has a bound.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
  builder.SetResourceQuota(grpc::ResourceQuota("kruispunt").Resize(kGrpcMemoryBytes));
  builder.experimental().SetInterceptorCreators(Interceptors());
  // Behind a load balancer a client keeps its connection, and so its replica, for ever; closing
  // connections after an age (GOAWAY, then the calls in flight get the shutdown grace) lets
  // clients spread over replicas added since.
  if (config_.max_connection_age_seconds > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, config_.max_connection_age_seconds * 1000);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, config_.shutdown_grace_seconds * 1000);
  }
  for (auto& module : modules_) {
    services_.push_back(module.make_service(runtime_));
    builder.RegisterService(services_.back().get());
  }
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) throw std::runtime_error("cannot listen on " + config_.listen);
  StartInternalServer();
  // "liveness" answers SERVING while the process answers at all, whatever the database does: an
  // orchestrator's liveness probe asks it, so that a database outage makes pods unready (the
  // other names follow the database) without restarting them.
  server_->GetHealthCheckService()->SetServingStatus(std::string(kLivenessService), true);
  probe_ = std::make_unique<DatabaseProbe>(config_.database_url);
  StartMetrics();  // after the probe it reads
  // Readiness is known before Start returns: the first probe's answer, or down after its bound.
  while (probe_->Now() == DatabaseProbe::State::kUnknown) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  UpdateReadiness();
  watcher_ = std::thread([this] { WatchDatabase(); });
  spdlog::info("serving address={} port={} internal_port={} services={} tls={} mtls={}", config_.listen, port,
               internal_port_, modules_.size(), !config_.tls_cert.empty(), !config_.tls_client_ca.empty());
  return port;
}

// The internal services get a server of their own on another port, so that the public port does
// not serve them at all and reflection there does not list them; a network policy lets only the
// peers reach this port. Its calls still need the service token (Callers::kServices).
void ServerApp::StartInternalServer() {
  if (config_.internal_listen.empty()) {
    // Right for kruispuntd; a single-service binary without it is unreachable for its peers.
    spdlog::info("internal services not served: no --internal-listen");
    return;
  }
  grpc::ServerBuilder builder;
  int registered = 0;
  for (auto& module : modules_) {
    if (!module.make_internal_service) continue;
    services_.push_back(module.make_internal_service(runtime_));
    builder.RegisterService(services_.back().get());
    ++registered;
  }
  if (registered == 0) return;
  builder.AddListeningPort(config_.internal_listen, Credentials(config_), &internal_port_);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
  builder.SetResourceQuota(grpc::ResourceQuota("kruispunt-internal").Resize(kGrpcMemoryBytes / 4));
  builder.experimental().SetInterceptorCreators(Interceptors());
  internal_server_ = builder.BuildAndStart();
  if (!internal_server_ || internal_port_ == 0)
    throw std::runtime_error("cannot listen on " + config_.internal_listen);
}

// Prometheus scrapes /metrics on a port of its own: what the process counted, and what this
// server reads of itself at scrape time.
void ServerApp::StartMetrics() {
  if (config_.metrics_listen.empty()) return;
  exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics_listen);
  exposer_->RegisterCollectable(ProcessMetrics().registry());
  server_metrics_ = std::make_shared<ServerMetrics>([this] {
    ServerState state;
    state.pools = {{"requests", pool_->CurrentLoad()}, {"internal", internal_pool_->CurrentLoad()}};
    state.database_up = probe_ && probe_->Now() == DatabaseProbe::State::kUp;
    state.migrations = migrations_;
    return state;
  });
  exposer_->RegisterCollectable(server_metrics_);
  spdlog::info("metrics address={} port={}", config_.metrics_listen, metrics_port());
}

int ServerApp::metrics_port() const {
  if (!exposer_) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

// Migrations run as the schemas' owner. With a separate owner role, the run-time role (the one of
// --database-url) is then granted only what the services need, so that it cannot change or remove
// history even by hand (README, Database roles).
void ServerApp::Migrate() {
  const bool separate_owner = !config_.migration_database_url.empty();
  auto owner = ConnectWithPatience(separate_owner ? config_.migration_database_url : config_.database_url);
  try {
    for (const auto& module : modules_)
      if (module.migrations) {
        ApplyMigrations(*owner, *module.migrations);
        migrations_[module.migrations->schema] = static_cast<int>(module.migrations->migrations.size());
      }
  } catch (const pqxx::insufficient_privilege&) {
    throw std::runtime_error(std::string("the migrations' role may not change the schemas: ") +
                             (separate_owner ? "--migration-database-url must be the role that owns them"
                                             : "give the owner's connection in --migration-database-url, or "
                                               "--migrate 0 when a migration job runs them") +
                             " (README, Database roles)");
  }
  if (!separate_owner) {
    spdlog::warn("the server runs as the role that owns its schemas: history is protected by triggers only; "
                 "set --migration-database-url (README, Database roles)");
    return;
  }
  const std::string run_time_role = [&] {
    auto conn = ConnectWithPatience(config_.database_url);
    pqxx::nontransaction tx(*conn);
    return tx.exec1("SELECT current_user")[0].as<std::string>();
  }();
  for (const auto& module : modules_)
    if (module.migrations) GrantRunTimePrivileges(*owner, module.migrations->schema, run_time_role);
}

const std::vector<PeerAddressSetting>& PeerAddressSettings() {
  static const std::vector<PeerAddressSetting> settings = {
      {kruispunt::cases::v1::CaseService::service_full_name(), kruispunt::cases::v1::CaseInternalService::service_full_name(),
       &Config::cases_address, "--cases-address",
       [](PeerClients& clients, Peers& peers) { clients.cases = std::make_shared<cases::RemoteCaseClient>(peers); }},
      {team::v1::TeamService::service_full_name(), team::v1::TeamInternalService::service_full_name(),
       &Config::team_address, "--team-address",
       [](PeerClients& clients, Peers& peers) { clients.team = std::make_shared<team::RemoteTeamClient>(peers); }},
      {kruispunt::consent::v1::ConsentService::service_full_name(),
       kruispunt::consent::v1::ConsentInternalService::service_full_name(), &Config::consent_address,
       "--consent-address",
       [](PeerClients& clients, Peers& peers) { clients.consent = std::make_shared<consent::RemoteConsentClient>(peers); }},
      {kruispunt::audit::v1::AuditService::service_full_name(),
       kruispunt::audit::v1::AuditInternalService::service_full_name(), &Config::audit_address, "--audit-address",
       [](PeerClients& clients, Peers& peers) { clients.audit = std::make_shared<audit::RemoteAuditClient>(peers); }},
      {kruispunt::careplan::v1::CarePlanService::service_full_name(),
       kruispunt::careplan::v1::CarePlanInternalService::service_full_name(), &Config::careplan_address,
       "--careplan-address", [](PeerClients& clients, Peers& peers) {
         clients.careplan = std::make_shared<careplan::RemoteCarePlanClient>(peers);
       }},
      {kruispunt::agreements::v1::AgreementService::service_full_name(),
       kruispunt::agreements::v1::AgreementInternalService::service_full_name(), &Config::agreements_address,
       "--agreements-address", [](PeerClients& clients, Peers& peers) {
         clients.agreements = std::make_shared<agreements::RemoteAgreementClient>(peers);
       }},
      {kruispunt::referrals::v1::ReferralService::service_full_name(),
       kruispunt::referrals::v1::ReferralInternalService::service_full_name(), &Config::referrals_address,
       "--referrals-address", [](PeerClients& clients, Peers& peers) {
         clients.referrals = std::make_shared<referrals::RemoteReferralClient>(peers);
       }},
      {kruispunt::socialmap::v1::SocialMapService::service_full_name(),
       kruispunt::socialmap::v1::SocialMapInternalService::service_full_name(), &Config::socialmap_address,
       "--socialmap-address", [](PeerClients& clients, Peers& peers) {
         clients.socialmap = std::make_shared<socialmap::RemoteSocialMapClient>(peers);
       }}};
  return settings;
}

// A peer that is neither hosted here nor given an address would fail every call that needs it
// (UNAVAILABLE): refuse to start instead, naming the setting. Every process needs TeamService
// (the organisation gate asks it).
void ServerApp::RequirePeerAddresses() const {
  std::set<std::string> needed = {team::v1::TeamService::service_full_name()};
  for (const auto& module : modules_) needed.insert(module.peers.begin(), module.peers.end());
  for (const auto& module : modules_) needed.erase(module.full_name);
  std::string missing;
  for (const auto& peer : PeerAddressSettings())
    if (needed.count(peer.service) && (config_.*peer.address).empty())
      missing += (missing.empty() ? "" : ", ") + peer.flag + " (" + peer.service + ")";
  if (!missing.empty())
    throw std::runtime_error("services called from this process are not hosted in it: set " + missing);
}

// A service hosted here is called directly (its module's local client); one elsewhere over gRPC
// at its configured address.
void ServerApp::ConnectPeers() {
  for (const auto& module : modules_)
    if (module.provide_local) module.provide_local(clients_);
  const auto credentials = PeerCredentials(config_);
  // gRPC backs off reconnecting to a lost peer up to 120 s, so a peer back after a long outage could
  // stay unreachable for two more minutes; every access waits for AuditService and TeamService.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(Peers::kReconnectAtMost.count()));
  for (const auto& peer : PeerAddressSettings()) {
    if ((config_.*peer.address).empty() || Hosts(peer.service)) continue;
    peers_->Set(peer.internal_service, grpc::CreateCustomChannel(config_.*peer.address, credentials, arguments));
    peer.connect_remote(clients_, *peers_);
  }
}

bool ServerApp::Hosts(const std::string& service) const {
  for (const auto& module : modules_)
    if (module.full_name == service) return true;
  return false;
}

// Readiness: NOT_SERVING while the database does not answer, so that a load balancer or
// orchestrator stops sending traffic; SERVING again as soon as it does.
void ServerApp::UpdateReadiness() {
  const auto now = probe_->Now();
  if (now == readiness_ || now == DatabaseProbe::State::kUnknown) return;
  const bool up = now == DatabaseProbe::State::kUp;
  for (auto* server : {server_.get(), internal_server_.get()}) {
    if (!server) continue;
    auto* health = server->GetHealthCheckService();
    health->SetServingStatus("", up);
    for (const auto& module : modules_) health->SetServingStatus(module.full_name, up);
  }
  if (readiness_ != DatabaseProbe::State::kUnknown || !up) spdlog::warn("readiness database_up={}", up);
  readiness_ = now;
}

void ServerApp::WatchDatabase() {
  auto next_trim = std::chrono::steady_clock::now() + kTrimEvery;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stopping_) break;
    UpdateReadiness();
    // Memory freed after a burst of connections (15,000 connects and closes: +320 MB) stays with
    // glibc's allocator, scattered between live blocks where its own trimming never reaches;
    // malloc_trim gives the free pages back (to +60 MB). A few milliseconds every 10 s.
    if (std::chrono::steady_clock::now() >= next_trim) {
      malloc_trim(0);
      next_trim = std::chrono::steady_clock::now() + kTrimEvery;
    }
  }
}

void ServerApp::Shutdown() {
  if (stopping_.exchange(true) || !pool_) return;  // stopped already, or never started
  if (watcher_.joinable()) watcher_.join();
  exposer_.reset();  // no scrape reads what is stopped below
  probe_.reset();
  if (server_) {
    for (auto* server : {server_.get(), internal_server_.get()})
      if (server) server->GetHealthCheckService()->Shutdown();
    // The grace period bounds the whole shutdown: when it is over, gRPC cancels the calls still in
    // flight and their work in the database is ended too (a call stuck on a lock or on a hung
    // PostgreSQL would otherwise hold the process, and commit later what its client saw fail).
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(config_.shutdown_grace_seconds);
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    std::thread interrupter([&] {
      std::unique_lock lock(mutex);
      if (!done.wait_until(lock, deadline, [&] { return finished; })) InterruptDatabaseWork();
    });
    // The public port first: while its calls finish, peers may still need this process's
    // internal services.
    server_->Shutdown(deadline);
    if (internal_server_) internal_server_->Shutdown(deadline);
    {
      std::lock_guard lock(mutex);
      finished = true;
    }
    done.notify_all();
    interrupter.join();
    InterruptDatabaseWork();  // what gRPC's cancellation left running
  }
  if (pool_) pool_->Stop();
  if (internal_pool_) internal_pool_->Stop();
  spdlog::info("stopped");
}

void ServerApp::InterruptDatabaseWork() {
  std::size_t interrupted = 0;
  for (auto* pool : {pool_.get(), internal_pool_.get()})
    if (pool) interrupted += pool->InterruptRunning();
  if (interrupted > 0)
    spdlog::warn("shutdown_interrupted calls={}: the grace period was over; their statements were cancelled and "
                 "their transactions rolled back, unless a commit was already on its way",
                 interrupted);
}

namespace {

// --job NAME: the job of that name of one of the hosted services, on the owner's connection.
int RunMaintenanceJob(const Config& config, const std::vector<ServiceModule>& modules) {
  std::string known;
  for (const auto& module : modules)
    for (const auto& job : module.jobs) {
      if (job.name != config.job) {
        known += "\n  " + job.name + ": " + job.summary;
        continue;
      }
      try {
        pqxx::connection owner(config.migration_database_url);
        spdlog::info("job_started job={}", job.name);
        job.run(owner, config);
        spdlog::info("job_done job={}", job.name);
        spdlog::shutdown();
        return 0;
      } catch (const std::exception& e) {
        spdlog::critical("job_failed job={} error={}", job.name, e.what());
        spdlog::shutdown();
        return 1;
      }
    }
  std::cerr << "--job: no job '" << config.job << "' here; this program has:" << (known.empty() ? " none" : known)
            << "\n";
  return 2;
}

}  // namespace

int RunServerMain(int argc, char** argv, const std::string& program, const std::string& summary,
                  std::vector<ServiceModule> modules) {
  Config config;
  try {
    config = ParseConfig(argc, argv, program, summary);
    ValidateConfig(config);
  } catch (const std::invalid_argument& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  }
  InitLogging(config.log_format, config.log_level);
  spdlog::info("starting {}", VersionLine(program));
  // gRPC's mutexes are absl's, whose deadlock detection (on in Debian's build) keeps a lock graph
  // on every acquisition: a few percent of a busy server's CPU (perf, bench/run.sh partner-get).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread; this one waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!config.job.empty()) return RunMaintenanceJob(config, modules);
  ServerApp app(config, std::move(modules));
  if (config.migrate_only) {
    try {
      app.MigrateOnly();
    } catch (const std::exception& e) {
      spdlog::critical("migration failed: {}", e.what());
      return 1;
    }
    spdlog::info("migrated; exiting (--migrate-only)");
    spdlog::default_logger()->flush();
    return 0;
  }
  try {
    app.Start();
  } catch (const std::exception& e) {
    spdlog::critical("start-up failed: {}", e.what());
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal={} shutting down, grace_seconds={}", received, config.shutdown_grace_seconds);
  app.Shutdown();
  spdlog::shutdown();  // flushes the buffered log
  return 0;
}

}  // namespace kp
