// kruispuntd: every Kruispunt service in one process (a laptop, a test run, a small deployment).
// The services call each other directly (each one's local client), on the request's own worker.
#include "agreements/grpc/agreement_service.h"
#include "audit/grpc/audit_service.h"
#include "careplan/grpc/careplan_service.h"
#include "cases/grpc/case_service.h"
#include "consent/grpc/consent_service.h"
#include "feed/grpc/feed_service.h"
#include "host/server.h"
#include "referrals/grpc/referral_service.h"
#include "socialmap/grpc/socialmap_service.h"
#include "team/grpc/team_service.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispuntd", "Kruispunt: every service in one process.",
                           {kp::cases::CaseServiceModule(), kp::team::TeamServiceModule(),
                            kp::consent::ConsentServiceModule(), kp::audit::AuditServiceModule(),
                            kp::careplan::CarePlanServiceModule(), kp::agreements::AgreementServiceModule(),
                            kp::feed::FeedServiceModule(), kp::socialmap::SocialMapServiceModule(),
                            kp::referrals::ReferralServiceModule()});
}
