#include "common/trace_context.h"

#include <algorithm>

namespace kp {

namespace {
bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
bool IsAllZeros(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}
}  // namespace

std::optional<std::string> TraceIdOf(std::string_view traceparent) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2): 55 characters.
  constexpr std::size_t kLength = 55;
  if (traceparent.size() < kLength) return std::nullopt;
  const std::string_view version = traceparent.substr(0, 2), trace_id = traceparent.substr(3, 32),
                         parent_id = traceparent.substr(36, 16), flags = traceparent.substr(53, 2);
  if (traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') return std::nullopt;
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace_id) || !IsLowerHex(parent_id) ||
      !IsLowerHex(flags))
    return std::nullopt;
  if (version == "00" ? traceparent.size() != kLength
                      : traceparent.size() > kLength && traceparent[kLength] != '-')
    return std::nullopt;
  if (IsAllZeros(trace_id) || IsAllZeros(parent_id)) return std::nullopt;
  return std::string(trace_id);
}

bool IsForwardableTracestate(std::string_view tracestate) {
  return tracestate.size() <= 512 &&
         std::all_of(tracestate.begin(), tracestate.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace kp
