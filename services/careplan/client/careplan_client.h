// How other services ask CarePlanService about goals: asynchronous calls over the peer channel
// with the service token, so that no thread waits for the answer. In kruispuntd the channel is
// the server's in-process channel.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/peers.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"

namespace kp::careplan {

class CarePlanClient {
 public:
  explicit CarePlanClient(Peers& peers) : peers_(peers) {}

  // exists[i] tells whether the case has the goal goal_ids[i].
  void GoalsExist(const std::string& case_id, const std::vector<std::string>& goal_ids,
                  std::function<void(const grpc::Status&, const std::vector<bool>& exists)> done);

  // The status to give a caller when a call to CarePlanService failed: its own answer (with its
  // details), or UNAVAILABLE CAREPLAN_UNAVAILABLE when it did not answer or refused the service
  // token.
  static grpc::Status ForCaller(const grpc::Status& status);

 private:
  Peers& peers_;
};

}  // namespace kp::careplan
