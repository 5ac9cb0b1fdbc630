#include "referrals/client/referral_client.h"

namespace kp::referrals {

namespace v1 = kruispunt::referrals::v1;

v1::CountReferralDemandResponse RemoteReferralClient::CountReferralDemand(
    const PeerContext& context, const v1::CountReferralDemandRequest& request) {
  return CallRemote<v1::ReferralInternalService, v1::CountReferralDemandRequest, v1::CountReferralDemandResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.CountReferralDemand(args...); },
      "the referral service", "REFERRALS_UNAVAILABLE");
}

v1::ReadReferralChangesResponse RemoteReferralClient::ReadReferralChanges(
    const PeerContext& context, const v1::ReadReferralChangesRequest& request) {
  return CallRemote<v1::ReferralInternalService, v1::ReadReferralChangesRequest, v1::ReadReferralChangesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ReadReferralChanges(args...); },
      "the referral service", "REFERRALS_UNAVAILABLE");
}

v1::DescribeReferralOutcomeResponse RemoteReferralClient::DescribeReferralOutcome(
    const PeerContext& context, const v1::DescribeReferralOutcomeRequest& request) {
  return CallRemote<v1::ReferralInternalService, v1::DescribeReferralOutcomeRequest,
                    v1::DescribeReferralOutcomeResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.DescribeReferralOutcome(args...); },
      "the referral service", "REFERRALS_UNAVAILABLE");
}

}  // namespace kp::referrals
