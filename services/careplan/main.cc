// kruispunt-careplan: CarePlanService alone, for deployments that run each service on its own.
#include "careplan/grpc/careplan_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-careplan",
                           "Kruispunt CarePlanService (kruispunt.careplan.v1): goal-oriented care plans.",
                           {kp::careplan::CarePlanServiceModule()});
}
