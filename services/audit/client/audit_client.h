// How ConsentService appends decisions to the access log: one interface, implemented by a direct
// call into AuditService's code when this process hosts it (audit/grpc/audit_service.cc,
// LocalAuditClient: the insert runs on the decision's own connection) and over gRPC when it runs
// elsewhere (RemoteAuditClient).
#pragma once

#include "common/peer_call.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"
#include "kruispunt/audit/v1/audit_internal.grpc.pb.h"

namespace kp::audit {

class AuditClient {
 public:
  virtual ~AuditClient() = default;
  // names(i) is the log entry of entries(i); the entries are written when this returns.
  virtual kruispunt::audit::v1::RecordDecisionsResponse RecordDecisions(
      const PeerContext& context, const kruispunt::audit::v1::RecordDecisionsRequest& request) = 0;
};

class RemoteAuditClient final : public AuditClient {
 public:
  explicit RemoteAuditClient(Peers& peers) : peers_(peers) {}
  kruispunt::audit::v1::RecordDecisionsResponse RecordDecisions(
      const PeerContext& context, const kruispunt::audit::v1::RecordDecisionsRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::audit
