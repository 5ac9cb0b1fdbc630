// The integration tests' world: one in-process Kruispunt server per test binary, on an
// ephemeral loopback port, against the real PostgreSQL of KRUISPUNT_TEST_DATABASE_URL; tokens
// minted with a test key pair; helpers to read google.rpc error details.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "support/test_keys.h"

namespace kp::test {

namespace v1 = kruispunt::cases::v1;

class Harness {
 public:
  static Harness& Get();
  const std::string& address() const { return address_; }
  const std::string& database_url() const { return database_url_; }
  const KeyPair& keys() const { return keys_; }
  const KeyPair& stranger_keys() const { return stranger_keys_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  void Start();
  void Stop();
  // Fails the current test when the server could not be started (a skipped test would hide it).
  void ExpectStarted() const;

 private:
  void StartServer(const std::string& url);
  std::string start_error_;
  std::string address_, database_url_, dir_;
  KeyPair keys_, stranger_keys_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<void> server_;
};

// Settings of a test server on an ephemeral loopback port that trusts the test key.
kp::Config TestServerConfig(const std::string& database_url);

// A plaintext channel to a server on 127.0.0.1:port.
std::shared_ptr<grpc::Channel> LocalChannel(int port);

// A token for person `sub` of organisation `org`, signed with the server's trusted test key.
std::string Token(const std::string& org, const std::string& sub = "person-1", int ttl_seconds = 300,
                  const std::string& audience = "kruispunt", const std::string& key_path = "");

// A client context with a bearer token and a 10 s deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// A unique organisation id per test, so tests never see each other's data.
std::string UniqueOrg(const std::string& prefix);

// A valid INSZ for the birth date, with a random serial; before or from 2000 by the year.
std::string MakeInsz(int year, int month, int day);

std::string ErrorReason(const grpc::Status& status);
std::vector<std::string> ViolationFields(const grpc::Status& status);

std::unique_ptr<v1::CaseService::Stub> CaseStub();

// Fixture with an organisation, its token and stub helpers for clients and cases.
class CaseApiTest : public ::testing::Test {
 protected:
  void SetUp() override;

  v1::Client CreateClient(const std::string& token, const std::string& insz = "",
                          const std::string& request_id = "");
  v1::Case CreateCase(const std::string& token, const std::string& client,
                      const std::string& title = "Schulden en woning");

  std::unique_ptr<v1::CaseService::Stub> stub_;
  std::string org_, token_;
};

}  // namespace kp::test
