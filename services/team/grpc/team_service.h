// kruispunt.team.v1.TeamService on gRPC's callback API: validate, decide from the caller's
// standing in the team, and call the repository through kp::ServeUnary.
#pragma once

#include "common/module.h"
#include "kruispunt/team/v1/team.grpc.pb.h"

namespace kp::team {

// What kruispuntd and kruispunt-team host.
ServiceModule TeamServiceModule();

}  // namespace kp::team
