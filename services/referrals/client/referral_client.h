// How other services ask ReferralService for a zone's demand (SocialMapService's gap matrix),
// read the referrals' history in commit order (the change feed) and a referral's outcome (the
// care plan, noting it on a goal): one
// interface, implemented by a direct call into ReferralService's code when this process hosts it
// (referrals/grpc/referral_service.cc, LocalReferralClient) and over gRPC when it runs elsewhere
// (RemoteReferralClient).
#pragma once

#include "common/peer_call.h"
#include "kruispunt/referrals/v1/referrals_internal.grpc.pb.h"

namespace kp::referrals {

class ReferralClient {
 public:
  virtual ~ReferralClient() = default;
  virtual kruispunt::referrals::v1::CountReferralDemandResponse CountReferralDemand(
      const PeerContext& context, const kruispunt::referrals::v1::CountReferralDemandRequest& request) = 0;
  // The change feed's read of the referrals' history.
  virtual kruispunt::referrals::v1::ReadReferralChangesResponse ReadReferralChanges(
      const PeerContext& context, const kruispunt::referrals::v1::ReadReferralChangesRequest& request) = 0;
  // The care plan's read of a referral's goals and outcome.
  virtual kruispunt::referrals::v1::DescribeReferralOutcomeResponse DescribeReferralOutcome(
      const PeerContext& context, const kruispunt::referrals::v1::DescribeReferralOutcomeRequest& request) = 0;
};

class RemoteReferralClient final : public ReferralClient {
 public:
  explicit RemoteReferralClient(Peers& peers) : peers_(peers) {}
  kruispunt::referrals::v1::CountReferralDemandResponse CountReferralDemand(
      const PeerContext& context, const kruispunt::referrals::v1::CountReferralDemandRequest& request) override;
  kruispunt::referrals::v1::ReadReferralChangesResponse ReadReferralChanges(
      const PeerContext& context, const kruispunt::referrals::v1::ReadReferralChangesRequest& request) override;
  kruispunt::referrals::v1::DescribeReferralOutcomeResponse DescribeReferralOutcome(
      const PeerContext& context, const kruispunt::referrals::v1::DescribeReferralOutcomeRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::referrals
