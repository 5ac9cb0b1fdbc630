// Readiness: whether the database answers, probed every second on a thread of its own. Each probe
// is bounded: one that has not answered within kBound counts as down, so that a PostgreSQL that
// hangs (a stopped postmaster, a stuck network) turns health NOT_SERVING instead of leaving it
// SERVING. The probing thread may stay blocked in libpq; it holds only state of its own, so the
// server stops without waiting for it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace kp {

class DatabaseProbe {
 public:
  static constexpr std::chrono::seconds kBound{2};
  static constexpr std::chrono::seconds kEvery{1};

  explicit DatabaseProbe(std::string database_url);
  // Stops probing; waits up to a second for a probe in progress, then leaves it behind.
  ~DatabaseProbe();

  enum class State { kUnknown, kDown, kUp };
  // The last probe's answer; kDown while a probe has been waiting longer than kBound.
  State Now() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace kp
