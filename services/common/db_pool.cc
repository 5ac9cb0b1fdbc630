#include "common/db_pool.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <future>

namespace kp {

pqxx::connection& DbPool::Session::conn() {
  if (!conn_ || !conn_->is_open()) {
    Replace(nullptr);
    auto fresh = std::make_unique<pqxx::connection>(pool_.url_);
    // Our statements are index lookups whose generic plan is the right one. Left to choose,
    // PostgreSQL keeps re-planning some of them on every execution (~250 us each) because their
    // custom plans look cheaper on paper.
    // Nor parallel workers: a generic plan that expects many rows (an organisation's cases at 1M
    // cases) started workers on every call, and the calls then waited for them to start and stop
    // (bench/scale.sh: ListCases at 1M cases spent most of its time in IPC waits).
    {
      pqxx::nontransaction tx(*fresh);
      tx.exec("SET plan_cache_mode = force_generic_plan");
      tx.exec("SET max_parallel_workers_per_gather = 0");
    }
    for (const auto& statement : pool_.statements_) fresh->prepare(statement.name, statement.sql);
    Replace(std::move(fresh));
  }
  return *conn_;
}

void DbPool::Session::DropIfBroken() {
  if (conn_ && !conn_->is_open()) Replace(nullptr);
}

// Under the pool's mutex, so that InterruptRunning never touches a socket being closed.
void DbPool::Session::Replace(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(pool_.mutex_);
  conn_ = std::move(conn);
}

DbPool::Load DbPool::CurrentLoad() {
  std::lock_guard lock(mutex_);
  Load load;
  load.connections = workers_.size();
  for (const auto* session : sessions_) load.busy += session->busy_ ? 1 : 0;
  load.queued = queue_.size();
  return load;
}

std::size_t DbPool::InterruptRunning() {
  std::vector<int> backends;
  {
    std::lock_guard lock(mutex_);
    for (const auto* session : sessions_)
      if (session->busy_ && session->conn_) backends.push_back(session->conn_->backendpid());
  }
  if (backends.empty()) return 0;
  // Cancelled from a connection of its own (the role may cancel its own backends), on a thread of
  // its own that holds only copies: a PostgreSQL that does not answer cannot hold the shutdown.
  auto cancelled = std::make_shared<std::promise<void>>();
  std::thread([url = url_, backends, cancelled] {
    try {
      pqxx::connection conn(url);
      pqxx::nontransaction tx(conn);
      for (const int pid : backends) tx.exec_params("SELECT pg_cancel_backend($1)", pid);
    } catch (const std::exception&) {
      // The sockets are shut down below all the same.
    }
    cancelled->set_value();
  }).detach();
  cancelled->get_future().wait_for(std::chrono::seconds(1));
  std::lock_guard lock(mutex_);
  for (const auto* session : sessions_)
    if (session->busy_ && session->conn_ && session->conn_->is_open()) ::shutdown(session->conn_->sock(), SHUT_RDWR);
  return backends.size();
}

DbPool::DbPool(std::string url, int size, std::vector<PreparedStatement> statements,
               std::size_t max_queue)
    : url_(std::move(url)), statements_(std::move(statements)), max_queue_(max_queue) {
  for (int i = 0; i < size; ++i) workers_.emplace_back([this] { Work(); });
}

DbPool::~DbPool() { Stop(); }

bool DbPool::Submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void DbPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void DbPool::Work() {
  Session session(*this);
  {
    std::lock_guard lock(mutex_);
    sessions_.push_back(&session);
  }
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      session.busy_ = false;
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping and drained
        std::erase(sessions_, &session);
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      session.busy_ = true;
    }
    try {
      job(session);
    } catch (const std::exception& e) {
      // Jobs map their own errors; this is a last line of defence for the worker.
      spdlog::error("database job escaped with an exception type={}", typeid(e).name());
    }
    session.DropIfBroken();
  }
}

}  // namespace kp
