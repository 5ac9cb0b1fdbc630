// Authentication and the server's surroundings (health, readiness, database outage).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/generic/generic_stub.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "common/files.h"
#include "host/server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

class AuthTest : public CaseApiTest {
 protected:
  grpc::Status GetCaseWith(const std::string& token) {
    v1::GetCaseRequest request;
    request.set_name("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
    v1::Case response;
    return stub_->GetCase(Ctx(token).get(), request, &response);
  }
};

TEST_F(AuthTest, MissingTokenIsUnauthenticated) {
  auto status = GetCaseWith("");
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "TOKEN_MISSING");
}

TEST_F(AuthTest, MalformedHeaderIsUnauthenticated) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  v1::GetCaseRequest request;
  v1::Case response;
  auto status = stub_->GetCase(&ctx, request, &response);
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "TOKEN_MALFORMED");
}

// RFC 7235: the scheme's name is case-insensitive, and one or more spaces follow it.
TEST_F(AuthTest, TheBearerSchemeIsCaseInsensitive) {
  for (const std::string scheme : {"bearer ", "BEARER ", "Bearer   "}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", scheme + token_);
    v1::GetCaseRequest request;
    request.set_name("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
    v1::Case response;
    EXPECT_EQ(stub_->GetCase(&ctx, request, &response).error_code(), StatusCode::NOT_FOUND) << scheme;
  }
}

// A role this server does not know is refused, never taken for a professional's.
TEST_F(AuthTest, AnUnknownRoleIsUnauthenticated) {
  for (const std::string role : {"superuser", "Professional", ""}) {
    const auto status = GetCaseWith(Token(org_, person_, 300, "kruispunt", "", role));
    EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << role;
    EXPECT_EQ(ErrorReason(status), "TOKEN_CLAIMS_INVALID") << role;
  }
}

TEST_F(AuthTest, ExpiredTokenIsUnauthenticated) {
  auto status = GetCaseWith(Token(org_, "p", /*ttl_seconds=*/-120));
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "TOKEN_INVALID");
  EXPECT_EQ(status.error_message(), "token has expired");
}

TEST_F(AuthTest, TokenSignedByAnUntrustedKeyIsUnauthenticated) {
  auto status = GetCaseWith(Token(org_, "p", 300, "kruispunt", Harness::Get().stranger_keys().private_pem_path));
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "token signature is invalid");
}

TEST_F(AuthTest, TokenForAnotherAudienceIsUnauthenticated) {
  auto status = GetCaseWith(Token(org_, "p", 300, "some-other-service"));
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, ValidTokenReachesTheService) {
  auto status = GetCaseWith(token_);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND) << status.error_message();
}

// Bytes that are not the method's message (or a string that is not UTF-8) never reach a handler:
// they are INVALID_ARGUMENT REQUEST_UNPARSEABLE, before the token is looked at; a method Kruispunt
// does not have stays UNIMPLEMENTED.
TEST_F(AuthTest, AnUnparseableRequestIsInvalidArgument) {
  grpc::GenericStub generic(Harness::Get().Channel(v1::CaseService::service_full_name()));
  const auto send = [&](const std::string& method, const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::mutex mutex;
    std::condition_variable done;
    std::optional<grpc::Status> status;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      std::lock_guard lock(mutex);
      status = s;
      done.notify_one();
    });
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return status.has_value(); });
    return *status;
  };
  const std::string garbage("\xff\xff\xff\xff\x0f", 5);
  auto status = send("/kruispunt.cases.v1.CaseService/GetCase", garbage);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "REQUEST_UNPARSEABLE");
  v1::GetCaseRequest not_utf8;
  not_utf8.set_name("cases/\xc3\x28");
  status = send("/kruispunt.cases.v1.CaseService/GetCase", not_utf8.SerializeAsString());
  EXPECT_EQ(ErrorReason(status), "REQUEST_UNPARSEABLE");
  EXPECT_EQ(send("/kruispunt.cases.v1.CaseService/NoSuchMethod", "").error_code(), StatusCode::UNIMPLEMENTED);
}

// The keys that verify callers' tokens come from files an identity provider's tooling renews
// while the server runs: a key added there admits its tokens without a restart.
TEST_F(AuthTest, AVerificationKeyAddedToItsFileIsUsedWithoutARestart) {
  const CredentialFile keys(Harness::Get().keys().public_pem_path);
  const auto& new_key = Harness::Get().stranger_keys();
  const auto token = Token(org_, person_, 300, "kruispunt", new_key.private_pem_path);
  EXPECT_EQ(GetCaseWith(token).error_code(), StatusCode::UNAUTHENTICATED);
  keys.Replace(keys.original() + ReadFileToString(new_key.public_pem_path));
  EXPECT_EQ(GetCaseWith(token).error_code(), StatusCode::NOT_FOUND);  // authenticated; no such case
}

TEST_F(AuthTest, HealthNeedsNoTokenAndReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(Harness::Get().channel());
  for (const std::string service : {"", "kruispunt.cases.v1.CaseService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthResponse response;
    grpc::ClientContext ctx;
    ASSERT_TRUE(health->Check(&ctx, request, &response).ok());
    EXPECT_EQ(response.status(), HealthResponse::SERVING) << service;
  }
}

// A server whose database is unreachable reports NOT_SERVING (but stays alive for a liveness
// probe) and answers UNAVAILABLE.
TEST(DatabaseOutage, ReadinessIsNotServingAndCallsAreUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  Config config = TestServerConfig();
  config.database_url = "postgresql://nobody@/kruispunt?host=/nonexistent-kruispunt-socket&port=1";
  config.migrate = 0;
  ServerApp app(config, AllModules());
  auto channel = LocalChannel(app.Start());

  auto health = grpc::health::v1::Health::NewStub(channel);
  HealthResponse response;
  grpc::ClientContext health_ctx;
  grpc::health::v1::HealthCheckRequest health_request;
  ASSERT_TRUE(health->Check(&health_ctx, health_request, &response).ok());
  EXPECT_EQ(response.status(), HealthResponse::NOT_SERVING);
  // Not ready, but alive: an orchestrator takes it out of service without restarting it.
  grpc::ClientContext liveness_ctx;
  health_request.set_service(std::string(kLivenessService));
  ASSERT_TRUE(health->Check(&liveness_ctx, health_request, &response).ok());
  EXPECT_EQ(response.status(), HealthResponse::SERVING);

  auto stub = v1::CaseService::NewStub(channel);
  v1::GetCaseRequest request;
  request.set_name("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  v1::Case c;
  auto status = stub->GetCase(Ctx(Token("dmw", "p")).get(), request, &c);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorReason(status), "DATABASE_UNAVAILABLE");
  app.Shutdown();
}

// A database that accepts connections and then never answers (a hung PostgreSQL) turns readiness
// NOT_SERVING within the probe's bound, although libpq itself would wait 30 s for it here.
TEST(DatabaseOutage, ADatabaseThatHangsIsNotServing) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  const int silent = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(silent, 16), 0);  // the kernel accepts; nobody ever answers
  ASSERT_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);

  Config config = TestServerConfig();
  config.database_url = "postgresql://nobody@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
                        "/kruispunt?connect_timeout=30";
  config.migrate = 0;
  ServerApp app(config, AllModules());
  const auto started = std::chrono::steady_clock::now();
  auto channel = LocalChannel(app.Start());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << "Start waits for no hung probe";
  auto health = grpc::health::v1::Health::NewStub(channel);
  HealthResponse response;
  grpc::ClientContext health_ctx;
  ASSERT_TRUE(health->Check(&health_ctx, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), HealthResponse::NOT_SERVING);
  app.Shutdown();
  close(silent);
}

}  // namespace
}  // namespace kp::test
