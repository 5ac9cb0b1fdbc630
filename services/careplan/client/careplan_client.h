// How other services ask CarePlanService about goals (AgreementService) and read the plans'
// history in commit order (the change feed): one interface, implemented by a direct call
// into CarePlanService's code when this process hosts it (careplan/grpc/careplan_service.cc,
// LocalCarePlanClient) and over gRPC when it runs elsewhere (RemoteCarePlanClient).
#pragma once

#include <string>
#include <vector>

#include "common/peer_call.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"
#include "kruispunt/careplan/v1/careplan_internal.grpc.pb.h"

namespace kp::careplan {

class CarePlanClient {
 public:
  virtual ~CarePlanClient() = default;
  // exists(i) tells whether the case has goals(i).
  virtual kruispunt::careplan::v1::DescribeGoalsResponse DescribeGoals(
      const PeerContext& context, const kruispunt::careplan::v1::DescribeGoalsRequest& request) = 0;
  virtual kruispunt::careplan::v1::ReadPlanChangesResponse ReadPlanChanges(
      const PeerContext& context, const kruispunt::careplan::v1::ReadPlanChangesRequest& request) = 0;
};

// exists[i] tells whether the case has the goal goal_ids[i].
std::vector<bool> GoalsExist(CarePlanClient& careplan, const PeerContext& context, const std::string& case_id,
                             const std::vector<std::string>& goal_ids);

class RemoteCarePlanClient final : public CarePlanClient {
 public:
  explicit RemoteCarePlanClient(Peers& peers) : peers_(peers) {}
  kruispunt::careplan::v1::DescribeGoalsResponse DescribeGoals(
      const PeerContext& context, const kruispunt::careplan::v1::DescribeGoalsRequest& request) override;
  kruispunt::careplan::v1::ReadPlanChangesResponse ReadPlanChanges(
      const PeerContext& context, const kruispunt::careplan::v1::ReadPlanChangesRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::careplan
