// The Batcher's rules, seen directly: which calls form a batch, when the next batch runs, and what
// each call is answered. Its batches run on a real DbPool against the test database; the calls are
// stand-ins that record their answers, and a batch waits until the test lets it finish, so that a
// test can see what arrives meanwhile.
#include <optional>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/batcher.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using namespace std::chrono_literals;
using grpc::StatusCode;

// What the batches did and what every call was answered, shared with the worker threads.
struct Record {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::vector<int>> batches;  // the ids in each batch, in the order batches started
  std::size_t finished = 0;               // batches the test let finish
  std::map<int, grpc::Status> answers;

  template <class Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return pred(); });
  }
  std::size_t BatchCount() {
    std::lock_guard lock(mutex);
    return batches.size();
  }
  void LetOneFinish() {
    std::lock_guard lock(mutex);
    ++finished;
    changed.notify_all();
  }
};

// Stands in for a PendingCall: what the Batcher asks of `Item::call`.
struct FakeCall {
  Record* record;
  int id;
  bool expired;
  const char* method() const { return "BatcherTest"; }
  std::optional<grpc::Status> GivenUp() const {
    if (!expired) return std::nullopt;
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued");
  }
  void Finish(const grpc::Status& status) const {
    std::lock_guard lock(record->mutex);
    record->answers.emplace(id, status);
    record->changed.notify_all();
  }
};

struct Item {
  FakeCall call;
  grpc::Status status;
};

class BatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { Harness::Get().ExpectStarted(); }

  void TearDown() override {
    for (int i = 0; i < 100; ++i) record_.LetOneFinish();
    pool_.Stop();  // before the batcher goes: no batch runs after this
  }

  // Batches that record their calls, then wait until the test lets them finish.
  void Run(std::size_t max_batch, std::size_t max_parallel) {
    batcher_ = std::make_unique<Batcher<Item>>(
        pool_,
        [this](pqxx::connection& db, std::vector<Item>& batch) {
          pqxx::nontransaction(db).exec("SELECT 1");  // a batch has a working connection
          std::unique_lock lock(record_.mutex);
          std::vector<int> ids;
          for (const auto& item : batch) ids.push_back(item.call.id);
          record_.batches.push_back(ids);
          const std::size_t mine = record_.batches.size();
          record_.changed.notify_all();
          record_.changed.wait(lock, [&] { return record_.finished >= mine; });
          if (batch.front().call.id == throwing_id_) throw Error::FailedPrecondition("TEST_RULE", "the batch broke a rule");
          batch.back().status = Error::NotFound("TEST_NOT_FOUND", "the last call of a batch is not found").ToStatus();
        },
        max_batch, max_parallel);
  }
  void Add(int id, bool expired = false) { batcher_->Add(Item{FakeCall{&record_, id, expired}, grpc::Status::OK}); }
  bool BatchesStarted(std::size_t n) {
    return record_.WaitFor([&] { return record_.batches.size() == n; });
  }
  bool Answered(int id) {
    return record_.WaitFor([&] { return record_.answers.count(id) > 0; });
  }
  std::vector<int> Batch(std::size_t i) {
    std::lock_guard lock(record_.mutex);
    return record_.batches.at(i);
  }
  grpc::StatusCode Answer(int id) {
    std::lock_guard lock(record_.mutex);
    return record_.answers.at(id).error_code();
  }
  // Leaves time for a batch that must not start to start anyway, had the Batcher a bug: the
  // assertion that follows can then fail.
  static void Settle() { std::this_thread::sleep_for(100ms); }

  int throwing_id_ = -1;  // a batch whose first call has this id throws
  Record record_;
  DbPool pool_{Harness::Get().database_url(), 3, {}};
  std::unique_ptr<Batcher<Item>> batcher_;  // after pool_: destroyed first
};

TEST_F(BatcherTest, ALoneCallRunsAtOnceInABatchOfItsOwnAndGetsTheStatusItsBatchSet) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesStarted(1));
  EXPECT_EQ(Batch(0), std::vector<int>{1});
  record_.LetOneFinish();
  ASSERT_TRUE(Answered(1));
  EXPECT_EQ(Answer(1), StatusCode::NOT_FOUND);
}

TEST_F(BatcherTest, CallsArrivingWhileABatchRunsFormOneNextBatch) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesStarted(1));
  for (int id = 2; id <= 4; ++id) Add(id);
  Settle();
  EXPECT_EQ(record_.BatchCount(), 1u) << "the next batch waits for the running one";
  record_.LetOneFinish();
  ASSERT_TRUE(BatchesStarted(2));
  EXPECT_EQ(Batch(1), (std::vector<int>{2, 3, 4}));
  record_.LetOneFinish();
  ASSERT_TRUE(Answered(4));
  EXPECT_EQ(Answer(2), StatusCode::OK);
  EXPECT_EQ(Answer(4), StatusCode::NOT_FOUND);
}

TEST_F(BatcherTest, AtMostMaxParallelBatchesRunAtOnce) {
  Run(1, 2);
  for (int id = 1; id <= 3; ++id) Add(id);
  ASSERT_TRUE(BatchesStarted(2));
  Settle();
  EXPECT_EQ(record_.BatchCount(), 2u) << "a third batch started while two ran (the pool has a worker free)";
  record_.LetOneFinish();
  ASSERT_TRUE(BatchesStarted(3));
  EXPECT_EQ(Batch(2), std::vector<int>{3});
}

TEST_F(BatcherTest, ABatchTakesAtMostMaxBatchCalls) {
  Run(2, 1);
  Add(1);
  ASSERT_TRUE(BatchesStarted(1));
  for (int id = 2; id <= 6; ++id) Add(id);
  for (std::size_t b = 1; b <= 3; ++b) {
    record_.LetOneFinish();
    ASSERT_TRUE(BatchesStarted(b + 1));
  }
  EXPECT_EQ(Batch(1), (std::vector<int>{2, 3}));
  EXPECT_EQ(Batch(2), (std::vector<int>{4, 5}));
  EXPECT_EQ(Batch(3), std::vector<int>{6});
}

TEST_F(BatcherTest, ABatchThatThrowsAnswersEachOfItsCallsWithTheErrorAndTheNextBatchRuns) {
  Run(32, 1);
  throwing_id_ = 2;
  Add(1);
  ASSERT_TRUE(BatchesStarted(1));
  Add(2);
  Add(3);
  record_.LetOneFinish();
  ASSERT_TRUE(BatchesStarted(2));
  record_.LetOneFinish();
  ASSERT_TRUE(Answered(3));
  EXPECT_EQ(Answer(2), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Answer(3), StatusCode::FAILED_PRECONDITION);
  Add(4);
  ASSERT_TRUE(BatchesStarted(3));
  record_.LetOneFinish();
  ASSERT_TRUE(Answered(4));
  EXPECT_EQ(Answer(4), StatusCode::NOT_FOUND);
}

TEST_F(BatcherTest, ACallWhoseDeadlinePassedWhileQueuedIsAnsweredWithoutRunning) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesStarted(1));
  Add(2, /*expired=*/true);
  Add(3);
  record_.LetOneFinish();
  ASSERT_TRUE(BatchesStarted(2));
  EXPECT_EQ(Batch(1), std::vector<int>{3});
  EXPECT_EQ(Answer(2), StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(BatcherTest, CallsThePoolRefusesAreAnsweredOverloaded) {
  Run(32, 1);
  pool_.Stop();
  Add(1);
  ASSERT_TRUE(Answered(1));
  EXPECT_EQ(Answer(1), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(record_.BatchCount(), 0u);
}

}  // namespace
}  // namespace kp::test
