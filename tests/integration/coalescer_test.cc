// The Coalescer's batching rules, seen directly: which calls form a batch, when the next batch
// runs, and what each call is answered. Its batches run on a real DbPool against the test
// database; the calls are stand-ins that record their answers, so that a test can hold a batch's
// Slot (as a continuation waiting for another service does) and see what arrives meanwhile.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/coalescer.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using namespace std::chrono_literals;
using grpc::StatusCode;

using Slot = std::shared_ptr<void>;  // Coalescer<Item>::Slot

// What the batches did and what every call was answered, shared with the worker threads.
struct Record {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::vector<int>> batches;  // the ids in each batch, in the order batches ran
  std::vector<Slot> held;                 // slots of batches the test has not let go of yet
  std::map<int, grpc::Status> answers;

  // Waits until `pred` holds (checked under the lock); false after 5 s.
  template <class Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return pred(); });
  }
  std::size_t BatchCount() {
    std::lock_guard lock(mutex);
    return batches.size();
  }
  // Lets go of the oldest held batch, as its continuation does once another service answered.
  // False when none is held.
  bool ReleaseOldest() {
    Slot slot;
    {
      std::lock_guard lock(mutex);
      if (held.empty()) return false;
      slot = std::move(held.front());
      held.erase(held.begin());
    }
    slot.reset();  // outside the lock: letting go may run the next batch at once
    return true;
  }
};

// Stands in for a PendingCall: what the Coalescer asks of `Item::call`.
struct FakeCall {
  Record* record;
  int id;
  bool expired;
  const char* method() const { return "CoalescerTest"; }
  bool DeadlinePassed() const { return expired; }
  void Finish(const grpc::Status& status) const {
    std::lock_guard lock(record->mutex);
    record->answers.emplace(id, status);
    record->changed.notify_all();
  }
};

struct Item {
  FakeCall call;
};

class CoalescerTest : public ::testing::Test {
 protected:
  void SetUp() override { Harness::Get().ExpectStarted(); }

  void TearDown() override {
    while (record_.ReleaseOldest()) {
    }
    pool_.Stop();  // before the coalescer goes: no batch runs after this
  }

  // A batch that answers its calls at once and keeps its slot until the test lets go of it.
  void Run(std::size_t max_batch, std::size_t max_parallel) {
    coalescer_ = std::make_unique<Coalescer<Item>>(
        pool_, max_batch, max_parallel, [this](pqxx::connection& db, std::vector<Item>& batch, Slot slot) {
          if (batch.front().call.id == throwing_id_)
            throw Error::FailedPrecondition("TEST_RULE", "the batch broke a rule");
          pqxx::nontransaction(db).exec("SELECT 1");  // a batch has a working connection
          std::lock_guard lock(record_.mutex);
          std::vector<int> ids;
          for (const auto& item : batch) {
            ids.push_back(item.call.id);
            record_.answers.emplace(item.call.id, grpc::Status::OK);
          }
          record_.batches.push_back(ids);
          record_.held.push_back(std::move(slot));
          record_.changed.notify_all();
        });
  }
  void Add(int id, bool expired = false) { coalescer_->Add(Item{FakeCall{&record_, id, expired}}); }
  bool BatchesRun(std::size_t n) {
    return record_.WaitFor([&] { return record_.batches.size() == n; });
  }
  std::vector<int> Batch(std::size_t i) {
    std::lock_guard lock(record_.mutex);
    return record_.batches.at(i);
  }
  grpc::StatusCode Answer(int id) {
    std::lock_guard lock(record_.mutex);
    return record_.answers.at(id).error_code();
  }
  // Leaves time for a batch that must not start to start anyway, had the Coalescer a bug: the
  // assertion that follows can then fail.
  static void Settle() { std::this_thread::sleep_for(100ms); }

  int throwing_id_ = -1;  // a batch whose first call has this id throws
  Record record_;
  DbPool pool_{Harness::Get().database_url(), 2, {}};
  std::unique_ptr<Coalescer<Item>> coalescer_;  // after pool_: destroyed first
};

TEST_F(CoalescerTest, ALoneCallRunsAtOnceInABatchOfItsOwn) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  EXPECT_EQ(Batch(0), std::vector<int>{1});
  EXPECT_EQ(Answer(1), StatusCode::OK);
}

TEST_F(CoalescerTest, CallsArrivingWhileABatchHoldsItsSlotFormOneNextBatch) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  // Batch [1] is answered but still holds its slot: the next calls wait for it.
  Add(2);
  Add(3);
  Add(4);
  Settle();
  EXPECT_EQ(record_.BatchCount(), 1u);
  record_.ReleaseOldest();
  ASSERT_TRUE(BatchesRun(2));
  EXPECT_EQ(Batch(1), (std::vector<int>{2, 3, 4}));
  record_.ReleaseOldest();
  Settle();
  EXPECT_EQ(record_.BatchCount(), 2u) << "nothing waits, so no further batch runs";
}

TEST_F(CoalescerTest, AtMostMaxParallelBatchesAreInFlight) {
  Run(32, 2);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  Add(2);  // a second batch runs beside the first
  ASSERT_TRUE(BatchesRun(2));
  Add(3);
  Add(4);
  Settle();
  EXPECT_EQ(record_.BatchCount(), 2u);
  record_.ReleaseOldest();
  ASSERT_TRUE(BatchesRun(3));
  EXPECT_EQ(Batch(2), (std::vector<int>{3, 4}));
}

TEST_F(CoalescerTest, ABatchTakesAtMostMaxBatchCalls) {
  Run(2, 1);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  for (int id = 2; id <= 4; ++id) Add(id);
  record_.ReleaseOldest();
  ASSERT_TRUE(BatchesRun(2));
  EXPECT_EQ(Batch(1), (std::vector<int>{2, 3}));
  record_.ReleaseOldest();
  ASSERT_TRUE(BatchesRun(3));
  EXPECT_EQ(Batch(2), std::vector<int>{4});
}

TEST_F(CoalescerTest, ABatchThatThrowsAnswersEachOfItsCallsWithTheErrorAndLetsGoOfItsSlot) {
  throwing_id_ = 2;
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  Add(2);
  Add(3);
  record_.ReleaseOldest();  // [2, 3] runs and throws
  ASSERT_TRUE(record_.WaitFor([&] { return record_.answers.size() == 3; }));
  EXPECT_EQ(Answer(2), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Answer(3), StatusCode::FAILED_PRECONDITION);
  Add(4);  // the failed batch holds no slot: the next call runs
  ASSERT_TRUE(BatchesRun(2));
  EXPECT_EQ(Batch(1), std::vector<int>{4});
}

TEST_F(CoalescerTest, ACallWhoseDeadlinePassedWhileQueuedIsAnsweredWithoutRunning) {
  Run(32, 1);
  Add(1);
  ASSERT_TRUE(BatchesRun(1));
  Add(2, /*expired=*/true);
  Add(3);
  record_.ReleaseOldest();
  ASSERT_TRUE(BatchesRun(2));
  EXPECT_EQ(Batch(1), std::vector<int>{3});
  EXPECT_EQ(Answer(2), StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(CoalescerTest, CallsThePoolRefusesAreAnsweredOverloaded) {
  Run(32, 1);
  pool_.Stop();
  Add(1);
  ASSERT_TRUE(record_.WaitFor([&] { return record_.answers.size() == 1; }));
  EXPECT_EQ(Answer(1), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(record_.BatchCount(), 0u);
}

}  // namespace
}  // namespace kp::test
