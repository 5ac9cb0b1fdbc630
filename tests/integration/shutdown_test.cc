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

// A call stuck in the database (here on a row lock another session holds) does not outlive the
// grace period: the shutdown ends within it and a little more, the client sees the call fail, and
// the change it asked for is not made when the lock is released later.
TEST(Shutdown, WorkStuckInTheDatabaseEndsWithTheGracePeriodAndIsNotCommittedLater) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  Config config = TestServerConfig();
  config.shutdown_grace_seconds = 1;
  ServerApp app(config, AllModules());
  auto stub = v1::CaseService::NewStub(LocalChannel(app.Start()));
  const std::string token = Token(UniqueOrg("shutdown"));
  v1::CreateClientRequest create;
  create.mutable_client()->set_insz(MakeInsz(1959, 3, 12));
  create.mutable_client()->set_given_name("Maria");
  create.mutable_client()->set_family_name("Peeters");
  create.mutable_client()->mutable_birth_date()->set_year(1959);
  create.mutable_client()->mutable_birth_date()->set_month(3);
  create.mutable_client()->mutable_birth_date()->set_day(12);
  v1::Client client;
  ASSERT_TRUE(stub->CreateClient(Ctx(token).get(), create, &client).ok());

  pqxx::connection locker(Harness::Get().database_url());
  pqxx::work lock(locker);
  lock.exec_params("SELECT 1 FROM cases.clients WHERE client_id = $1::uuid FOR UPDATE",
                   client.name().substr(std::string("clients/").size()));
  grpc::Status update_status;
  std::thread updater([&] {
    v1::UpdateClientRequest update;
    update.mutable_client()->set_name(client.name());
    update.mutable_client()->set_given_name("Marie");
    update.mutable_update_mask()->add_paths("given_name");
    v1::Client updated;
    update_status = stub->UpdateClient(Ctx(token).get(), update, &updated);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the update waits for the lock

  const auto stopping = std::chrono::steady_clock::now();
  std::thread stopper([&] { app.Shutdown(); });
  const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  std::atomic<bool> stopped{false};
  std::thread watch([&] { stopper.join(); stopped = true; });
  while (!stopped && std::chrono::steady_clock::now() < bound) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto took = std::chrono::steady_clock::now() - stopping;
  lock.abort();  // releases the row (a shutdown still waiting then ends too)
  watch.join();
  updater.join();
  EXPECT_LT(took, std::chrono::seconds(5)) << "the shutdown waited for the database";
  EXPECT_FALSE(update_status.ok());

  v1::GetClientRequest get;
  get.set_name(client.name());
  v1::Client now;
  ASSERT_TRUE(CaseStub()->GetClient(Ctx(token).get(), get, &now).ok());
  EXPECT_EQ(now.given_name(), "Maria") << "a change its client saw fail was committed later";
}

TEST(Shutdown, AChangeStreamEndsAtOnceWithWhereToResume) {
  ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
  Config config = TestServerConfig();
  config.shutdown_grace_seconds = 5;
  ServerApp app(config, AllModules());
  auto channel = LocalChannel(app.Start());
  const std::string org = UniqueOrg("stream");
  auto context = Ctx(Token(org));
  feed_v1::WatchChangesRequest request;
  request.set_parent("organizations/" + org);
  auto stream = feed_v1::FeedService::NewStub(channel)->WatchChanges(context.get(), request);
  feed_v1::WatchChangesResponse response;
  ASSERT_TRUE(stream->Read(&response));
  const std::string cursor = response.cursor();

  // A stream never finishes by itself: it must not hold the shutdown for the whole grace period.
  const auto start = std::chrono::steady_clock::now();
  std::thread stopping([&] { app.Shutdown(); });
  while (stream->Read(&response)) EXPECT_EQ(response.changes_size(), 0);
  const auto status = stream->Finish();
  stopping.join();
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SHUTTING_DOWN");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(cursor.empty());
}

}  // namespace
}  // namespace kp::test
