#include "host/server_metrics.h"

#include "common/version.h"

namespace kp {

namespace {

prometheus::MetricFamily Gauges(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void Add(prometheus::MetricFamily& family, std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

}  // namespace

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  const ServerState state = read_();
  auto connections = Gauges("kruispunt_db_pool_connections", "Database connections of a pool (one worker each)");
  auto busy = Gauges("kruispunt_db_pool_busy", "Workers of a pool running a job now");
  auto waiting = Gauges("kruispunt_db_pool_waiting", "Jobs waiting for a worker of a pool");
  for (const auto& [pool, load] : state.pools) {
    Add(connections, {{"pool", pool}}, static_cast<double>(load.connections));
    Add(busy, {{"pool", pool}}, static_cast<double>(load.busy));
    Add(waiting, {{"pool", pool}}, static_cast<double>(load.queued));
  }
  auto up = Gauges("kruispunt_database_up", "1 while the database answers the readiness probe");
  Add(up, {}, state.database_up ? 1 : 0);
  auto migrations = Gauges("kruispunt_migrations_applied", "Migrations of a schema applied when the server started");
  for (const auto& [schema, count] : state.migrations) Add(migrations, {{"schema", schema}}, count);
  auto build = Gauges("kruispunt_build_info", "The running build: always 1, with its version and commit");
  Add(build, {{"version", Version()}, {"commit", Commit()}}, 1);
  return {connections, busy, waiting, up, migrations, build};
}

}  // namespace kp
