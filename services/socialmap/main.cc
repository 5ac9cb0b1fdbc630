// kruispunt-socialmap: SocialMapService alone, for deployments that run each service on its own.
#include "host/server.h"
#include "socialmap/grpc/socialmap_service.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-socialmap",
                           "Kruispunt SocialMapService (kruispunt.socialmap.v1): the social map of the first line.",
                           {kp::socialmap::SocialMapServiceModule()});
}
