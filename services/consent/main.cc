// kruispunt-consent: ConsentService alone, for deployments that run each service on its own.
#include "consent/grpc/consent_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-consent",
                           "Kruispunt ConsentService (kruispunt.consent.v1): consent records and the access decision.",
                           {kp::consent::ConsentServiceModule()});
}
