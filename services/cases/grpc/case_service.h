// kruispunt.cases.v1.CaseService on gRPC's callback API. Each method validates, decides access
// and calls the repository through kp::ServeUnary.
#pragma once

#include "common/module.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"

namespace kp::cases {

// What kruispuntd and kruispunt-cases host.
ServiceModule CaseServiceModule();

}  // namespace kp::cases
