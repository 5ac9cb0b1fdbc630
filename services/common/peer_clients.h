// The other services as this process reaches them: each is a client interface (services/<service>/
// client/) whose implementation is local when the service is hosted in this process (a direct call
// into its code) and remote when it runs elsewhere (gRPC). The host sets them once at start-up;
// null for a service this process neither hosts nor was given the address of (its ServiceModule
// did not declare it as a peer).
#pragma once

#include <memory>

namespace kp {
namespace cases { class CaseClient; }
namespace team { class TeamClient; }
namespace consent { class ConsentClient; }
namespace audit { class AuditClient; }
namespace careplan { class CarePlanClient; }
namespace agreements { class AgreementClient; }
namespace referrals { class ReferralClient; }
namespace socialmap { class SocialMapClient; }

struct PeerClients {
  std::shared_ptr<cases::CaseClient> cases;
  std::shared_ptr<team::TeamClient> team;
  std::shared_ptr<consent::ConsentClient> consent;
  std::shared_ptr<audit::AuditClient> audit;
  std::shared_ptr<careplan::CarePlanClient> careplan;
  std::shared_ptr<agreements::AgreementClient> agreements;
  std::shared_ptr<referrals::ReferralClient> referrals;
  std::shared_ptr<socialmap::SocialMapClient> socialmap;
};

}  // namespace kp
