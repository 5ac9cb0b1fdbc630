// How other services ask SocialMapService about a service on the map (ReferralService, before it
// sends a referral to one): one interface, implemented by a direct call into SocialMapService's
// code when this process hosts it (socialmap/grpc/socialmap_service.cc, LocalSocialMapClient) and
// over gRPC when it runs elsewhere (RemoteSocialMapClient).
#pragma once

#include "common/peer_call.h"
#include "kruispunt/socialmap/v1/socialmap_internal.grpc.pb.h"

namespace kp::socialmap {

class SocialMapClient {
 public:
  virtual ~SocialMapClient() = default;
  virtual kruispunt::socialmap::v1::DescribeServiceResponse DescribeService(
      const PeerContext& context, const kruispunt::socialmap::v1::DescribeServiceRequest& request) = 0;
};

class RemoteSocialMapClient final : public SocialMapClient {
 public:
  explicit RemoteSocialMapClient(Peers& peers) : peers_(peers) {}
  kruispunt::socialmap::v1::DescribeServiceResponse DescribeService(
      const PeerContext& context, const kruispunt::socialmap::v1::DescribeServiceRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::socialmap
