#include "careplan/client/careplan_client.h"

namespace kp::careplan {

namespace v1 = kruispunt::careplan::v1;

std::vector<bool> GoalsExist(CarePlanClient& careplan, const PeerContext& context, const std::string& case_id,
                             const std::vector<std::string>& goal_ids) {
  if (goal_ids.empty()) return {};
  v1::DescribeGoalsRequest request;
  request.set_parent("cases/" + case_id);
  for (const auto& id : goal_ids) request.add_goals("cases/" + case_id + "/goals/" + id);
  const auto response = careplan.DescribeGoals(context, request);
  RequireOneAnswerEach(response.exists_size(), goal_ids.size(), "the care plan service");
  return {response.exists().begin(), response.exists().end()};
}

v1::DescribeGoalsResponse RemoteCarePlanClient::DescribeGoals(const PeerContext& context,
                                                              const v1::DescribeGoalsRequest& request) {
  return CallRemote<v1::CarePlanInternalService, v1::DescribeGoalsRequest, v1::DescribeGoalsResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.DescribeGoals(args...); },
      "the care plan service", "CAREPLAN_UNAVAILABLE");
}

v1::ReadPlanChangesResponse RemoteCarePlanClient::ReadPlanChanges(const PeerContext& context,
                                                                  const v1::ReadPlanChangesRequest& request) {
  return CallRemote<v1::CarePlanInternalService, v1::ReadPlanChangesRequest, v1::ReadPlanChangesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ReadPlanChanges(args...); },
      "the care plan service", "CAREPLAN_UNAVAILABLE");
}

}  // namespace kp::careplan
