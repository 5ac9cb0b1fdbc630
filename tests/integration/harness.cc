#include "integration/harness.h"

#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <tuple>

#include "cases/domain/insz.h"
#include "agreements/grpc/agreement_service.h"
#include "audit/grpc/audit_service.h"
#include "careplan/grpc/careplan_service.h"
#include "feed/grpc/feed_service.h"
#include "cases/grpc/case_service.h"
#include "consent/grpc/consent_service.h"
#include "host/server.h"
#include "integration/split_deployment.h"
#include "referrals/grpc/referral_service.h"
#include "socialmap/grpc/socialmap_service.h"
#include "team/grpc/team_service.h"
#include "common/jwt.h"
#include "common/logging.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace kp::test {

namespace {
std::mt19937_64& Random() {
  static std::mt19937_64 random{std::random_device{}()};
  return random;
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override { Harness::Get().Start(); }
  void TearDown() override { Harness::Get().Stop(); }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new Environment);
}  // namespace

Harness& Harness::Get() {
  static Harness harness;
  return harness;
}

void Harness::ExpectStarted() const {
  ASSERT_TRUE(start_error_.empty()) << start_error_;
}

void Harness::Start() {
  // The owner of the schemas (migrations, the tests' own SQL) and the role the servers run as.
  const char* url = std::getenv("KRUISPUNT_TEST_DATABASE_URL");
  const char* app_url = std::getenv("KRUISPUNT_TEST_APP_DATABASE_URL");
  if (!url || !*url || !app_url || !*app_url) {
    start_error_ = "KRUISPUNT_TEST_DATABASE_URL and KRUISPUNT_TEST_APP_DATABASE_URL are not set: run the suite "
                   "with tests/run.sh, which starts a throwaway PostgreSQL";
    return;
  }
  app_database_url_ = app_url;
  try {
    StartServer(url);
  } catch (const std::exception& e) {
    start_error_ = std::string("the test server did not start: ") + e.what();
  }
}

void Harness::StartServer(const std::string& url) {
  database_url_ = url;
  dir_ = MakeTempDir();
  keys_ = GenerateKeyPair(dir_, "server", "EC");
  stranger_keys_ = GenerateKeyPair(dir_, "stranger", "EC");
  kp::InitLogging("text", "warn");
  service_token_file_ = dir_ + "/service.jwt";
  {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json claims = {{"iss", "kruispunt-test"}, {"aud", "kruispunt"}, {"sub", "kruispuntd"},
                             {"org", "kruispunt"}, {"role", "service"}, {"exp", now + 86400}};
    std::ofstream(service_token_file_) << SignJwt(claims, keys_.private_pem_path) << "\n";
  }

  const char* deployment = std::getenv("KP_TEST_DEPLOYMENT");
  if (deployment && std::string(deployment) == "split") {
    {
      // What a migration job does before the single-service binaries start (--migrate 0).
      pqxx::connection conn(database_url_);
      pqxx::connection app(app_database_url_);
      for (const auto& module : AllModules()) {
        if (!module.migrations) continue;  // a service without a schema of its own (the feed)
        ApplyMigrations(conn, *module.migrations);
        GrantRunTimePrivileges(conn, module.migrations->schema, app.username());
      }
    }
    split_ = std::make_shared<SplitDeployment>();
    channel_ = split_->Channel(v1::CaseService::service_full_name());
    return;
  }
  auto config = TestServerConfig();
  config.internal_listen = "127.0.0.1:0";
  auto app = std::make_shared<ServerApp>(config, AllModules());
  const int port = app->Start();
  server_ = app;
  address_ = "127.0.0.1:" + std::to_string(port);
  channel_ = LocalChannel(port);
  internal_channel_ = LocalChannel(app->internal_port());
}

std::shared_ptr<grpc::Channel> Harness::Channel(const std::string& service) const {
  return split_ ? split_->Channel(service) : channel_;
}

std::shared_ptr<grpc::Channel> Harness::InternalChannel(const std::string& service) const {
  return split_ ? split_->InternalChannel(service) : internal_channel_;
}

std::shared_ptr<grpc::Channel> Harness::NewChannel(const std::string& service) const {
  return split_ ? split_->Channel(service) : grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
}

std::string Harness::Address(const std::string& service) const {
  return split_ ? split_->Address(service) : address_;
}

void Harness::Stop() {
  split_.reset();
  if (server_) std::static_pointer_cast<ServerApp>(server_)->Shutdown();
}

std::vector<ServiceModule> AllModules() {
  return {cases::CaseServiceModule(), team::TeamServiceModule(), consent::ConsentServiceModule(),
          audit::AuditServiceModule(), careplan::CarePlanServiceModule(),
          agreements::AgreementServiceModule(), feed::FeedServiceModule(),
          socialmap::SocialMapServiceModule(), referrals::ReferralServiceModule()};
}

Config TestServerConfig() {
  Config config;
  config.listen = "127.0.0.1:0";
  config.database_url = Harness::Get().app_database_url();
  config.migration_database_url = Harness::Get().database_url();
  config.token_issuer = "kruispunt-test";
  config.token_audience = "kruispunt";
  config.token_public_keys = {Harness::Get().keys().public_pem_path};
  config.shutdown_grace_seconds = 2;
  // Change-feed streams look often (the tests wait less) and hold little for a slow subscriber
  // (FeedTest.ASlowSubscriberIsToldToResume fills it).
  config.feed_poll_interval_ms = 20;
  config.feed_stream_buffer = 40;
  config.expiry_check_seconds = 1;  // FeedTest waits for a participation's and a consent's period to end
  config.service_token_file = Harness::Get().service_token_file();
  config.credentials_recheck_seconds = 0;  // a test may renew keys or the token and see them used at once
  return config;
}

std::shared_ptr<grpc::Channel> LocalChannel(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
}

std::string Token(const std::string& org, const std::string& sub, int ttl_seconds,
                  const std::string& audience, const std::string& key_path, const std::string& role) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json claims = {{"iss", "kruispunt-test"}, {"aud", audience}, {"sub", sub},
                           {"org", org}, {"role", role}, {"exp", now + ttl_seconds}};
  return SignJwt(claims, key_path.empty() ? Harness::Get().keys().private_pem_path : key_path);
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::string AdminToken() { return Token("kruispunt-platform", "platform-admin-1", 300, "kruispunt", "", "admin"); }
std::string ProfessionalName(const std::string& org, const std::string& person_id) {
  return "organizations/" + org + "/people/" + person_id;
}

std::string ServiceToken() { return Token("kruispunt", "kruispuntd", 300, "kruispunt", "", "service"); }

std::string MakeKbo() {
  const long first_eight = static_cast<long>(Random()() % 19999999) + 1;  // leading 0 or 1
  char digits[16];
  std::snprintf(digits, sizeof digits, "%08ld%02ld", first_eight, 97 - first_eight % 97);
  return digits;
}

std::string UniqueId(const std::string& prefix) {
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(Random()()));
  return prefix + "-" + suffix;
}

kruispunt::type::v1::Date DaysFromToday(int days) {
  const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                                      std::chrono::days(days)};
  kruispunt::type::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(static_cast<int>(static_cast<unsigned>(d.month())));
  out.set_day(static_cast<int>(static_cast<unsigned>(d.day())));
  return out;
}

google::protobuf::Timestamp MicrosNow() {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string UniqueUuid() {
  const auto high = Random()(), low = Random()();
  char text[37];
  // Version 4, variant 10: a UUID the services accept as a request id or a resource id.
  std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-%04llx-%012llx", static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff), static_cast<unsigned long long>(high & 0xfff),
                static_cast<unsigned long long>(0x8000 | (low >> 48 & 0x3fff)),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

std::string UniqueOrg(const std::string& prefix, bool registered, team_v1::OrganizationKind kind) {
  const std::string id = UniqueId(prefix);
  if (!registered) return id;
  team_v1::CreateOrganizationRequest request;
  request.set_organization_id(id);
  request.mutable_organization()->set_display_name("Test organisation " + prefix);
  request.mutable_organization()->set_kind(kind);
  team_v1::Organization created;
  grpc::Status status;
  // Random KBO numbers of many test processes on one database meet now and then: draw again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    request.mutable_organization()->set_kbo_number(MakeKbo());
    status = TeamStub()->CreateOrganization(Ctx(AdminToken()).get(), request, &created);
    if (ErrorReason(status) != "KBO_NUMBER_TAKEN") break;
  }
  EXPECT_TRUE(status.ok()) << "registering organisation: " << status.error_message();
  return id;
}

std::string MakeInsz(int year, int month, int day) {
  // Consecutive serials from a random start: two clients of one test (one organisation) never
  // draw the same INSZ, which random serials did once in 997 pairs (ALREADY_EXISTS).
  static std::atomic<unsigned> next{static_cast<unsigned>(Random()() % 997)};
  char nine[32];
  std::snprintf(nine, sizeof nine, "%02d%02d%02d%03d", year % 100, month, day, static_cast<int>(next++ % 997) + 1);
  long long n = std::stoll(nine) + (year >= 2000 ? 2000000000LL : 0);
  const long long check = 97 - n % 97;
  return std::string(nine) + (check < 10 ? "0" : "") + std::to_string(check);
}

namespace {
google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  return details;
}
}  // namespace

std::string ErrorReason(const grpc::Status& status) {
  const auto details = Details(status);
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::string ErrorMetadata(const grpc::Status& status, const std::string& key) {
  const auto details = Details(status);
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.metadata().count(key)) return info.metadata().at(key);
  }
  return "";
}

std::vector<std::string> ViolationFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  const auto details = Details(status);
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad))
      for (const auto& v : bad.field_violations()) fields.push_back(v.field());
  }
  return fields;
}

std::unique_ptr<v1::CaseService::Stub> CaseStub() {
  return v1::CaseService::NewStub(Harness::Get().Channel(v1::CaseService::service_full_name()));
}

std::unique_ptr<team_v1::TeamService::Stub> TeamStub() {
  return team_v1::TeamService::NewStub(Harness::Get().Channel(team_v1::TeamService::service_full_name()));
}

team_v1::Person RegisterProfessional(const std::string& token, const std::string& person_id,
                                     const std::string& given_name, const std::string& family_name,
                                     const std::string& profession) {
  team_v1::CreatePersonRequest request;
  request.set_person_id(person_id);
  auto* p = request.mutable_person();
  p->set_kind(team_v1::PERSON_KIND_PROFESSIONAL);
  p->set_given_name(given_name);
  p->set_family_name(family_name);
  p->set_profession(profession);
  team_v1::Person person;
  const auto status = TeamStub()->CreatePerson(Ctx(token).get(), request, &person);
  EXPECT_TRUE(status.ok()) << "registering a professional: " << status.error_message();
  return person;
}

Partner MakePartner(const std::string& prefix, team_v1::OrganizationKind kind, const std::string& profession) {
  Partner p;
  p.org = UniqueOrg(prefix, true, kind);
  p.person = UniqueId(prefix + "-pro");
  p.token = Token(p.org, p.person);
  RegisterProfessional(p.token, p.person, "Jan", "De Smet", profession);
  return p;
}

grpc::Status AddParticipant(const std::string& token, const std::string& case_name,
                            const std::string& person, team_v1::ParticipantRole role,
                            std::vector<team_v1::Permission> mandate, team_v1::Participant* out,
                            const std::string& handover_from) {
  team_v1::AddParticipantRequest request;
  request.set_parent(case_name);
  request.set_handover_from(handover_from);
  auto* p = request.mutable_participant();
  p->set_person(person);
  p->set_role(role);
  for (auto permission : mandate) p->add_mandate(permission);
  return TeamStub()->AddParticipant(Ctx(token).get(), request, out);
}

std::unique_ptr<consent_v1::ConsentService::Stub> ConsentStub() {
  return consent_v1::ConsentService::NewStub(Harness::Get().Channel(consent_v1::ConsentService::service_full_name()));
}

std::unique_ptr<audit_v1::AuditService::Stub> AuditStub() {
  return audit_v1::AuditService::NewStub(Harness::Get().Channel(audit_v1::AuditService::service_full_name()));
}

std::vector<audit_v1::AccessLogEntry> CaseAccessLog(const std::string& token, const std::string& case_name,
                                                    grpc::Status* status_out) {
  audit_v1::ListCaseAccessLogRequest request;
  request.set_parent(case_name);
  request.set_page_size(500);
  audit_v1::ListAccessLogResponse response;
  const auto status = AuditStub()->ListCaseAccessLog(Ctx(token).get(), request, &response);
  if (status_out) *status_out = status;
  else EXPECT_TRUE(status.ok()) << status.error_message();
  return {response.entries().begin(), response.entries().end()};
}

std::unique_ptr<careplan_v1::CarePlanService::Stub> CarePlanStub() {
  return careplan_v1::CarePlanService::NewStub(Harness::Get().Channel(careplan_v1::CarePlanService::service_full_name()));
}

std::unique_ptr<agreements_v1::AgreementService::Stub> AgreementStub() {
  return agreements_v1::AgreementService::NewStub(Harness::Get().Channel(agreements_v1::AgreementService::service_full_name()));
}

std::unique_ptr<feed_v1::FeedService::Stub> FeedStub() {
  return feed_v1::FeedService::NewStub(Harness::Get().Channel(feed_v1::FeedService::service_full_name()));
}

std::unique_ptr<referrals_v1::ReferralService::Stub> ReferralStub() {
  return referrals_v1::ReferralService::NewStub(
      Harness::Get().Channel(referrals_v1::ReferralService::service_full_name()));
}

std::unique_ptr<socialmap_v1::SocialMapService::Stub> SocialMapStub() {
  return socialmap_v1::SocialMapService::NewStub(
      Harness::Get().Channel(socialmap_v1::SocialMapService::service_full_name()));
}

std::unique_ptr<v1::CaseInternalService::Stub> CaseInternalStub() {
  return v1::CaseInternalService::NewStub(Harness::Get().InternalChannel(v1::CaseService::service_full_name()));
}

std::unique_ptr<team_v1::TeamInternalService::Stub> TeamInternalStub() {
  return team_v1::TeamInternalService::NewStub(Harness::Get().InternalChannel(team_v1::TeamService::service_full_name()));
}

std::unique_ptr<consent_v1::ConsentInternalService::Stub> ConsentInternalStub() {
  return consent_v1::ConsentInternalService::NewStub(
      Harness::Get().InternalChannel(consent_v1::ConsentService::service_full_name()));
}

std::unique_ptr<audit_v1::AuditInternalService::Stub> AuditInternalStub() {
  return audit_v1::AuditInternalService::NewStub(Harness::Get().InternalChannel(audit_v1::AuditService::service_full_name()));
}

std::unique_ptr<referrals_v1::ReferralInternalService::Stub> ReferralInternalStub() {
  return referrals_v1::ReferralInternalService::NewStub(
      Harness::Get().InternalChannel(referrals_v1::ReferralService::service_full_name()));
}

std::unique_ptr<socialmap_v1::SocialMapInternalService::Stub> SocialMapInternalStub() {
  return socialmap_v1::SocialMapInternalService::NewStub(
      Harness::Get().InternalChannel(socialmap_v1::SocialMapService::service_full_name()));
}

std::unique_ptr<careplan_v1::CarePlanInternalService::Stub> CarePlanInternalStub() {
  return careplan_v1::CarePlanInternalService::NewStub(
      Harness::Get().InternalChannel(careplan_v1::CarePlanService::service_full_name()));
}

team_v1::Person RegisterInformal(const std::string& token, const std::string& given_name,
                                 const std::string& family_name) {
  team_v1::CreatePersonRequest request;
  request.mutable_person()->set_kind(team_v1::PERSON_KIND_INFORMAL);
  request.mutable_person()->set_given_name(given_name);
  request.mutable_person()->set_family_name(family_name);
  team_v1::Person person;
  const auto status = TeamStub()->CreatePerson(Ctx(token).get(), request, &person);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return person;
}

std::string ClientParticipant(const std::string& token, const std::string& case_name) {
  team_v1::ListParticipantsRequest request;
  request.set_parent(case_name);
  team_v1::ListParticipantsResponse response;
  const auto status = TeamStub()->ListParticipants(Ctx(token).get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const auto& p : response.participants())
    if (p.role() == team_v1::PARTICIPANT_ROLE_CLIENT) return p.name();
  ADD_FAILURE() << "the case has no client participant";
  return "";
}

consent_v1::Consent GrantConsent(const std::string& token, const std::string& case_name,
                                 const std::vector<std::string>& orgs,
                                 const std::vector<consent_v1::DataCategory>& categories,
                                 const std::string& granted_by) {
  consent_v1::Consent granted;
  const auto status = ConsentStub()->GrantConsent(
      Ctx(token).get(), ConsentRequest(token, case_name, orgs, categories, granted_by), &granted);
  EXPECT_TRUE(status.ok()) << "granting consent: " << status.error_message();
  return granted;
}

consent_v1::GrantConsentRequest ConsentRequest(const std::string& token, const std::string& case_name,
                                               const std::vector<std::string>& orgs,
                                               const std::vector<consent_v1::DataCategory>& categories,
                                               const std::string& granted_by) {
  consent_v1::GrantConsentRequest request;
  request.set_parent(case_name);
  auto* c = request.mutable_consent();
  c->set_granted_by(granted_by.empty() ? ClientParticipant(token, case_name) : granted_by);
  for (const auto& org : orgs) c->add_recipient_organizations("organizations/" + org);
  for (auto category : categories) c->add_categories(category);
  c->set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
  c->set_method(consent_v1::CONSENT_METHOD_WRITTEN);
  c->set_evidence_reference("toestemmingsformulier 2026-114");
  c->set_verification_note("Besproken met de cliënt thuis; zij begrijpt wat gedeeld wordt en stemt vrij in.");
  c->set_legal_basis(consent_v1::LEGAL_BASIS_EXPLICIT_CONSENT);
  return request;
}

void CaseApiTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  stub_ = CaseStub();
  org_ = UniqueOrg("dmw");
  person_ = UniqueId("social-worker");
  token_ = Token(org_, person_);
}

team_v1::Participant CaseApiTest::AppointCoordinator(const std::string& case_name) {
  team_v1::GetPersonRequest get;
  get.set_name(ProfessionalName(org_, person_));
  team_v1::Person existing;
  if (!TeamStub()->GetPerson(Ctx(token_).get(), get, &existing).ok()) RegisterProfessional(token_, person_);
  team_v1::Participant coordinator;
  const auto status = AddParticipant(token_, case_name, ProfessionalName(org_, person_), team_v1::PARTICIPANT_ROLE_CARE_COORDINATOR,
                                     {team_v1::PERMISSION_READ_CASE, team_v1::PERMISSION_MANAGE_TEAM}, &coordinator);
  EXPECT_TRUE(status.ok()) << "appointing the care coordinator: " << status.error_message();
  return coordinator;
}

MariasCase CaseApiTest::OpenMariasCase(const std::vector<team_v1::Permission>& caw,
                                       const std::vector<team_v1::Permission>& ocmw,
                                       const std::vector<team_v1::Permission>& nursing) {
  MariasCase m;
  m.caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  m.ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  m.nursing = MakePartner("thuisverpleging", team_v1::ORGANIZATION_KIND_HOME_NURSING);
  m.name = CreateCase(token_, CreateClient(token_).name(), "Onbetaalde rekeningen, vochtige woning").name();
  AppointCoordinator(m.name);
  m.client = ClientParticipant(token_, m.name);
  team_v1::Participant added;
  const auto daughter = RegisterInformal(token_, "An", "Peeters");
  EXPECT_TRUE(AddParticipant(token_, m.name, daughter.name(), team_v1::PARTICIPANT_ROLE_INFORMAL_CARER,
                             {team_v1::PERMISSION_READ_CARE_PLAN}, &added).ok());
  m.daughter = added.name();
  const std::vector<std::tuple<const Partner*, const std::vector<team_v1::Permission>*, std::string*>> partners = {
      {&m.caw, &caw, &m.caw_participant}, {&m.ocmw, &ocmw, &m.ocmw_participant},
      {&m.nursing, &nursing, &m.nursing_participant}};
  for (const auto& [partner, mandate, participant] : partners) {
    const auto status = AddParticipant(token_, m.name, partner->person_name(), team_v1::PARTICIPANT_ROLE_PROFESSIONAL,
                                       *mandate, &added);
    EXPECT_TRUE(status.ok()) << status.error_message();
    *participant = added.name();
  }
  return m;
}

v1::Client CaseApiTest::CreateClient(const std::string& token, const std::string& insz,
                                     const std::string& request_id) {
  v1::CreateClientRequest request;
  auto* c = request.mutable_client();
  c->set_insz(insz.empty() ? MakeInsz(1959, 3, 12) : insz);
  const auto parsed = cases::ParseInsz(c->insz());  // the birth date the INSZ encodes
  EXPECT_TRUE(parsed && parsed->month && parsed->day) << "CreateClient needs a full-date INSZ";
  c->set_given_name("Maria");
  c->set_family_name("Peeters");
  c->mutable_birth_date()->set_year(parsed ? parsed->year : 0);
  c->mutable_birth_date()->set_month(parsed ? parsed->month : 0);
  c->mutable_birth_date()->set_day(parsed ? parsed->day : 0);
  c->set_preferred_language("nl");
  request.set_request_id(request_id);
  v1::Client client;
  auto status = stub_->CreateClient(Ctx(token).get(), request, &client);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return client;
}

v1::Case CaseApiTest::CreateCase(const std::string& token, const std::string& client,
                                 const std::string& title) {
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client);
  request.mutable_case_()->set_title(title);
  request.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  v1::Case created;
  auto status = stub_->CreateCase(Ctx(token).get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

}  // namespace kp::test
