#include "host/database_probe.h"

#include <pqxx/pqxx>

#include <atomic>
#include <future>
#include <thread>

namespace kp {

struct DatabaseProbe::Shared {
  std::string url;
  std::atomic<bool> stop{false};
  std::atomic<int> last{static_cast<int>(State::kUnknown)};
  std::atomic<bool> probing{false};
  std::atomic<std::chrono::steady_clock::rep> started{0};
  std::promise<void> exited;
};

DatabaseProbe::DatabaseProbe(std::string database_url) : shared_(std::make_shared<Shared>()) {
  shared_->url = std::move(database_url);
  std::thread([shared = shared_] {
    std::unique_ptr<pqxx::connection> conn;
    while (!shared->stop) {
      shared->started = std::chrono::steady_clock::now().time_since_epoch().count();
      shared->probing = true;
      bool up = false;
      try {
        if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(shared->url);
        pqxx::nontransaction(*conn).exec("SELECT 1");
        up = true;
      } catch (const std::exception&) {
        conn.reset();
      }
      shared->probing = false;
      shared->last = static_cast<int>(up ? State::kUp : State::kDown);
      const auto next = std::chrono::steady_clock::now() + kEvery;
      while (!shared->stop && std::chrono::steady_clock::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    shared->exited.set_value();
  }).detach();
}

DatabaseProbe::~DatabaseProbe() {
  shared_->stop = true;
  shared_->exited.get_future().wait_for(std::chrono::seconds(1));
}

DatabaseProbe::State DatabaseProbe::Now() const {
  if (shared_->probing) {
    const auto started = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(shared_->started));
    if (std::chrono::steady_clock::now() - started > kBound) return State::kDown;
  }
  return static_cast<State>(shared_->last.load());
}

}  // namespace kp
