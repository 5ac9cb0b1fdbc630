#include "consent/client/consent_client.h"

#include "common/peer_call.h"

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

void ConsentClient::BatchCheckAccess(
    std::vector<v1::AccessQuestion> questions,
    std::function<void(const grpc::Status&, const std::vector<v1::AccessDecision>&)> done) {
  v1::BatchCheckAccessRequest request;
  const auto count = questions.size();
  for (auto& q : questions) *request.add_questions() = std::move(q);
  CallPeer<v1::ConsentService, v1::BatchCheckAccessRequest, v1::BatchCheckAccessResponse>(
      peers_, std::move(request), [](auto* async, auto... args) { async->BatchCheckAccess(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::BatchCheckAccessResponse& response) {
        DeliverBatch(status, response.decisions(), count, done);
      });
}

grpc::Status ConsentClient::ForCaller(const grpc::Status& status) {
  return PeerStatusForCaller(status, "the consent service", "CONSENT_UNAVAILABLE");
}

}  // namespace kp::consent
