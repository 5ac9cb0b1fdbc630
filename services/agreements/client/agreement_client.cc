#include "agreements/client/agreement_client.h"

namespace kp::agreements {

namespace v1 = kruispunt::agreements::v1;

v1::ReadLogChangesResponse RemoteAgreementClient::ReadLogChanges(const PeerContext& context,
                                                                 const v1::ReadLogChangesRequest& request) {
  return CallRemote<v1::AgreementInternalService, v1::ReadLogChangesRequest, v1::ReadLogChangesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ReadLogChanges(args...); },
      "the agreement service", "AGREEMENTS_UNAVAILABLE");
}

}  // namespace kp::agreements
