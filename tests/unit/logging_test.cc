// The JSON log stays JSON: lines libprotobuf writes (e.g. for a request string that is not UTF-8,
// which anyone who reaches the port can send) go through the logger too.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <sstream>

#include "common/logging.h"

namespace kp {
namespace {

TEST(JsonLog, LibprotobufsLinesAreJsonLinesToo) {
  testing::internal::CaptureStderr();
  InitLogging("json", "info");
  GOOGLE_LOG(WARNING) << "String field 'kruispunt.cases.v1.Client.given_name' contains invalid UTF-8 data";
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  const std::string out = testing::internal::GetCapturedStderr();
  std::istringstream lines(out);
  std::string line;
  int protobuf_lines = 0;
  while (std::getline(lines, line)) {
    const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    if (parsed.value("msg", "").find("protobuf String field") == 0) {
      ++protobuf_lines;
      EXPECT_EQ(parsed.value("level", ""), "warning");
    }
  }
  EXPECT_EQ(protobuf_lines, 1) << out;
}

// A log pipeline filters on fields, not on text inside "msg": each key=value pair after the event
// is a field of its own, numbers and booleans typed; free text stays one message.
TEST(JsonLog, EachKeyValuePairIsAFieldOfItsOwn) {
  using nlohmann::json;
  EXPECT_EQ(JsonLogFields("rpc method=GetCase code=5 duration_us=812 org=dmw-cm request_id=ab12"),
            (json{{"msg", "rpc"}, {"method", "GetCase"}, {"code", 5}, {"duration_us", 812},
                  {"org", "dmw-cm"}, {"request_id", "ab12"}}));
  // Ids stay strings, also when they are all digits.
  EXPECT_EQ(JsonLogFields("rpc code=0 org=0042 request_id=0123456789012345 "
                          "trace_id=12345678901234567890123456789012"),
            (json{{"msg", "rpc"}, {"code", 0}, {"org", "0042"}, {"request_id", "0123456789012345"},
                  {"trace_id", "12345678901234567890123456789012"}}));
  EXPECT_EQ(JsonLogFields("readiness database_up=false"), (json{{"msg", "readiness"}, {"database_up", false}}));
  EXPECT_EQ(JsonLogFields("stopped"), (json{{"msg", "stopped"}}));
  for (const char* free_text : {"shutdown_interrupted calls=2: the grace period was over", "method=GetCase",
                                "a =b", "x Key=1"})
    EXPECT_EQ(JsonLogFields(free_text), (json{{"msg", free_text}})) << free_text;
}

}  // namespace
}  // namespace kp
