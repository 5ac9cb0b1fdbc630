// Each service in a process of its own, as the single-service binaries run them. Each process is
// given only the addresses of the peers its ServiceModule declares (and TeamService's), so a call
// to a peer a module does not declare fails the test; and one started without an address it needs
// refuses to start.
#include <thread>
#include <utility>

#include "agreements/grpc/agreement_service.h"
#include "audit/grpc/audit_service.h"
#include "careplan/grpc/careplan_service.h"
#include "cases/grpc/case_service.h"
#include "consent/grpc/consent_service.h"
#include "host/server.h"
#include "integration/harness.h"
#include "integration/split_deployment.h"
#include "support/test_certificates.h"
#include "team/grpc/team_service.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;

class SplitDeploymentTest : public CaseApiTest {
 protected:
  // A case of the fixture's organisation with a CAW professional in its team (with `mandate`) and
  // the client's consent for the CAW to see `categories`.
  struct SharedCase {
    Partner caw;
    v1::Case c;
    consent_v1::Consent consent;
  };
  SharedCase ShareWithCaw(const std::vector<P>& mandate, const std::vector<C>& categories) {
    SharedCase shared{MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW),
                      CreateCase(token_, CreateClient(token_).name(), "Onbetaalde rekeningen"), {}};
    AppointCoordinator(shared.c.name());
    team_v1::Participant added;
    EXPECT_TRUE(AddParticipant(token_, shared.c.name(), shared.caw.person_name(),
                               team_v1::PARTICIPANT_ROLE_PROFESSIONAL, mandate, &added)
                    .ok());
    shared.consent = GrantConsent(token_, shared.c.name(), {shared.caw.org}, categories);
    return shared;
  }

  static consent_v1::CheckAccessRequest ReadQuestion(const std::string& case_name, C category) {
    consent_v1::CheckAccessRequest check;
    check.set_case_(case_name);
    check.set_category(category);
    check.set_action(consent_v1::ACTION_READ);
    check.set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
    return check;
  }

  // The case's access log entries for CaseService.GetCase, newest first, as its owner lists them.
  std::vector<audit_v1::AccessLogEntry> CaseReads(audit_v1::AuditService::Stub& audit, const std::string& case_name) {
    audit_v1::ListCaseAccessLogRequest list_log;
    list_log.set_parent(case_name);
    list_log.set_page_size(100);
    audit_v1::ListAccessLogResponse log;
    const auto status = audit.ListCaseAccessLog(Ctx(token_).get(), list_log, &log);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<audit_v1::AccessLogEntry> reads;
    // The decisions about the case itself (each GetCase also asks about the client's identity).
    for (const auto& entry : log.entries())
      if (entry.rpc() == "kruispunt.cases.v1.CaseService/GetCase" && entry.category() == consent_v1::DATA_CATEGORY_CASE)
        reads.push_back(entry);
    return reads;
  }
};

TEST_F(SplitDeploymentTest, AServiceWithoutTheAddressOfAPeerItCallsRefusesToStart) {
  Config config = TestServerConfig();
  config.migrate = 0;
  ServerApp alone(config, {cases::CaseServiceModule()});
  try {
    alone.Start();
    ADD_FAILURE() << "CaseService started without the addresses of TeamService and ConsentService";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--team-address"), std::string::npos) << message;
    EXPECT_NE(message.find("--consent-address"), std::string::npos) << message;
    EXPECT_EQ(message.find("--audit-address"), std::string::npos) << "CaseService does not call AuditService: " << message;
  }
}

// A partner reads Maria's case, care plan and agreements, each service in its own process; after
// her withdrawal it reads nothing; her access log shows both.
TEST_F(SplitDeploymentTest, EveryServiceInItsOwnProcessServesMariasCase) {
  const auto [caw, c, consent] =
      ShareWithCaw({P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN, P::PERMISSION_PROPOSE_AGREEMENTS},
                   {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN, C::DATA_CATEGORY_AGREEMENTS});
  ASSERT_FALSE(HasFailure());
  const auto maria = ClientParticipant(token_, c.name());

  SplitDeployment split;
  auto cases = v1::CaseService::NewStub(split.Channel(v1::CaseService::service_full_name()));
  auto team = team_v1::TeamService::NewStub(split.Channel(team_v1::TeamService::service_full_name()));
  auto consents = consent_v1::ConsentService::NewStub(split.Channel(consent_v1::ConsentService::service_full_name()));
  auto audit = audit_v1::AuditService::NewStub(split.Channel(audit_v1::AuditService::service_full_name()));
  auto plans = careplan_v1::CarePlanService::NewStub(split.Channel(careplan_v1::CarePlanService::service_full_name()));
  auto agreements =
      agreements_v1::AgreementService::NewStub(split.Channel(agreements_v1::AgreementService::service_full_name()));

  // CaseService asks ConsentService, which asks TeamService and AuditService.
  v1::GetCaseRequest get_case;
  get_case.set_name(c.name());
  v1::Case read;
  auto status = cases->GetCase(Ctx(caw.token).get(), get_case, &read);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.title(), "Onbetaalde rekeningen");

  consent_v1::AccessDecision decision;
  ASSERT_TRUE(consents->CheckAccess(Ctx(caw.token).get(), ReadQuestion(c.name(), C::DATA_CATEGORY_MEDICAL), &decision).ok());
  EXPECT_EQ(decision.deny_reason(), consent_v1::DENY_REASON_NO_CONSENT);

  // TeamService asks ConsentService.
  team_v1::ListParticipantsRequest list_team;
  list_team.set_parent(c.name());
  team_v1::ListParticipantsResponse members;
  status = team->ListParticipants(Ctx(caw.token).get(), list_team, &members);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(members.participants_size(), 3);  // Maria, her coordinator, the CAW

  // CarePlanService asks TeamService and ConsentService.
  careplan_v1::CreateGoalRequest create_goal;
  create_goal.set_parent(c.name());
  create_goal.mutable_goal()->set_statement("Ik wil rust over mijn geld");
  create_goal.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  create_goal.mutable_goal()->set_held_by(maria);
  create_goal.mutable_goal()->set_priority(1);
  careplan_v1::Goal goal;
  status = plans->CreateGoal(Ctx(token_).get(), create_goal, &goal);
  ASSERT_TRUE(status.ok()) << status.error_message();
  careplan_v1::GetCarePlanRequest get_plan;
  get_plan.set_name(c.name() + "/carePlan");
  careplan_v1::CarePlan plan;
  status = plans->GetCarePlan(Ctx(caw.token).get(), get_plan, &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(plan.goals_size(), 1);
  EXPECT_EQ(plan.goals(0).name(), goal.name());

  // AgreementService asks TeamService, ConsentService and CarePlanService (the goal exists).
  agreements_v1::ProposeAgreementRequest propose;
  propose.set_parent(c.name());
  propose.mutable_content()->set_text("CAW start wekelijkse budgetbegeleiding");
  propose.mutable_content()->add_required_parties()->set_organization("organizations/" + caw.org);
  propose.mutable_content()->add_goals(goal.name());
  agreements_v1::Agreement agreement;
  status = agreements->ProposeAgreement(Ctx(caw.token).get(), propose, &agreement);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(agreement.current().content().goals(0), goal.name());

  // Maria withdraws the CAW's consent through ConsentService's process: the next read is denied.
  consent_v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent.name());
  withdraw.set_withdrawn_by(maria);
  consent_v1::Consent withdrawn;
  status = consents->WithdrawConsent(Ctx(token_).get(), withdraw, &withdrawn);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(cases->GetCase(Ctx(caw.token).get(), get_case, &read).error_code(), StatusCode::NOT_FOUND);

  // AuditService (which asks ConsentService) shows the CAW's permitted and denied reads.
  std::vector<consent_v1::Decision> caw_case_reads;
  for (const auto& entry : CaseReads(*audit, c.name()))
    if (entry.organization() == "organizations/" + caw.org) caw_case_reads.push_back(entry.decision());
  EXPECT_EQ(caw_case_reads, (std::vector<consent_v1::Decision>{consent_v1::DECISION_DENY, consent_v1::DECISION_PERMIT}))
      << "newest first";
}

// No access without a record of it: while AuditService cannot write the access log, nobody reads
// the case, not even its owner, and CheckAccess gives no decision; once it is back, reads are
// permitted (and logged) again without restarting the other processes.
TEST_F(SplitDeploymentTest, WhileTheAccessLogCannotBeWrittenNobodyReadsTheCase) {
  const auto [caw, c, consent] = ShareWithCaw({P::PERMISSION_READ_CASE}, {C::DATA_CATEGORY_CASE});
  ASSERT_FALSE(HasFailure());

  SplitDeployment split;
  const std::string audit_service = audit_v1::AuditService::service_full_name();
  auto cases = v1::CaseService::NewStub(split.Channel(v1::CaseService::service_full_name()));
  auto consents = consent_v1::ConsentService::NewStub(split.Channel(consent_v1::ConsentService::service_full_name()));
  v1::GetCaseRequest get_case;
  get_case.set_name(c.name());
  v1::Case read;
  auto status = cases->GetCase(Ctx(caw.token).get(), get_case, &read);
  ASSERT_TRUE(status.ok()) << status.error_message();

  split.Stop(audit_service);
  for (const auto& [who, token] : {std::pair{"the partner", caw.token}, std::pair{"the owner", token_}}) {
    v1::Case unlogged;
    status = cases->GetCase(Ctx(token).get(), get_case, &unlogged);
    EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << who << ": " << status.error_message();
    EXPECT_EQ(ErrorReason(status), "AUDIT_UNAVAILABLE") << who;
    EXPECT_TRUE(unlogged.title().empty()) << who;
  }
  consent_v1::AccessDecision decision;
  status = consents->CheckAccess(Ctx(caw.token).get(), ReadQuestion(c.name(), C::DATA_CATEGORY_CASE), &decision);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "AUDIT_UNAVAILABLE");

  // ConsentService's process reconnects on its own: its channels retry a lost peer at least every 2 s.
  split.Start(audit_service);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    read.Clear();
    status = cases->GetCase(Ctx(caw.token).get(), get_case, &read);
    if (status.error_code() != StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < give_up);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.title(), "Onbetaalde rekeningen");

  // The log holds the two reads that were let through, and nothing of those refused.
  auto audit = audit_v1::AuditService::NewStub(split.Channel(audit_service));
  const auto reads = CaseReads(*audit, c.name());
  EXPECT_EQ(reads.size(), 2u);
  for (const auto& entry : reads) {
    EXPECT_EQ(entry.organization(), "organizations/" + caw.org);
    EXPECT_EQ(entry.decision(), consent_v1::DECISION_PERMIT);
  }
}

// The token the services present to each other comes from a file that an identity provider's
// tooling renews while the servers run: an expired one fails the calls between processes, the
// renewed one is used without a restart.
TEST_F(SplitDeploymentTest, AServiceTokenRenewedInItsFileIsUsedWithoutARestart) {
  SplitDeployment split;
  auto cases = v1::CaseService::NewStub(split.Channel(v1::CaseService::service_full_name()));
  const auto client = CreateClient(token_);
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client.name());
  request.mutable_case_()->set_title("Schulden en woning");
  v1::Case created;
  // The organisation is known to the CaseService process's directory gate before the token expires.
  ASSERT_TRUE(cases->CreateCase(Ctx(token_).get(), request, &created).ok());

  const CredentialFile token_file(Harness::Get().service_token_file());
  const auto service_token = [](int ttl_seconds) {
    return Token("kruispunt", "kruispuntd", ttl_seconds, "kruispunt", "", "service");
  };
  token_file.Replace(service_token(/*ttl_seconds=*/-120));
  auto status = cases->CreateCase(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);  // TeamService refused the expired token
  EXPECT_EQ(ErrorReason(status), "TEAM_UNAVAILABLE");

  token_file.Replace(service_token(/*ttl_seconds=*/3600));
  status = cases->CreateCase(Ctx(token_).get(), request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.client(), client.name());
}

// A case created while TeamService's process is down is saved but not answered as created
// (TEAM_UNAVAILABLE); once TeamService is back, CaseService's reconciler registers it without
// anyone retrying, and its owner reads it.
TEST_F(SplitDeploymentTest, ACaseSavedWhileTeamServiceWasDownIsRegisteredOnceItIsBack) {
  SplitDeployment split;
  const std::string team_service = team_v1::TeamService::service_full_name();
  auto cases = v1::CaseService::NewStub(split.Channel(v1::CaseService::service_full_name()));
  const auto client = CreateClient(token_);
  v1::ListCasesRequest list;
  list.set_client_insz(client.insz());
  v1::ListCasesResponse listed;
  // The organisation is known to the CaseService process's directory gate before TeamService stops.
  ASSERT_TRUE(cases->ListCases(Ctx(token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);

  split.Stop(team_service);
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client.name());
  request.mutable_case_()->set_title("Schulden en woning");
  v1::Case created;
  const auto status = cases->CreateCase(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "TEAM_UNAVAILABLE");

  split.Start(team_service);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    listed.Clear();
    ASSERT_TRUE(cases->ListCases(Ctx(token_).get(), list, &listed).ok());
  } while (listed.cases_size() == 0 && std::chrono::steady_clock::now() < give_up);
  ASSERT_EQ(listed.cases_size(), 1) << "the saved case was never registered with its team";
  EXPECT_EQ(listed.cases(0).title(), "Schulden en woning");
  v1::GetCaseRequest get;
  get.set_name(listed.cases(0).name());
  v1::Case read;
  EXPECT_TRUE(cases->GetCase(Ctx(token_).get(), get, &read).ok());
}

// TLS between the processes, renewed while they run. Each server serves its certificate from
// files it watches, and each process verifies its peers against the CA bundle of --peer-tls-ca,
// which it watches too. The operator moves to a new certificate authority: first a bundle of the
// old and the new CA, then certificates of the new one. The servers serve the new certificate from
// the next handshake on, and CaseService's process, reconnecting to TeamService's, trusts it
// through the bundle it re-read: neither was restarted.
TEST_F(SplitDeploymentTest, PeersSpeakTlsAndRenewedCertificatesAndAuthoritiesServeWithoutARestart) {
  const auto old_ca = MakeCertificateAuthority("kruispunt-test-ca-1");
  const auto new_ca = MakeCertificateAuthority("kruispunt-test-ca-2");
  const auto old_certificate = MakeLoopbackCertificate(old_ca), new_certificate = MakeLoopbackCertificate(new_ca);
  const std::string dir = MakeTempDir();
  const std::string cert = dir + "/tls.crt", key = dir + "/tls.key", peer_ca = dir + "/peer-ca.crt";
  ReplaceFile(cert, old_certificate.cert_pem);
  ReplaceFile(key, old_certificate.key_pem);
  ReplaceFile(peer_ca, old_ca.cert_pem);
  SplitDeployment split([&](Config& config) {
    config.tls_cert = cert;
    config.tls_key = key;
    config.peer_tls_ca = peer_ca;
  });
  const std::string case_service = v1::CaseService::service_full_name(),
                    team_service = team_v1::TeamService::service_full_name();
  const auto channel = [&](const std::string& service, const Certificate& trusted_ca) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = trusted_ca.cert_pem;
    return grpc::CreateChannel(split.Address(service), grpc::SslCredentials(options));
  };
  const auto create_case = [&](const Certificate& trusted_ca) {
    v1::CreateCaseRequest request;
    request.mutable_case_()->set_client(CreateClient(token_).name());
    request.mutable_case_()->set_title("Schulden en woning");
    v1::Case created;
    return v1::CaseService::NewStub(channel(case_service, trusted_ca))->CreateCase(Ctx(token_).get(), request, &created);
  };
  const auto team_answers = [&](const Certificate& trusted_ca) {
    team_v1::GetOrganizationRequest request;
    request.set_name("organizations/" + org_);
    team_v1::Organization organization;
    return team_v1::TeamService::NewStub(channel(team_service, trusted_ca))
        ->GetOrganization(Ctx(token_).get(), request, &organization)
        .ok();
  };

  // CaseService registers the case with TeamService over TLS.
  auto status = create_case(old_ca);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(team_answers(new_ca)) << "a certificate of the new authority before it was issued";

  ReplaceFile(peer_ca, old_ca.cert_pem + new_ca.cert_pem);
  ReplaceFile(key, new_certificate.key_pem);
  ReplaceFile(cert, new_certificate.cert_pem);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!team_answers(new_ca) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(team_answers(new_ca)) << "TeamService still serves the old certificate";
  EXPECT_FALSE(team_answers(old_ca));

  // TeamService's process restarts (as in a rolling upgrade): CaseService's process reconnects,
  // and the new certificate is verified against the bundle it re-read.
  split.Stop(team_service);
  split.Start(team_service);
  status = create_case(new_ca);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace kp::test
