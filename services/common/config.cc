#include "common/config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <stdexcept>

#include "common/version.h"

namespace kp {

namespace {
struct Setting {
  const char* flag;
  const char* help;
  std::function<void(Config&, const std::string&)> set;
};

int ParseInt(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    int result = std::stoi(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
    return result;
  } catch (const std::exception&) {
    throw std::invalid_argument("--" + flag + " expects a whole number");
  }
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    if (end > start) out.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"listen", "address:port to serve gRPC on (default 127.0.0.1:50051)",
       [](Config& c, const std::string& v) { c.listen = v; }},
      {"internal-listen", "address:port to serve the internal services on, for Kruispunt's services in other "
       "processes (their --team-address etc. name it); never the public address. Empty: none (default)",
       [](Config& c, const std::string& v) { c.internal_listen = v; }},
      {"metrics-listen", "address:port to serve Prometheus metrics on (/metrics, plain HTTP); empty: none (default)",
       [](Config& c, const std::string& v) { c.metrics_listen = v; }},
      {"database-url", "PostgreSQL connection string (libpq URI or key=value), required",
       [](Config& c, const std::string& v) { c.database_url = v; }},
      {"migration-database-url", "PostgreSQL connection string of the role that owns the schemas: migrations "
       "run as it and grant --database-url's role only what the services need (README, Database roles)",
       [](Config& c, const std::string& v) { c.migration_database_url = v; }},
      {"db-pool-size", "database connections, one worker thread each (default 4)",
       [](Config& c, const std::string& v) { c.db_pool_size = ParseInt("db-pool-size", v); }},
      {"migrate", "1: apply this binary's schema migrations at start-up; 0: don't (default 1)",
       [](Config& c, const std::string& v) { c.migrate = ParseInt("migrate", v); }},
      {"max-connection-age-seconds", "close a client connection after this long, gracefully, so that clients "
       "rebalance over replicas behind a load balancer; 0: never (default 1800)",
       [](Config& c, const std::string& v) { c.max_connection_age_seconds = ParseInt("max-connection-age-seconds", v); }},
      {"migrate-only", "1: apply the migrations and the run-time role's grants, then exit (a migration job "
       "before a rollout; needs only the database settings); 0: serve (default 0)",
       [](Config& c, const std::string& v) { c.migrate_only = ParseInt("migrate-only", v); }},
      {"job", "run this maintenance job once as --migration-database-url's role, then exit, instead of serving "
       "(e.g. expire-access-log, from a scheduled job; docs/operations.md); empty: serve (default)",
       [](Config& c, const std::string& v) { c.job = v; }},
      {"access-log-retention-months", "how long the access log keeps entries: the expire-access-log job removes "
       "whole months older than this, never younger ones (default 120: choose it from your legal duties)",
       [](Config& c, const std::string& v) {
         c.access_log_retention_months = ParseInt("access-log-retention-months", v);
       }},
      {"access-log-archive-dir", "folder the expire-access-log job exports each month to before removing it "
       "(gzip, with a .sha256 file); empty: remove without an export (default)",
       [](Config& c, const std::string& v) { c.access_log_archive_dir = v; }},
      {"feed-poll-interval-ms", "how often each change-feed stream looks for new changes, in ms (default 100)",
       [](Config& c, const std::string& v) { c.feed_poll_interval_ms = ParseInt("feed-poll-interval-ms", v); }},
      {"expiry-check-seconds", "how often TeamService and ConsentService record the participations and the "
       "consents whose period ran out (default 60)",
       [](Config& c, const std::string& v) {
         c.expiry_check_seconds = ParseInt("expiry-check-seconds", v);
       }},
      {"feed-poll-max-delay-ms", "a change-feed poll that falls due while calls wait for a database worker waits "
       "for them, at most this long in ms; 0: never (default 1000)",
       [](Config& c, const std::string& v) { c.feed_poll_max_delay_ms = ParseInt("feed-poll-max-delay-ms", v); }},
      {"feed-retention-days", "the change feed serves the changes of this many days; an older cursor gets "
       "OUT_OF_RANGE (CURSOR_EXPIRED) with a cursor to start again from after re-reading the state (default 30)",
       [](Config& c, const std::string& v) { c.feed_retention_days = ParseInt("feed-retention-days", v); }},
      {"feed-stream-buffer", "changes a change-feed stream holds for a subscriber that reads slowly before it ends "
       "the stream (RESOURCE_EXHAUSTED, SLOW_SUBSCRIBER; the subscriber resumes from its cursor) (default 1000)",
       [](Config& c, const std::string& v) { c.feed_stream_buffer = ParseInt("feed-stream-buffer", v); }},
      {"feed-streams-per-organization", "change-feed streams one organisation may have open at once on this server (default 8)",
       [](Config& c, const std::string& v) {
         c.feed_streams_per_organization = ParseInt("feed-streams-per-organization", v);
       }},
      {"tls-cert", "PEM server certificate chain; with --tls-key, serve TLS",
       [](Config& c, const std::string& v) { c.tls_cert = v; }},
      {"tls-key", "PEM server private key",
       [](Config& c, const std::string& v) { c.tls_key = v; }},
      {"tls-client-ca", "PEM CA bundle; when set, clients need a certificate it signed (mTLS)",
       [](Config& c, const std::string& v) { c.tls_client_ca = v; }},
      {"allow-insecure-remote", "1: allow plaintext on a non-loopback address (default 0)",
       [](Config& c, const std::string& v) { c.allow_insecure_remote = ParseInt("allow-insecure-remote", v); }},
      {"token-issuer", "required 'iss' of bearer tokens (default kruispunt-dev)",
       [](Config& c, const std::string& v) { c.token_issuer = v; }},
      {"token-audience", "required 'aud' of bearer tokens (default kruispunt)",
       [](Config& c, const std::string& v) { c.token_audience = v; }},
      {"token-public-keys", "comma-separated PEM public key files (RSA >= 2048 or EC P-256)",
       [](Config& c, const std::string& v) { c.token_public_keys = SplitList(v); }},
      {"token-jwks", "JWKS file with the token verification keys (selected by kid)",
       [](Config& c, const std::string& v) { c.token_jwks = v; }},
      {"log-format", "text or json (default text)",
       [](Config& c, const std::string& v) { c.log_format = v; }},
      {"log-level", "trace, debug, info, warn or error (default info)",
       [](Config& c, const std::string& v) { c.log_level = v; }},
      {"shutdown-grace-seconds", "on SIGTERM/SIGINT, time for in-flight calls (default 10)",
       [](Config& c, const std::string& v) { c.shutdown_grace_seconds = ParseInt("shutdown-grace-seconds", v); }},
      {"service-token-file", "file with the JWT (role service) presented to the other Kruispunt services, required",
       [](Config& c, const std::string& v) { c.service_token_file = v; }},
      {"credentials-recheck-seconds", "seconds between looks at the token key files and the service token file: "
       "keys and a token renewed there (written elsewhere, renamed over the old file) are used without a restart (default 30)",
       [](Config& c, const std::string& v) { c.credentials_recheck_seconds = ParseInt("credentials-recheck-seconds", v); }},
      {"cases-address", "CaseService's internal address; empty: the CaseService hosted in this process",
       [](Config& c, const std::string& v) { c.cases_address = v; }},
      {"team-address", "TeamService's internal address (its --internal-listen); empty: the TeamService hosted in this process",
       [](Config& c, const std::string& v) { c.team_address = v; }},
      {"consent-address", "ConsentService's internal address; empty: the ConsentService hosted in this process",
       [](Config& c, const std::string& v) { c.consent_address = v; }},
      {"audit-address", "AuditService's internal address; empty: the AuditService hosted in this process",
       [](Config& c, const std::string& v) { c.audit_address = v; }},
      {"careplan-address", "CarePlanService's internal address; empty: the CarePlanService hosted in this process",
       [](Config& c, const std::string& v) { c.careplan_address = v; }},
      {"agreements-address", "AgreementService's internal address; empty: the AgreementService hosted in this process",
       [](Config& c, const std::string& v) { c.agreements_address = v; }},
      {"referrals-address", "ReferralService's internal address; empty: the ReferralService hosted in this process",
       [](Config& c, const std::string& v) { c.referrals_address = v; }},
      {"socialmap-address", "SocialMapService's internal address; empty: the SocialMapService hosted in this process",
       [](Config& c, const std::string& v) { c.socialmap_address = v; }},
      {"peer-tls-ca", "PEM CA bundle: reach peer services over TLS (with --tls-cert/--tls-key as client certificate)",
       [](Config& c, const std::string& v) { c.peer_tls_ca = v; }},
  };
  return settings;
}

std::string EnvName(const std::string& flag) {
  std::string name = "KRUISPUNT_";
  for (char c : flag) name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}
}  // namespace

Config ParseConfig(int argc, char** argv, const std::string& program, const std::string& summary) {
  Config config;
  for (const auto& s : Settings())
    if (const char* value = std::getenv(EnvName(s.flag).c_str())) s.set(config, value);

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      std::cout << VersionLine(program) << "\n";
      std::exit(0);
    }
    if (arg == "--help" || arg == "-h") {
      std::cout << "Usage: " << program << " [--flag=value ...]\n" << summary << "\n\nSettings:\n";
      for (const auto& s : Settings())
        std::cout << "  --" << s.flag << "  (env " << EnvName(s.flag) << ")\n      " << s.help << "\n";
      std::cout << "\nBearer tokens (JWT, RS256 or ES256) carry: iss, aud, exp (required), nbf (optional),\n"
                   "  sub = the caller's person id, org = the caller's organisation id,\n"
                   "  role = platform role: professional (default), admin (platform administrator) or service\n"
                   "  (Kruispunt's own services). The org of a professional must be an active organisation\n"
                   "  of the partner directory (TeamService).\n";
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument: " + arg);
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument("--" + name + " needs a value");
    }
    bool known = false;
    for (const auto& s : Settings()) {
      if (name == s.flag) {
        s.set(config, value);
        known = true;
      }
    }
    if (!known) throw std::invalid_argument("unknown flag --" + name + " (see --help)");
  }
  return config;
}

bool IsLoopbackAddress(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) return true;  // a socket file: this host only
  // "host:port" or "[v6]:port". The host is resolved as the server resolves it to bind: every
  // address it names must be a loopback one (a name such as "127.example.org" may name any).
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool all_loopback = found != nullptr;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all_loopback = all_loopback && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      all_loopback = all_loopback && std::memcmp(&v6->sin6_addr, &in6addr_loopback, sizeof in6addr_loopback) == 0;
    } else {
      all_loopback = false;
    }
  }
  freeaddrinfo(found);
  return all_loopback;
}

void ValidateConfig(const Config& config) {
  if (config.access_log_retention_months < 1)
    throw std::invalid_argument("--access-log-retention-months must be at least 1");
  if (config.feed_poll_interval_ms < 10 || config.feed_poll_interval_ms > 60000)
    throw std::invalid_argument("--feed-poll-interval-ms must be from 10 to 60000");
  if (config.expiry_check_seconds < 1 || config.expiry_check_seconds > 86400)
    throw std::invalid_argument("--expiry-check-seconds must be from 1 to 86400");
  if (config.feed_poll_max_delay_ms < 0 || config.feed_poll_max_delay_ms > 60000)
    throw std::invalid_argument("--feed-poll-max-delay-ms must be from 0 to 60000");
  if (config.feed_retention_days < 1 || config.feed_retention_days > 3650)
    throw std::invalid_argument("--feed-retention-days must be from 1 to 3650");
  if (config.feed_stream_buffer < 1 || config.feed_streams_per_organization < 1)
    throw std::invalid_argument("--feed-stream-buffer and --feed-streams-per-organization must be at least 1");
  if (!config.job.empty()) {  // a maintenance job runs as the owner and serves nothing
    if (config.migration_database_url.empty())
      throw std::invalid_argument("--job runs as the schemas' owner: --migration-database-url is required");
    return;
  }
  if (config.database_url.empty()) throw std::invalid_argument("--database-url is required");
  if (config.migrate_only) return;  // a migration job serves nothing: no keys, TLS or ports
  if (config.db_pool_size < 1 || config.db_pool_size > 64)
    throw std::invalid_argument("--db-pool-size must be 1..64");
  if (config.token_public_keys.empty() && config.token_jwks.empty())
    throw std::invalid_argument("token verification keys are required: --token-public-keys or --token-jwks");
  if (config.tls_cert.empty() != config.tls_key.empty())
    throw std::invalid_argument("--tls-cert and --tls-key go together");
  if (!config.tls_client_ca.empty() && config.tls_cert.empty())
    throw std::invalid_argument("--tls-client-ca needs --tls-cert and --tls-key");
  if (config.tls_cert.empty() && !IsLoopbackAddress(config.listen) && !config.allow_insecure_remote)
    throw std::invalid_argument("plaintext is only served on loopback: configure TLS or set --allow-insecure-remote=1");
  if (config.tls_cert.empty() && !config.internal_listen.empty() && !IsLoopbackAddress(config.internal_listen) &&
      !config.allow_insecure_remote)
    throw std::invalid_argument(
        "plaintext is only served on loopback (--internal-listen too): configure TLS or set --allow-insecure-remote=1");
  if (!config.internal_listen.empty() && config.internal_listen == config.listen)
    throw std::invalid_argument("--internal-listen must differ from --listen: the internal services are never public");
  if (config.service_token_file.empty())
    throw std::invalid_argument("--service-token-file is required: the services call each other with it");
  if (config.max_connection_age_seconds < 0 || config.max_connection_age_seconds > 30 * 86400)
    throw std::invalid_argument("--max-connection-age-seconds must be 0..2592000 (30 days)");
  if (config.credentials_recheck_seconds < 0)
    throw std::invalid_argument("--credentials-recheck-seconds must be 0 or more");
  if (config.log_format != "text" && config.log_format != "json")
    throw std::invalid_argument("--log-format must be text or json");
}

}  // namespace kp
