#include "cases/client/case_client.h"

namespace kp::cases {

namespace v1 = kruispunt::cases::v1;

v1::DescribeCaseClientResponse RemoteCaseClient::DescribeCaseClient(const PeerContext& context,
                                                                    const v1::DescribeCaseClientRequest& request) {
  return CallRemote<v1::CaseInternalService, v1::DescribeCaseClientRequest, v1::DescribeCaseClientResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.DescribeCaseClient(args...); },
      "the case service", "CASES_UNAVAILABLE");
}

}  // namespace kp::cases
