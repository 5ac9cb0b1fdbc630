// How other services ask ConsentService for access decisions: one asynchronous call for many
// questions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/peers.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"

namespace kp::consent {

// A question about a case's data, asked for a caller of `rpc` (logged with the request id).
kruispunt::consent::v1::AccessQuestion CaseQuestion(const std::string& case_id, const std::string& org,
                                                    const std::string& person,
                                                    kruispunt::consent::v1::DataCategory category,
                                                    kruispunt::consent::v1::Action action, const std::string& rpc,
                                                    const std::string& request_id);

class ConsentClient {
 public:
  explicit ConsentClient(Peers& peers) : peers_(peers) {}
  // decisions[i] answers questions[i].
  void BatchCheckAccess(
      std::vector<kruispunt::consent::v1::AccessQuestion> questions,
      std::function<void(const grpc::Status&, const std::vector<kruispunt::consent::v1::AccessDecision>&)> done);

  // The status for the caller when ConsentService could not decide.
  static grpc::Status ForCaller(const grpc::Status& status);

 private:
  Peers& peers_;
};

}  // namespace kp::consent
