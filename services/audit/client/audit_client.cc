#include "audit/client/audit_client.h"

namespace kp::audit {

namespace v1 = kruispunt::audit::v1;

v1::RecordDecisionsResponse RemoteAuditClient::RecordDecisions(const PeerContext& context,
                                                               const v1::RecordDecisionsRequest& request) {
  return CallRemote<v1::AuditInternalService, v1::RecordDecisionsRequest, v1::RecordDecisionsResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.RecordDecisions(args...); },
      "the audit service", "AUDIT_UNAVAILABLE");
}

}  // namespace kp::audit
