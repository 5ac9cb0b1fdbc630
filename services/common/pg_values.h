// Shared pieces of the repositories: how timestamps, int lists and pages travel between
// PostgreSQL rows and protobuf messages.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "kruispunt/type/v1/date.pb.h"

// A timestamptz column as whole microseconds since the epoch (NULL stays NULL).
#define KP_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
// The timestamptz of a bigint parameter of microseconds since the epoch, exactly (KP_MICROS's
// inverse: a position read with KP_MICROS compares equal to its row's time).
#define KP_FROM_MICROS(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

namespace kp {

// Microseconds since the epoch as a Timestamp (nanos never negative, also before 1970).
inline void SetTime(google::protobuf::Timestamp* ts, int64_t micros) {
  int64_t seconds = micros / 1000000, rest = micros % 1000000;
  if (rest < 0) seconds -= 1, rest += 1000000;
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest) * 1000);
}

// A date column read as text ("2026-11-24") into a Date.
inline void SetDate(kruispunt::type::v1::Date* date, const std::string& iso) {
  int y = 0, m = 0, d = 0;
  std::sscanf(iso.c_str(), "%d-%d-%d", &y, &m, &d);
  date->set_year(y);
  date->set_month(m);
  date->set_day(d);
}

// Microseconds since the epoch as text for a timestamptz parameter ("to_timestamp($n / 1e6)").
inline int64_t Micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// "1,4,7" (array_to_string of a smallint[]) -> {1, 4, 7}.
inline std::vector<int> ParseIntList(const std::string& text) {
  std::vector<int> values;
  for (const char* p = text.data(); p < text.data() + text.size();) {
    int value = 0;
    auto [next, ec] = std::from_chars(p, text.data() + text.size(), value);
    if (ec != std::errc()) break;
    values.push_back(value);
    p = next + 1;
  }
  return values;
}

// A PostgreSQL array literal of validated values (ids, UUIDs, numbers: no quotes, commas or
// backslashes), each quoted so that none is read as NULL.
inline std::string ArrayLiteral(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (const auto& v : values) literal += (literal.size() > 1 ? ",\"" : "\"") + v + "\"";
  return literal + "}";
}

// "a,b,c" (array_to_string of a text[] or uuid[]) -> {"a", "b", "c"}; "" -> {}.
inline std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> values;
  for (std::size_t start = 0; start < text.size();) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    values.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return values;
}

// Reads up to `limit` rows with read_one (which returns the row's list position); the query
// asked for limit + 1, so a further row means there is a next page: returns the position to
// continue after, or nullopt at the end of the list.
template <class Fn>
std::optional<int64_t> ReadPage(const pqxx::result& rows, int limit, Fn read_one) {
  int64_t last = 0;
  int count = 0;
  for (const auto& row : rows) {
    if (count == limit) return last;
    last = read_one(row);
    ++count;
  }
  return std::nullopt;
}

}  // namespace kp
