// Authentication and the server's surroundings (health, readiness, database outage).
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

// A server whose database is unreachable reports NOT_SERVING and answers UNAVAILABLE.
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

  auto stub = v1::CaseService::NewStub(channel);
  v1::GetCaseRequest request;
  request.set_name("cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  v1::Case c;
  auto status = stub->GetCase(Ctx(Token("dmw", "p")).get(), request, &c);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorReason(status), "DATABASE_UNAVAILABLE");
  app.Shutdown();
}

}  // namespace
}  // namespace kp::test
