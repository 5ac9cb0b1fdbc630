// Prometheus metrics, with prometheus-cpp (Debian's prometheus-cpp-dev). What code anywhere in a
// process counts (answered calls, access decisions, log appends) lives in one registry,
// ProcessMetrics(); what a server reads when it is scraped (its database pools, readiness, build,
// migrations) is the server's own (host/server.cc). A server with --metrics-listen serves both at
// /metrics on that port, never on the gRPC ports. Label values are method names, status codes and
// enum names: never an organisation, a person or a case.
#pragma once

#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace kp {

class ProcessMetricsRegistry {
 public:
  ProcessMetricsRegistry();

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // An answered call: counted by method and status code, its duration observed by method.
  void ObserveCall(const std::string& method, grpc::StatusCode code, double seconds);
  // A decision appended to the access log, by its enum names ("DECISION_PERMIT", "GROUND_OWNER",
  // "DENY_REASON_UNSPECIFIED", ...).
  void CountDecision(const std::string& decision, const std::string& ground, const std::string& deny_reason);
  // One append of decisions to the access log (one statement, however many entries).
  void ObserveLogAppend(double seconds);
  // A case's agreement log found broken (its entries do not match its chain or its head).
  void CountBrokenAgreementLog();
  // A change-feed stream's poll that waited because calls waited for a database worker.
  void CountDeferredFeedPoll();
  // How many of the next twelve months the access log has partitions for (set by the process
  // that hosts AuditService, which creates them; absent elsewhere).
  void SetAccessLogMonthsAhead(int months);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& call_seconds_;
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Histogram& log_append_seconds_;
  prometheus::Counter& broken_agreement_logs_;
  prometheus::Counter& deferred_feed_polls_;
  prometheus::Family<prometheus::Gauge>& access_log_months_ahead_;
};

ProcessMetricsRegistry& ProcessMetrics();

}  // namespace kp
