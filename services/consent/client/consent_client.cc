#include "consent/client/consent_client.h"

#include "common/peer_call.h"

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

void ConsentClient::BatchCheckAccess(
    std::vector<v1::AccessQuestion> questions,
    std::function<void(const grpc::Status&, const std::vector<v1::AccessDecision>&)> done) {
  v1::BatchCheckAccessRequest request;
  const auto count = questions.size();
  for (auto& q : questions) *request.add_questions() = std::move(q);
  CallPeer<v1::ConsentService, v1::BatchCheckAccessRequest, v1::BatchCheckAccessResponse>(
      peers_, std::move(request), [](auto* async, auto... args) { async->BatchCheckAccess(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::BatchCheckAccessResponse& response) {
        if (status.ok() && static_cast<std::size_t>(response.decisions_size()) != count) {
          done(grpc::Status(grpc::StatusCode::INTERNAL, "ConsentService answered the wrong number of questions"), {});
          return;
        }
        done(status, std::vector<v1::AccessDecision>(response.decisions().begin(), response.decisions().end()));
      });
}

grpc::Status ConsentClient::ForCaller(const grpc::Status& status) {
  return PeerStatusForCaller(status, "the consent service", "CONSENT_UNAVAILABLE");
}

}  // namespace kp::consent
