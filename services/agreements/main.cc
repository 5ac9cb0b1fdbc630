// kruispunt-agreements: AgreementService alone, for deployments that run each service on its own.
#include "agreements/grpc/agreement_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-agreements",
                           "Kruispunt AgreementService (kruispunt.agreements.v1): afspraken and their verifiable log.",
                           {kp::agreements::AgreementServiceModule()});
}
