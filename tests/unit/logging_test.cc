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

}  // namespace
}  // namespace kp
