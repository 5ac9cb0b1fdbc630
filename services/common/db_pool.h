// A few PostgreSQL connections, each owned by one worker thread. gRPC's threads hand database
// work to these workers and return at once, so a slow query never blocks gRPC itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

namespace kp {

// A named SQL statement, prepared once per connection.
struct PreparedStatement {
  const char* name;
  const char* sql;
};

class DbPool {
 public:
  // A job runs on a worker. Calling conn() connects if needed (throwing pqxx::broken_connection
  // when the database is down) with every registered statement prepared.
  class Session {
   public:
    explicit Session(DbPool& pool) : pool_(pool) {}
    pqxx::connection& conn();
    void DropIfBroken();

   private:
    friend class DbPool;
    void Replace(std::unique_ptr<pqxx::connection> conn);
    DbPool& pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool busy_ = false;  // a job runs (guarded by the pool's mutex, as conn_'s replacement is)
  };
  using Job = std::function<void(Session&)>;

  DbPool(std::string url, int size, std::vector<PreparedStatement> statements,
         std::size_t max_queue = 10000);
  ~DbPool();
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  // Queues a job; false when the queue is full (the caller answers RESOURCE_EXHAUSTED).
  bool Submit(Job job);
  // Stops taking jobs, runs those queued, joins the workers.
  void Stop();
  // Ends the work still running in the database, for a shutdown whose grace period is over: asks
  // PostgreSQL to cancel each running statement (so that it does not commit later, out of sight)
  // and shuts down the sockets of the connections still busy (so that a worker waiting for a hung
  // server returns). Their transactions roll back, unless a COMMIT was already on its way. Returns
  // how many jobs were running.
  std::size_t InterruptRunning();

  // What the pool holds and does now, for the metrics.
  struct Load {
    std::size_t connections = 0;  // workers, one connection each
    std::size_t busy = 0;         // running a job
    std::size_t queued = 0;       // jobs waiting for a worker
  };
  Load CurrentLoad();

  const std::string& url() const { return url_; }

 private:
  void Work();

  std::string url_;
  std::vector<PreparedStatement> statements_;
  std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<Session*> sessions_;  // one per worker, for InterruptRunning
  std::vector<std::thread> workers_;
};

}  // namespace kp
