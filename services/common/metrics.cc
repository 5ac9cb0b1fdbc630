#include "common/metrics.h"

#include <prometheus/histogram.h>

namespace kp {

namespace {

// From 1 ms to 5 s: the targets are a few milliseconds at p99, and a call past 5 s is stuck.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                  0.1,   0.25,   0.5,   1,    2.5,   5};
  return buckets;
}

// gRPC's names of its status codes, as in grpc-go's and grpc-java's metrics.
const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace

ProcessMetricsRegistry::ProcessMetricsRegistry()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(prometheus::BuildCounter()
                 .Name("kruispunt_rpc_handled_total")
                 .Help("Calls answered, by method and gRPC status code")
                 .Register(*registry_)),
      call_seconds_(prometheus::BuildHistogram()
                        .Name("kruispunt_rpc_handling_seconds")
                        .Help("Time from a call's arrival to its answer, by method")
                        .Register(*registry_)),
      decisions_(prometheus::BuildCounter()
                     .Name("kruispunt_access_decisions_total")
                     .Help("Access decisions appended to the access log, by decision, ground and deny reason")
                     .Register(*registry_)),
      log_append_seconds_(prometheus::BuildHistogram()
                              .Name("kruispunt_access_log_append_seconds")
                              .Help("Time to append a batch of decisions to the access log")
                              .Register(*registry_)
                              .Add({}, LatencyBuckets())),
      broken_agreement_logs_(prometheus::BuildCounter()
                                 .Name("kruispunt_agreement_log_broken_total")
                                 .Help("Times a case's agreement log was found broken (it is then never extended)")
                                 .Register(*registry_)
                                 .Add({})),
      deferred_feed_polls_(prometheus::BuildCounter()
                               .Name("kruispunt_feed_polls_deferred_total")
                               .Help("Change-feed polls that waited because calls waited for a database worker "
                                     "(--feed-poll-max-delay-ms)")
                               .Register(*registry_)
                               .Add({})),
      access_log_months_ahead_(prometheus::BuildGauge()
                                   .Name("kruispunt_access_log_months_ahead")
                                   .Help("Months after this one (of the next 12) that the access log has partitions "
                                         "for; an entry of a month without one cannot be written")
                                   .Register(*registry_)) {}

void ProcessMetricsRegistry::ObserveCall(const std::string& method, grpc::StatusCode code, double seconds) {
  calls_.Add({{"method", method}, {"code", CodeName(code)}}).Increment();
  call_seconds_.Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

void ProcessMetricsRegistry::CountDeferredFeedPoll() { deferred_feed_polls_.Increment(); }

void ProcessMetricsRegistry::CountDecision(const std::string& decision, const std::string& ground,
                                           const std::string& deny_reason) {
  decisions_.Add({{"decision", decision}, {"ground", ground}, {"deny_reason", deny_reason}}).Increment();
}

void ProcessMetricsRegistry::ObserveLogAppend(double seconds) { log_append_seconds_.Observe(seconds); }

void ProcessMetricsRegistry::CountBrokenAgreementLog() { broken_agreement_logs_.Increment(); }

// Added on the first report: a process that does not host AuditService serves no value.
void ProcessMetricsRegistry::SetAccessLogMonthsAhead(int months) { access_log_months_ahead_.Add({}).Set(months); }

ProcessMetricsRegistry& ProcessMetrics() {
  static ProcessMetricsRegistry metrics;
  return metrics;
}

}  // namespace kp
