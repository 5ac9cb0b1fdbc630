// kruispunt.consent.v1.ConsentService on gRPC's callback API.
#pragma once

#include "common/module.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"

namespace kp::consent {

// What kruispuntd and kruispunt-consent host.
ServiceModule ConsentServiceModule();

}  // namespace kp::consent
