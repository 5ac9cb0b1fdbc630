#include "common/bench_shortcut.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

namespace kp {

BenchSkip BenchSkipping() {
  static const BenchSkip skip = [] {
    const char* value = std::getenv("KP_BENCH_SKIP");
    const std::string v = value ? value : "";
    if (v.empty()) return BenchSkip::kNothing;
    if (v == "decision") {
      spdlog::warn("benchmark build: KP_BENCH_SKIP=decision, every access is permitted unchecked and unlogged");
      return BenchSkip::kDecision;
    }
    if (v == "log") {
      spdlog::warn("benchmark build: KP_BENCH_SKIP=log, access decisions are not written to the access log");
      return BenchSkip::kLog;
    }
    spdlog::critical("KP_BENCH_SKIP must be decision or log");
    std::abort();
  }();
  return skip;
}

}  // namespace kp
