#include "common/db_pool.h"

#include <spdlog/spdlog.h>

namespace kp {

pqxx::connection& DbPool::Session::conn() {
  if (!conn_ || !conn_->is_open()) {
    conn_.reset();
    auto fresh = std::make_unique<pqxx::connection>(pool_.url_);
    // Our statements are index lookups whose generic plan is the right one. Left to choose,
    // PostgreSQL keeps re-planning some of them on every execution (~250 us each) because their
    // custom plans look cheaper on paper.
    {
      pqxx::nontransaction tx(*fresh);
      tx.exec("SET plan_cache_mode = force_generic_plan");
    }
    for (const auto& statement : pool_.statements_) fresh->prepare(statement.name, statement.sql);
    conn_ = std::move(fresh);
  }
  return *conn_;
}

void DbPool::Session::DropIfBroken() {
  if (conn_ && !conn_->is_open()) conn_.reset();
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
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
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
