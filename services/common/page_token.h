// Opaque page tokens for keyset pagination (AIP-158): the position after the last item returned,
// bound to the filters of the list it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kp {

// A stable fingerprint of a list's filters (FNV-1a), so a token is refused for other filters.
uint64_t FilterFingerprint(std::string_view canonical_filters);

std::string EncodePageToken(int64_t after_position, uint64_t fingerprint);
// nullopt when the token is malformed or belongs to other filters.
std::optional<int64_t> DecodePageToken(std::string_view token, uint64_t fingerprint);

// A position of two parts, for a list ordered by two columns (the access log search: time, then
// sequence, since a batch of entries shares its time).
struct Position2 {
  int64_t after, then;
};
std::string EncodePageToken(Position2 position, uint64_t fingerprint);
std::optional<Position2> DecodePageToken2(std::string_view token, uint64_t fingerprint);

// A list request's position: page size and the position after which to continue (`then`: its
// second part, for a list ordered by two columns; 0 otherwise).
struct Page {
  int size;
  int64_t after;
  uint64_t fingerprint;
  int64_t then = 0;
};
// Decodes page_size and page_token (bound to `filters`); INVALID_ARGUMENT on either field.
Page DecodePage(int32_t page_size, const std::string& token, const std::string& filters);
// The next page's token after `last`, or "" at the end of the list.
std::string NextToken(std::optional<int64_t> last, const Page& page);
std::string NextToken(std::optional<Position2> last, const Page& page);

}  // namespace kp
