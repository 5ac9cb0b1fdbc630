#include "careplan/client/careplan_client.h"

#include "common/peer_call.h"

namespace kp::careplan {

namespace v1 = kruispunt::careplan::v1;

void CarePlanClient::GoalsExist(const std::string& case_id, const std::vector<std::string>& goal_ids,
                                std::function<void(const grpc::Status&, const std::vector<bool>&)> done) {
  v1::DescribeGoalsRequest request;
  request.set_parent("cases/" + case_id);
  for (const auto& id : goal_ids) request.add_goals("cases/" + case_id + "/goals/" + id);
  const auto count = goal_ids.size();
  CallPeer<v1::CarePlanService, v1::DescribeGoalsRequest, v1::DescribeGoalsResponse>(
      peers_, std::move(request), [](auto* async, auto... args) { async->DescribeGoals(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::DescribeGoalsResponse& response) {
        DeliverBatch(status, response.exists(), count, done);
      });
}

grpc::Status CarePlanClient::ForCaller(const grpc::Status& status) {
  return PeerStatusForCaller(status, "the care plan service", "CAREPLAN_UNAVAILABLE");
}

}  // namespace kp::careplan
