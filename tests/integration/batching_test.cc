// Concurrent GetCase and CreateCase calls from several organisations: every call must still get
// exactly its own answer, one failing create must not fail the others, and other calls are still
// served meanwhile.
#include <thread>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;

class BatchingTest : public CaseApiTest {};

TEST_F(BatchingTest, ConcurrentCallsOfSeveralOrganisationsGetTheirOwnAnswers) {
  struct Org {
    std::string token;
    std::string client;
  };
  std::vector<Org> orgs;
  for (int i = 0; i < 3; ++i) {
    Org org{Token(UniqueOrg("org" + std::to_string(i))), ""};
    org.client = CreateClient(org.token).name();
    orgs.push_back(org);
  }
  constexpr int kThreads = 12, kCallsPerThread = 15;
  std::atomic<int> wrong{0}, created{0}, refused{0}, read_own{0}, hidden_foreign{0};
  std::vector<std::vector<std::string>> made(orgs.size());
  std::mutex made_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = CaseStub();
      const auto& me = orgs[static_cast<size_t>(t) % orgs.size()];
      const auto& other = orgs[static_cast<size_t>(t + 1) % orgs.size()];
      for (int i = 0; i < kCallsPerThread; ++i) {
        v1::CreateCaseRequest create;
        // Every third create names another organisation's client: it must fail alone.
        const bool bad = i % 3 == 0;
        create.mutable_case_()->set_client(bad ? other.client : me.client);
        create.mutable_case_()->set_title("batch " + std::to_string(t) + "/" + std::to_string(i));
        v1::Case c;
        auto status = stub->CreateCase(Ctx(me.token).get(), create, &c);
        if (bad) {
          status.error_code() == StatusCode::FAILED_PRECONDITION ? ++refused : ++wrong;
          continue;
        }
        if (!status.ok() || c.title() != create.case_().title() || c.client() != me.client) {
          ++wrong;
          continue;
        }
        ++created;
        {
          std::lock_guard lock(made_mutex);
          made[static_cast<size_t>(t) % orgs.size()].push_back(c.name());
        }
        v1::GetCaseRequest get;
        get.set_name(c.name());
        v1::Case read;
        status = stub->GetCase(Ctx(me.token).get(), get, &read);
        (status.ok() && read.title() == c.title()) ? ++read_own : ++wrong;
        status = stub->GetCase(Ctx(other.token).get(), get, &read);
        status.error_code() == StatusCode::NOT_FOUND ? ++hidden_foreign : ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  const int good_calls = kThreads * (kCallsPerThread - (kCallsPerThread + 2) / 3);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(created.load(), good_calls);
  EXPECT_EQ(refused.load(), kThreads * kCallsPerThread - good_calls);
  EXPECT_EQ(read_own.load(), good_calls);
  EXPECT_EQ(hidden_foreign.load(), good_calls);

  // Nothing of a refused create was written: each organisation has exactly its good cases.
  for (size_t o = 0; o < orgs.size(); ++o) {
    v1::ListCasesRequest list;
    list.set_page_size(500);
    v1::ListCasesResponse listed;
    ASSERT_TRUE(stub_->ListCases(Ctx(orgs[o].token).get(), list, &listed).ok());
    EXPECT_EQ(static_cast<size_t>(listed.cases_size()), made[o].size());
  }
}

// Sustained GetCase and CreateCase load must not take every database worker from other calls.
TEST_F(BatchingTest, OtherCallsAreServedDuringSustainedBatchedLoad) {
  auto client = CreateClient(token_);
  const auto existing = CreateCase(token_, client.name());
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  // More callers than two batches of each kind take (2 x 32), so the queues never run dry.
  for (int t = 0; t < 200; ++t)
    load.emplace_back([&, t] {
      auto stub = CaseStub();
      while (!stop) {
        v1::Case out;
        if (t % 2 == 0) {
          v1::GetCaseRequest get;
          get.set_name(existing.name());
          stub->GetCase(Ctx(token_).get(), get, &out);
        } else {
          v1::CreateCaseRequest create;
          create.mutable_case_()->set_client(client.name());
          create.mutable_case_()->set_title("belasting");
          stub->CreateCase(Ctx(token_).get(), create, &out);
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int served = 0;
  for (int i = 0; i < 5; ++i) {
    v1::ListCaseStatusChangesRequest request;
    request.set_parent(existing.name());
    v1::ListCaseStatusChangesResponse response;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (stub_->ListCaseStatusChanges(&ctx, request, &response).ok()) ++served;
  }
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(served, 5) << "other calls starved under a load of reads and creates";
}

}  // namespace
}  // namespace kp::test
