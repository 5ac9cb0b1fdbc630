#include "consent/client/consent_client.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

v1::AccessQuestion CaseQuestion(const std::string& case_id, const std::string& org, const std::string& person,
                                v1::DataCategory category, v1::Action action, const std::string& rpc,
                                const std::string& request_id) {
  v1::AccessQuestion q;
  q.set_case_("cases/" + case_id);
  q.mutable_subject()->set_organization(org);
  q.mutable_subject()->set_person(person);
  q.set_category(category);
  q.set_action(action);
  q.set_purpose(v1::PURPOSE_CARE_COORDINATION);
  q.set_rpc(rpc);
  q.set_request_id(request_id);
  return q;
}

v1::BatchCheckAccessResponse RemoteConsentClient::BatchCheckAccess(const PeerContext& context,
                                                                   const v1::BatchCheckAccessRequest& request) {
  return CallRemote<v1::ConsentInternalService, v1::BatchCheckAccessRequest, v1::BatchCheckAccessResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.BatchCheckAccess(args...); },
      "the consent service", "CONSENT_UNAVAILABLE");
}

v1::ReadConsentChangesResponse RemoteConsentClient::ReadConsentChanges(const PeerContext& context,
                                                                      const v1::ReadConsentChangesRequest& request) {
  return CallRemote<v1::ConsentInternalService, v1::ReadConsentChangesRequest, v1::ReadConsentChangesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ReadConsentChanges(args...); },
      "the consent service", "CONSENT_UNAVAILABLE");
}

}  // namespace kp::consent
