// The integration tests' world: Kruispunt started in-process for each test binary, on ephemeral
// loopback ports, against the real PostgreSQL of KRUISPUNT_TEST_DATABASE_URL (owner role) and
// KRUISPUNT_TEST_APP_DATABASE_URL (run-time role); tokens minted with a
// test key pair; helpers to read google.rpc error details. Kruispunt runs as kruispuntd does (every
// service in one server) or, with KP_TEST_DEPLOYMENT=split, as the single-service binaries do
// (each service in a server of its own, calling its peers over gRPC): every test holds in both.
#pragma once

#include <chrono>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/files.h"
#include "common/module.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "kruispunt/cases/v1/cases_internal.grpc.pb.h"
#include "kruispunt/team/v1/team.grpc.pb.h"
#include "kruispunt/team/v1/team_internal.grpc.pb.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"
#include "kruispunt/consent/v1/consent_internal.grpc.pb.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"
#include "kruispunt/audit/v1/audit_internal.grpc.pb.h"
#include "kruispunt/agreements/v1/agreements.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals_internal.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap_internal.grpc.pb.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"
#include "kruispunt/careplan/v1/careplan_internal.grpc.pb.h"
#include "kruispunt/feed/v1/feed.grpc.pb.h"
#include "support/test_keys.h"

namespace kp::test {

class SplitDeployment;

namespace v1 = kruispunt::cases::v1;
namespace team_v1 = kruispunt::team::v1;
namespace consent_v1 = kruispunt::consent::v1;
namespace audit_v1 = kruispunt::audit::v1;
namespace careplan_v1 = kruispunt::careplan::v1;
namespace agreements_v1 = kruispunt::agreements::v1;
namespace socialmap_v1 = kruispunt::socialmap::v1;
namespace referrals_v1 = kruispunt::referrals::v1;
namespace feed_v1 = kruispunt::feed::v1;

class Harness {
 public:
  static Harness& Get();
  // The schemas' owner: for a test's own SQL (it may bypass what the services' role may not).
  const std::string& database_url() const { return database_url_; }
  // The role the servers run as (granted only what the services need).
  const std::string& app_database_url() const { return app_database_url_; }
  const KeyPair& keys() const { return keys_; }
  const KeyPair& stranger_keys() const { return stranger_keys_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // The channel to the server that hosts `service` (a full name).
  std::shared_ptr<grpc::Channel> Channel(const std::string& service) const;
  // The internal port of the server that hosts `service` (its internal services, for peers).
  std::shared_ptr<grpc::Channel> InternalChannel(const std::string& service) const;
  // A channel of its own (another connection) to the server that hosts `service`.
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& service) const;
  // "127.0.0.1:{port}" of the public port serving `service`, for a channel with settings of its own.
  std::string Address(const std::string& service) const;
  bool split() const { return split_ != nullptr; }
  // The token file the servers present to their peers (role "service").
  const std::string& service_token_file() const { return service_token_file_; }

  void Start();
  void Stop();
  // Fails the current test when the server could not be started (a skipped test would hide it).
  void ExpectStarted() const;

 private:
  void StartServer(const std::string& url);
  std::string start_error_;
  std::string address_, database_url_, app_database_url_, dir_, service_token_file_;
  KeyPair keys_, stranger_keys_;
  std::shared_ptr<grpc::Channel> channel_, internal_channel_;
  std::shared_ptr<void> server_;
  std::shared_ptr<SplitDeployment> split_;
};

// Every service, as kruispuntd hosts them.
std::vector<ServiceModule> AllModules();

// Settings of a test server on an ephemeral loopback port that trusts the test key, running as the
// run-time role with migrations as the owner, as an operator sets it up.
kp::Config TestServerConfig();

// A plaintext channel to a server on 127.0.0.1:port.
std::shared_ptr<grpc::Channel> LocalChannel(int port);

// A token for person `sub` of organisation `org`, signed with the server's trusted test key.
std::string Token(const std::string& org, const std::string& sub = "person-1", int ttl_seconds = 300,
                  const std::string& audience = "kruispunt", const std::string& key_path = "",
                  const std::string& role = "professional");
// A platform administrator's token.
std::string AdminToken();
// A token of Kruispunt's own services (role "service").
std::string ServiceToken();

// A client context with a bearer token and a 10 s deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// A unique organisation id per test, so tests never see each other's data; the organisation is
// added to the partner directory (unless `registered` is false).
std::string UniqueOrg(const std::string& prefix, bool registered = true,
                      team_v1::OrganizationKind kind = team_v1::ORGANIZATION_KIND_OTHER);

// A valid KBO number with random digits.
std::string MakeKbo();

// A unique id (for people, whose ids are global token subjects).
std::string UniqueId(const std::string& prefix);
// A random UUID (version 4), for request ids and names of what does not exist.
std::string UniqueUuid();
// The day `days` from today (UTC, which is never ahead of Belgium's day): for dates the services
// check against today.
kruispunt::type::v1::Date DaysFromToday(int days);
// Now, to the microsecond the database keeps (TimeUtil::GetCurrentTime() counts whole seconds).
google::protobuf::Timestamp MicrosNow();

// Registers person `person_id` as a professional of the organisation in `token` (whose subject
// it need not be). Expects success.
team_v1::Person RegisterProfessional(const std::string& token, const std::string& person_id,
                                     const std::string& given_name = "Sofie",
                                     const std::string& family_name = "Janssens",
                                     const std::string& profession = "maatschappelijk werker");

// Registers a person without an organisation here (an informal carer, say) as the organisation
// of `token`. Expects success.
team_v1::Person RegisterInformal(const std::string& token, const std::string& given_name,
                                 const std::string& family_name);

// A professional's resource name: "organizations/{org}/people/{person_id}".
std::string ProfessionalName(const std::string& org, const std::string& person_id);

// A partner organisation (in the directory) with one registered professional and their token.
struct Partner {
  std::string org, person, token;
  std::string person_name() const { return ProfessionalName(org, person); }
};
Partner MakePartner(const std::string& prefix, team_v1::OrganizationKind kind,
                    const std::string& profession = "maatschappelijk werker");

// Adds `person` to the case's team with a role and mandate, as the caller of `token`.
grpc::Status AddParticipant(const std::string& token, const std::string& case_name,
                            const std::string& person, team_v1::ParticipantRole role,
                            std::vector<team_v1::Permission> mandate, team_v1::Participant* out,
                            const std::string& handover_from = "");

// A valid INSZ for the birth date, with a random serial; before or from 2000 by the year.
std::string MakeInsz(int year, int month, int day);

// How long a test waits for changes a commit-ordered read (the change feed, ListAgreementChanges)
// still holds back: while any writing transaction runs, the reads stop at its id, and ctest runs
// other tests at once on the same database (QueryPlans holds one for several seconds). Changes are
// delayed so, never reordered or lost; a test waits only as long as they are.
inline constexpr std::chrono::seconds kCommitOrderWait{30};

std::string ErrorReason(const grpc::Status& status);
// A value of the status's ErrorInfo metadata ("" when absent).
std::string ErrorMetadata(const grpc::Status& status, const std::string& key);
std::vector<std::string> ViolationFields(const grpc::Status& status);
// The case's access log, newest first (its first 500 entries), as `token` reads it through
// AuditService.ListCaseAccessLog: expects success unless `status_out` takes the status.
std::vector<audit_v1::AccessLogEntry> CaseAccessLog(const std::string& token, const std::string& case_name,
                                                    grpc::Status* status_out = nullptr);

std::unique_ptr<v1::CaseService::Stub> CaseStub();
std::unique_ptr<team_v1::TeamService::Stub> TeamStub();
std::unique_ptr<consent_v1::ConsentService::Stub> ConsentStub();
std::unique_ptr<audit_v1::AuditService::Stub> AuditStub();
std::unique_ptr<careplan_v1::CarePlanService::Stub> CarePlanStub();
std::unique_ptr<agreements_v1::AgreementService::Stub> AgreementStub();
std::unique_ptr<feed_v1::FeedService::Stub> FeedStub();
std::unique_ptr<socialmap_v1::SocialMapService::Stub> SocialMapStub();
std::unique_ptr<referrals_v1::ReferralService::Stub> ReferralStub();
// The internal services, on the internal port of the server that hosts each.
std::unique_ptr<v1::CaseInternalService::Stub> CaseInternalStub();
std::unique_ptr<team_v1::TeamInternalService::Stub> TeamInternalStub();
std::unique_ptr<consent_v1::ConsentInternalService::Stub> ConsentInternalStub();
std::unique_ptr<audit_v1::AuditInternalService::Stub> AuditInternalStub();
std::unique_ptr<careplan_v1::CarePlanInternalService::Stub> CarePlanInternalStub();
std::unique_ptr<referrals_v1::ReferralInternalService::Stub> ReferralInternalStub();
std::unique_ptr<socialmap_v1::SocialMapInternalService::Stub> SocialMapInternalStub();

// The case's CLIENT participant ("cases/{case}/participants/{uuid}"), as seen with `token`.
std::string ClientParticipant(const std::string& token, const std::string& case_name);

// Records the client's consent (written, verified by the caller of `token`) for the organisations
// to receive the categories, for care coordination. Expects success.
consent_v1::Consent GrantConsent(const std::string& token, const std::string& case_name,
                                 const std::vector<std::string>& orgs,
                                 const std::vector<consent_v1::DataCategory>& categories,
                                 const std::string& granted_by = "");
// The request GrantConsent sends, for a test that expects it to be refused.
consent_v1::GrantConsentRequest ConsentRequest(const std::string& token, const std::string& case_name,
                                               const std::vector<std::string>& orgs,
                                               const std::vector<consent_v1::DataCategory>& categories,
                                               const std::string& granted_by = "");

// Maria's case from the scenario (docs: domain.md), as the fixture's organisation opens it.
struct MariasCase {
  std::string name, client, daughter;  // the case, its client and informal carer participants
  Partner caw, ocmw, nursing;          // partner organisations in the team
  std::string caw_participant, ocmw_participant, nursing_participant;
};

// A credential file of the test server, replaced as renewal tooling should (ReplaceFile); the
// original is put back at the end of the test.
class CredentialFile {
 public:
  explicit CredentialFile(std::string path) : path_(std::move(path)), original_(ReadFileToString(path_)) {}
  ~CredentialFile() { Replace(original_); }
  const std::string& original() const { return original_; }
  void Replace(const std::string& content) const { ReplaceFile(path_, content); }

 private:
  const std::string path_, original_;
};

// Fixture with an organisation, its token and stub helpers for clients and cases.
class CaseApiTest : public ::testing::Test {
 protected:
  void SetUp() override;

  v1::Client CreateClient(const std::string& token, const std::string& insz = "",
                          const std::string& request_id = "");
  v1::Case CreateCase(const std::string& token, const std::string& client,
                      const std::string& title = "Schulden en woning");
  // Registers the fixture's person as a professional of its organisation and makes them the
  // case's care coordinator (an active case needs one). Returns the participant.
  team_v1::Participant AppointCoordinator(const std::string& case_name);
  // Opens Maria's case: the fixture's person coordinates it; her daughter is her informal carer
  // (mandate: read the care plan); the CAW, the OCMW and home nursing take part as professionals
  // with the mandates given. No consent is recorded.
  MariasCase OpenMariasCase(const std::vector<team_v1::Permission>& caw, const std::vector<team_v1::Permission>& ocmw,
                            const std::vector<team_v1::Permission>& nursing);

  std::unique_ptr<v1::CaseService::Stub> stub_;
  std::string org_, person_, token_;
};

}  // namespace kp::test
