// kruispunt-referrals: ReferralService alone, for deployments that run each service on its own.
#include "host/server.h"
#include "referrals/grpc/referral_service.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-referrals",
                           "Kruispunt ReferralService (kruispunt.referrals.v1): a case's referrals.",
                           {kp::referrals::ReferralServiceModule()});
}
