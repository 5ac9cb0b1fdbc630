// kruispunt-team: TeamService alone, for deployments that run each service on its own.
#include "host/server.h"
#include "team/grpc/team_service.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-team",
                           "Kruispunt TeamService (kruispunt.team.v1): partner organisations, people, case teams.",
                           {kp::team::TeamServiceModule()});
}
