#include "socialmap/client/socialmap_client.h"

namespace kp::socialmap {

namespace v1 = kruispunt::socialmap::v1;

v1::DescribeServiceResponse RemoteSocialMapClient::DescribeService(const PeerContext& context,
                                                                   const v1::DescribeServiceRequest& request) {
  return CallRemote<v1::SocialMapInternalService, v1::DescribeServiceRequest, v1::DescribeServiceResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.DescribeService(args...); },
      "the social map service", "SOCIALMAP_UNAVAILABLE");
}

}  // namespace kp::socialmap
