// How other services ask CaseService about a case's client (ReferralService, for a referral's
// receiver): one interface, implemented by a direct call into CaseService's code when this process
// hosts it (cases/grpc/case_service.cc, LocalCaseClient) and over gRPC when it runs elsewhere
// (RemoteCaseClient).
#pragma once

#include "common/peer_call.h"
#include "kruispunt/cases/v1/cases_internal.grpc.pb.h"

namespace kp::cases {

class CaseClient {
 public:
  virtual ~CaseClient() = default;
  virtual kruispunt::cases::v1::DescribeCaseClientResponse DescribeCaseClient(
      const PeerContext& context, const kruispunt::cases::v1::DescribeCaseClientRequest& request) = 0;
};

class RemoteCaseClient final : public CaseClient {
 public:
  explicit RemoteCaseClient(Peers& peers) : peers_(peers) {}
  kruispunt::cases::v1::DescribeCaseClientResponse DescribeCaseClient(
      const PeerContext& context, const kruispunt::cases::v1::DescribeCaseClientRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::cases
