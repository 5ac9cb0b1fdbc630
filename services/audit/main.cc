// kruispunt-audit: AuditService alone, for deployments that run each service on its own.
#include "audit/grpc/audit_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-audit",
                           "Kruispunt AuditService (kruispunt.audit.v1): the access log.",
                           {kp::audit::AuditServiceModule()});
}
