#include "common/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace kp {

namespace {
// %* : the message as the inside of a JSON string (spdlog 1.10 has no JSON formatter).
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string quoted = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data() + 1, quoted.data() + quoted.size() - 1);
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
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%*"})");
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
