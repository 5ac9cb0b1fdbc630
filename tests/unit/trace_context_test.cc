// W3C traceparent: which headers Kruispunt passes on and whose trace id it logs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/trace_context.h"

namespace kp {
namespace {

constexpr char kSpecExample[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, AValidTraceparentGivesItsTraceId) {
  EXPECT_EQ(TraceIdOf(kSpecExample), "4bf92f3577b34da6a3ce929d0e0e4736");
  // A later version is read by its first four fields, also with more after them.
  EXPECT_EQ(TraceIdOf("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later-fields"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceContext, AnInvalidTraceparentIsIgnored) {
  const std::string valid = kSpecExample;
  for (const std::string& bad : std::vector<std::string>{
           "",
           valid.substr(0, 54),                                          // too short
           valid + "-00",                                                // version 00 has 4 fields
           "ff" + valid.substr(2),                                       // version ff is invalid
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no '-'
       })
    EXPECT_EQ(TraceIdOf(bad), std::nullopt) << bad;
}

TEST(TraceContext, OnlyAShortPrintableTracestateIsPassedOn) {
  EXPECT_TRUE(IsForwardableTracestate("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
  EXPECT_TRUE(IsForwardableTracestate(std::string(512, 'a')));
  EXPECT_FALSE(IsForwardableTracestate(std::string(513, 'a')));
  EXPECT_FALSE(IsForwardableTracestate("rojo=00f067aa\n0ba902b7"));
}

}  // namespace
}  // namespace kp
