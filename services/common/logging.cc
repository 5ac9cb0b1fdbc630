#include "common/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

namespace kp {

namespace {
// %* : the message as JSON members (spdlog 1.10 has no JSON formatter).
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string members =
        JsonLogFields(std::string_view(msg.payload.data(), msg.payload.size()))
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(members.data() + 1, members.data() + members.size() - 1);  // without the braces
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};
// libprotobuf writes its own lines to stderr (e.g. a request string that is not UTF-8, which any
// client can send before its token is checked): they go through the logger, so that a JSON log
// stays JSON. Its messages name fields and types, never the values.
void ProtobufLog(google::protobuf::LogLevel level, const char* /*filename*/, int /*line*/, const std::string& message) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO: spdlog::info("protobuf {}", message); break;
    case google::protobuf::LOGLEVEL_WARNING: spdlog::warn("protobuf {}", message); break;
    default: spdlog::error("protobuf {}", message); break;
  }
}
}  // namespace

// The project's log lines are an event followed by key=value pairs ("rpc method=GetCase code=0
// ..."): in JSON each pair is a field of its own, a number when its value is one (ids excepted), so
// that a log pipeline can filter on them. A line that is not only pairs after its event (free text) stays
// one "msg".
nlohmann::json JsonLogFields(std::string_view line) {
  nlohmann::json out = nlohmann::json::object();
  const auto is_pair = [](std::string_view word) {
    const auto eq = word.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    for (const char c : word.substr(0, eq))
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
        return false;
    return true;
  };
  std::vector<std::string_view> words;
  for (std::size_t start = 0; start <= line.size();) {
    const auto end = std::min(line.find(' ', start), line.size());
    words.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  std::size_t first_pair = 0;
  while (first_pair < words.size() && !is_pair(words[first_pair])) ++first_pair;
  bool all_pairs = first_pair > 0 && first_pair < words.size();
  for (std::size_t i = first_pair; all_pairs && i < words.size(); ++i) all_pairs = is_pair(words[i]);
  if (!all_pairs) {
    out["msg"] = std::string(line);
    return out;
  }
  const auto event_end = words[first_pair].data() - line.data();
  out["msg"] = std::string(line.substr(0, event_end > 0 ? event_end - 1 : 0));
  for (std::size_t i = first_pair; i < words.size(); ++i) {
    const auto eq = words[i].find('=');
    const std::string key(words[i].substr(0, eq));
    const std::string value(words[i].substr(eq + 1));
    // An id stays a string even when it is all digits ("0042", a 32-digit trace id).
    const bool is_id = key == "org" || key.ends_with("_id");
    long long number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (!is_id && !value.empty() && error == std::errc() && end == value.data() + value.size()) out[key] = number;
    else if (value == "true" || value == "false") out[key] = value == "true";
    else out[key] = value;
  }
  return out;
}

void InitLogging(const std::string& format, const std::string& level) {
  // stderr is unbuffered: one write() per access line costs ~10% of a read's throughput. Buffer
  // it and flush every second, and at once for warnings and errors.
  static char buffer[1 << 16];
  std::setvbuf(stderr, buffer, _IOFBF, sizeof buffer);
  auto logger = std::make_shared<spdlog::logger>(
      "kruispunt", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,%*})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  google::protobuf::SetLogHandler(&ProtobufLog);
}

}  // namespace kp
