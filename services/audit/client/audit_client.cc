#include "audit/client/audit_client.h"

#include "common/peer_call.h"

namespace kp::audit {

namespace v1 = kruispunt::audit::v1;

void AuditClient::RecordDecisions(std::vector<v1::AccessLogEntry> entries,
                                  std::function<void(const grpc::Status&, const std::vector<std::string>&)> done) {
  v1::RecordDecisionsRequest request;
  const auto count = entries.size();
  for (auto& e : entries) *request.add_entries() = std::move(e);
  CallPeer<v1::AuditService, v1::RecordDecisionsRequest, v1::RecordDecisionsResponse>(
      peers_, std::move(request), [](auto* async, auto... args) { async->RecordDecisions(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::RecordDecisionsResponse& response) {
        DeliverBatch(status, response.names(), count, done);
      });
}

}  // namespace kp::audit
