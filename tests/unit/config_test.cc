// The settings' checks that need no server: which listen addresses count as this host only,
// where the internal services may be served, and what a maintenance job needs.
#include <gtest/gtest.h>

#include "common/config.h"

namespace kp {
namespace {

// Plaintext is served only where nobody else can connect: the address is resolved as the server
// resolves it to bind, not read as a string (a name beginning with "127." may name any host).
TEST(LoopbackAddress, IsDecidedByTheResolvedAddressesNotTheText) {
  for (const char* listen : {"127.0.0.1:50051", "127.1.2.3:1", "[::1]:50051", "localhost:50051", "unix:/run/kp.sock"})
    EXPECT_TRUE(IsLoopbackAddress(listen)) << listen;
  for (const char* listen : {"0.0.0.0:50051", "10.1.2.3:50051", "[::]:50051", "127.0.0.1.example.invalid:50051",
                             "127.evil.invalid:1", "50051", ":50051", "127.0.0.1"})
    EXPECT_FALSE(IsLoopbackAddress(listen)) << listen;
}

// The internal services are never on the public port, and plaintext is refused off loopback
// there as on the public port.
TEST(InternalListen, IsAnotherPortAndPlaintextOnlyOnLoopback) {
  Config config;
  config.database_url = "postgresql:///kruispunt";
  config.token_public_keys = {"key.pem"};
  config.service_token_file = "service.jwt";
  config.internal_listen = "127.0.0.1:50061";
  EXPECT_NO_THROW(ValidateConfig(config));
  config.internal_listen = config.listen;
  EXPECT_THROW(ValidateConfig(config), std::invalid_argument);
  config.internal_listen = "10.1.2.3:50061";
  EXPECT_THROW(ValidateConfig(config), std::invalid_argument);
  config.allow_insecure_remote = 1;
  EXPECT_NO_THROW(ValidateConfig(config));
}

// A maintenance job runs as the schemas' owner and needs nothing a server needs; the access log's
// retention is at least a month, whatever runs.
TEST(MaintenanceJob, NeedsTheOwnersUrlAndARetentionOfAMonthOrMore) {
  Config config;
  config.job = "expire-access-log";
  EXPECT_THROW(ValidateConfig(config), std::invalid_argument) << "no --migration-database-url";
  config.migration_database_url = "postgresql:///kruispunt";
  EXPECT_NO_THROW(ValidateConfig(config)) << "no --database-url, keys or ports needed";
  config.access_log_retention_months = 0;
  EXPECT_THROW(ValidateConfig(config), std::invalid_argument);
  config.access_log_retention_months = 1;
  EXPECT_NO_THROW(ValidateConfig(config));
}

// A feed poll may wait for calls up to a minute, or never (0).
TEST(FeedSettings, APollWaitsForCallsFromNeverToAMinute) {
  Config config;
  config.database_url = "postgresql:///kruispunt";
  config.token_public_keys = {"key.pem"};
  config.service_token_file = "service.jwt";
  for (const int ms : {0, 1000, 60000}) {
    config.feed_poll_max_delay_ms = ms;
    EXPECT_NO_THROW(ValidateConfig(config)) << ms;
  }
  for (const int ms : {-1, 60001}) {
    config.feed_poll_max_delay_ms = ms;
    EXPECT_THROW(ValidateConfig(config), std::invalid_argument) << ms;
  }
}

}  // namespace
}  // namespace kp
