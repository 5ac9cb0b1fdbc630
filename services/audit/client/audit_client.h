// How ConsentService appends decisions to the access log: an asynchronous call to AuditService.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/peers.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"

namespace kp::audit {

class AuditClient {
 public:
  explicit AuditClient(Peers& peers) : peers_(peers) {}
  // names[i] is the log entry of entries[i].
  void RecordDecisions(std::vector<kruispunt::audit::v1::AccessLogEntry> entries,
                       std::function<void(const grpc::Status&, const std::vector<std::string>& names)> done);

 private:
  Peers& peers_;
};

}  // namespace kp::audit
