// kruispunt.audit.v1.AuditService on gRPC's callback API.
#pragma once

#include "common/module.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"

namespace kp::audit {

// What kruispuntd and kruispunt-audit host.
ServiceModule AuditServiceModule();

}  // namespace kp::audit
