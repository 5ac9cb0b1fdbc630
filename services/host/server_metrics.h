// What a server reports about itself when it is scraped: its database pools, whether its database
// answers, its build and its schemas' migrations. Read at scrape time, so never stale; the
// counters code adds to as it runs are ProcessMetrics()'s (common/metrics.h).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/db_pool.h"

namespace kp {

struct ServerState {
  std::vector<std::pair<std::string, DbPool::Load>> pools;  // by name: "requests", "internal"
  bool database_up = false;
  std::map<std::string, int> migrations;                   // schema -> migrations applied (known at start)
};

class ServerMetrics : public prometheus::Collectable {
 public:
  explicit ServerMetrics(std::function<ServerState()> read) : read_(std::move(read)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<ServerState()> read_;
};

}  // namespace kp
