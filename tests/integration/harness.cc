#include "integration/harness.h"

#include <chrono>
#include <cstdlib>
#include <random>

#include "cases/domain/insz.h"
#include "cases/grpc/case_service.h"
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
  const char* url = std::getenv("KRUISPUNT_TEST_DATABASE_URL");
  if (!url || !*url) {
    start_error_ = "KRUISPUNT_TEST_DATABASE_URL is not set: run the suite with tests/run.sh, "
                   "which starts a throwaway PostgreSQL";
    return;
  }
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

  auto app = std::make_shared<ServerApp>(TestServerConfig(database_url_),
                                         std::vector<ServiceModule>{cases::CaseServiceModule()});
  const int port = app->Start();
  server_ = app;
  address_ = "127.0.0.1:" + std::to_string(port);
  channel_ = LocalChannel(port);
}

void Harness::Stop() {
  if (server_) std::static_pointer_cast<ServerApp>(server_)->Shutdown();
}

Config TestServerConfig(const std::string& database_url) {
  Config config;
  config.listen = "127.0.0.1:0";
  config.database_url = database_url;
  config.token_issuer = "kruispunt-test";
  config.token_audience = "kruispunt";
  config.token_public_keys = {Harness::Get().keys().public_pem_path};
  config.shutdown_grace_seconds = 2;
  return config;
}

std::shared_ptr<grpc::Channel> LocalChannel(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
}

std::string Token(const std::string& org, const std::string& sub, int ttl_seconds,
                  const std::string& audience, const std::string& key_path) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json claims = {{"iss", "kruispunt-test"}, {"aud", audience}, {"sub", sub},
                           {"org", org}, {"role", "professional"}, {"exp", now + ttl_seconds}};
  return SignJwt(claims, key_path.empty() ? Harness::Get().keys().private_pem_path : key_path);
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::string UniqueOrg(const std::string& prefix) {
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(Random()()));
  return prefix + "-" + suffix;
}

std::string MakeInsz(int year, int month, int day) {
  char nine[32];
  std::snprintf(nine, sizeof nine, "%02d%02d%02d%03d", year % 100, month, day,
                static_cast<int>(Random()() % 997) + 1);
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
  return v1::CaseService::NewStub(Harness::Get().channel());
}

void CaseApiTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  stub_ = CaseStub();
  org_ = UniqueOrg("dmw");
  token_ = Token(org_, "social-worker-1");
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
