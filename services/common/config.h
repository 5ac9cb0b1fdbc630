// Settings of a Kruispunt server: command-line flags, each with an environment variable
// KRUISPUNT_<NAME> (upper case, '-' -> '_'). A flag wins over the environment.
#pragma once

#include <string>
#include <vector>

namespace kp {

struct Config {
  std::string listen = "127.0.0.1:50051";
  // Where the internal services (the methods only Kruispunt's own services call) are served, for
  // the services of other processes; empty: not served (a process that hosts every service its
  // peers need calls them directly).
  std::string internal_listen;
  // Where Prometheus scrapes /metrics (plain HTTP, no personal data); empty: no metrics endpoint.
  std::string metrics_listen;
  std::string database_url;
  // The schemas' owner, for migrations; empty: the migrations run as database_url's role, and only
  // the triggers protect history (the server warns). Set, the run-time role gets only the
  // privileges it needs (GrantRunTimePrivileges) and must be another role.
  std::string migration_database_url;
  int db_pool_size = 4;
  int migrate = 1;  // apply this binary's migrations at start-up
  int migrate_only = 0;  // apply them (and the grants), then exit: a migration job
  // A maintenance job to run once as the schemas' owner (migration_database_url) instead of
  // serving, e.g. "expire-access-log"; empty: serve. Each service lists its jobs (ServiceModule).
  std::string job;
  // How long the access log keeps its entries, in months: the operator's choice from its legal
  // duties (docs/operations.md). Only the expire-access-log job removes older months, whole.
  int access_log_retention_months = 120;
  // Where that job exports each month before removing it (gzip, with a .sha256 beside it); empty:
  // the months are removed without an export.
  std::string access_log_archive_dir;
  // The change feed's streams (FeedService.WatchChanges): how often each looks for new changes,
  // how many changes one may hold for a subscriber that reads slowly before it ends (the subscriber
  // resumes from its cursor), and how many one organisation may have open on this server.
  int feed_poll_interval_ms = 100;
  // How often TeamService and ConsentService record the participations and consents whose period
  // ran out (the change feed reports each as the end of an organisation's access), in seconds.
  int expiry_check_seconds = 60;
  // A stream's poll that falls due while calls wait for a database worker waits for them, at most
  // this long (0: never): under load the feed's deliveries slow down, not the writes.
  int feed_poll_max_delay_ms = 1000;
  // The change feed serves the changes of this many days: an older cursor is refused
  // (OUT_OF_RANGE, CURSOR_EXPIRED) and the reader starts again from the current state.
  int feed_retention_days = 30;
  int feed_stream_buffer = 1000;
  int feed_streams_per_organization = 8;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;  // set: clients must present a certificate it signed (mTLS)
  int allow_insecure_remote = 0;
  std::string token_issuer = "kruispunt-dev";
  std::string token_audience = "kruispunt";
  std::vector<std::string> token_public_keys;  // PEM files
  std::string token_jwks;                      // a JWKS file
  std::string log_format = "text";
  std::string log_level = "info";
  int shutdown_grace_seconds = 10;
  // A client connection is closed (gracefully: its calls finish) after this long, so that
  // clients spread over replicas added later instead of sticking to the first; 0: never.
  int max_connection_age_seconds = 1800;
  std::string service_token_file;  // the JWT (role "service") this process presents to its peers
  // How often the token key files and the service token file are looked at again (they may be
  // renewed while the server runs).
  int credentials_recheck_seconds = 30;
  // Addresses of peer services not hosted in this process (empty: hosted here).
  std::string cases_address, team_address, consent_address, audit_address, careplan_address, agreements_address,
      referrals_address, socialmap_address;
  std::string peer_tls_ca;         // set: peers are reached over TLS, verified against this CA
};

// Parses argv and the environment. Prints help and exits 0 on --help (the version on --version); throws
// std::invalid_argument with a readable message on a bad flag or value.
Config ParseConfig(int argc, char** argv, const std::string& program, const std::string& summary);

// Checks combinations (a listen address off loopback needs TLS or an explicit opt-in, ...).
void ValidateConfig(const Config& config);

// Whether a listen address serves this host only: a unix socket, or a host every address of which
// (resolved as the server resolves it to bind) is a loopback address.
bool IsLoopbackAddress(const std::string& listen);

}  // namespace kp
