// kruispunt-cases: CaseService alone, for deployments that run each service on its own.
#include "cases/grpc/case_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-cases",
                           "Kruispunt CaseService (kruispunt.cases.v1): clients and their cases.",
                           {kp::cases::CaseServiceModule()});
}
