// How other services ask AgreementService for its log in commit order (the change feed): one
// interface, implemented by a direct call into AgreementService's code when this process hosts it
// (agreements/grpc/agreement_service.cc, LocalAgreementClient) and over gRPC when it runs
// elsewhere (RemoteAgreementClient).
#pragma once

#include "common/peer_call.h"
#include "kruispunt/agreements/v1/agreements.grpc.pb.h"
#include "kruispunt/agreements/v1/agreements_internal.grpc.pb.h"

namespace kp::agreements {

class AgreementClient {
 public:
  virtual ~AgreementClient() = default;
  virtual kruispunt::agreements::v1::ReadLogChangesResponse ReadLogChanges(
      const PeerContext& context, const kruispunt::agreements::v1::ReadLogChangesRequest& request) = 0;
};

class RemoteAgreementClient final : public AgreementClient {
 public:
  explicit RemoteAgreementClient(Peers& peers) : peers_(peers) {}
  kruispunt::agreements::v1::ReadLogChangesResponse ReadLogChanges(
      const PeerContext& context, const kruispunt::agreements::v1::ReadLogChangesRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::agreements
