// spdlog set-up: human text or JSON lines. Log lines carry ids, codes and timings, never names,
// INSZ or free text.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace kp {

// A log line ("event key=value ...") as the members of a JSON log line: {"msg": event, key: value,
// ...}, numbers as numbers; a line of free text as {"msg": line}.
nlohmann::json JsonLogFields(std::string_view line);

// format: "text" or "json"; level: trace, debug, info, warn, error.
void InitLogging(const std::string& format, const std::string& level);

}  // namespace kp
