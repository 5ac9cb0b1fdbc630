// Graceful shutdown: calls in flight when the server stops are completed. Calls that race the
// shutdown are refused before any handler runs (gRPC answers UNAVAILABLE or CANCELLED): nothing of
// them is written, so a client may retry them.
#include <set>
#include <thread>

#include "host/server.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;

TEST(Shutdown, CallsInFlightFinishAndNothingIsCutOff) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  Config config = TestServerConfig();
  config.shutdown_grace_seconds = 5;
  ServerApp app(config, AllModules());
  auto channel = LocalChannel(app.Start());
  const std::string token = Token(UniqueOrg("shutdown"));

  // A client to create cases for, through the harness server (same database).
  v1::CreateClientRequest cr;
  cr.mutable_client()->set_insz(MakeInsz(1959, 3, 12));
  cr.mutable_client()->set_given_name("Maria");
  cr.mutable_client()->set_family_name("Peeters");
  cr.mutable_client()->mutable_birth_date()->set_year(1959);
  cr.mutable_client()->mutable_birth_date()->set_month(3);
  cr.mutable_client()->mutable_birth_date()->set_day(12);
  v1::Client client;
  ASSERT_TRUE(v1::CaseService::NewStub(channel)->CreateClient(Ctx(token).get(), cr, &client).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::mutex mutex;
  std::vector<std::string> created;
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&] {
      auto stub = v1::CaseService::NewStub(channel);
      while (!stop) {
        v1::CreateCaseRequest request;
        request.mutable_case_()->set_client(client.name());
        request.mutable_case_()->set_title("tijdens het stoppen");
        v1::Case c;
        auto status = stub->CreateCase(Ctx(token).get(), request, &c);
        if (status.ok()) {
          ++ok;
          std::lock_guard lock(mutex);
          created.push_back(c.name());
        } else if (status.error_code() == StatusCode::UNAVAILABLE ||
                   status.error_code() == StatusCode::CANCELLED) {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++other;
          ADD_FAILURE() << "unexpected status " << status.error_code() << " " << status.error_message();
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  app.Shutdown();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& c : callers) c.join();

  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(refused.load(), 0) << "calls after shutdown are refused";
  EXPECT_EQ(other.load(), 0);

  // Exactly the confirmed cases were written: no confirmed one is missing, and no refused call
  // wrote anything. The count runs through the harness server, on the same database.
  v1::ListCasesRequest list;
  list.set_page_size(500);
  std::set<std::string> in_db;
  for (;;) {
    v1::ListCasesResponse listed;
    ASSERT_TRUE(CaseStub()->ListCases(Ctx(token).get(), list, &listed).ok());
    for (const auto& c : listed.cases()) in_db.insert(c.name());
    if (listed.next_page_token().empty()) break;
    list.set_page_token(listed.next_page_token());
  }
  EXPECT_EQ(in_db, std::set<std::string>(created.begin(), created.end()));
}

}  // namespace
}  // namespace kp::test
