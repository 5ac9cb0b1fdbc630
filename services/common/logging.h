// spdlog set-up: human text or JSON lines. Log lines carry ids, codes and timings, never names,
// INSZ or free text.
#pragma once

#include <string>

namespace kp {

// format: "text" or "json"; level: trace, debug, info, warn, error.
void InitLogging(const std::string& format, const std::string& level);

}  // namespace kp
