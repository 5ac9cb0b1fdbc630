// W3C Trace Context (https://www.w3.org/TR/trace-context/): Kruispunt does not record spans, so it
// takes part as a platform that passes a trace on: a valid `traceparent` (and its `tracestate`) is
// forwarded unchanged to every service the call reaches, its trace id is logged with each line of
// the call, and it serves as the request id when the client sent no `x-request-id`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kp {

// The trace id (32 lower-case hex digits) of a valid traceparent header, else nullopt: version
// "00" exactly as the spec gives it; a later version (not "ff") by its first four fields, as the
// spec asks of a reader that does not know that version. All-zero trace or parent ids are invalid.
std::optional<std::string> TraceIdOf(std::string_view traceparent);

// Whether a tracestate header is worth passing on: at most 512 printable ASCII characters.
bool IsForwardableTracestate(std::string_view tracestate);

}  // namespace kp
