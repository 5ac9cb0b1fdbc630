#include "common/page_token.h"

#include <charconv>
#include <vector>

#include "common/jwt.h"
#include "common/validation.h"

namespace kp {

uint64_t FilterFingerprint(std::string_view canonical_filters) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : canonical_filters) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

namespace {
// "p{N}:" then N non-negative numbers and the fingerprint, ':'-separated, in base64url.
std::string Encode(const std::vector<int64_t>& numbers, uint64_t fingerprint) {
  std::string text = "p" + std::to_string(numbers.size()) + ":";
  for (const int64_t n : numbers) text += std::to_string(n) + ":";
  return Base64UrlEncode(text + std::to_string(fingerprint));
}

std::optional<std::vector<int64_t>> Decode(std::string_view token, std::size_t count, uint64_t fingerprint) {
  std::string text;
  try {
    text = Base64UrlDecode(token);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string prefix = "p" + std::to_string(count) + ":";
  if (text.rfind(prefix, 0) != 0) return std::nullopt;
  std::vector<int64_t> numbers(count);
  const char* p = text.data() + prefix.size();
  const char* end = text.data() + text.size();
  for (auto& n : numbers) {
    const auto r = std::from_chars(p, end, n);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != ':' || n < 0) return std::nullopt;
    p = r.ptr + 1;
  }
  uint64_t fp = 0;
  const auto r = std::from_chars(p, end, fp);
  if (r.ec != std::errc() || r.ptr != end || fp != fingerprint) return std::nullopt;
  return numbers;
}
}  // namespace

std::string EncodePageToken(int64_t after_position, uint64_t fingerprint) {
  return Encode({after_position}, fingerprint);
}

std::optional<int64_t> DecodePageToken(std::string_view token, uint64_t fingerprint) {
  const auto numbers = Decode(token, 1, fingerprint);
  return numbers ? std::optional((*numbers)[0]) : std::nullopt;
}

std::string EncodePageToken(Position2 position, uint64_t fingerprint) {
  return Encode({position.after, position.then}, fingerprint);
}

std::optional<Position2> DecodePageToken2(std::string_view token, uint64_t fingerprint) {
  const auto numbers = Decode(token, 2, fingerprint);
  return numbers ? std::optional(Position2{(*numbers)[0], (*numbers)[1]}) : std::nullopt;
}

Page DecodePage(int32_t page_size, const std::string& token, const std::string& filters) {
  Violations v;
  Page page{NormalizePageSize(v, "page_size", page_size), 0, FilterFingerprint(filters)};
  if (!token.empty()) {
    if (const auto after = DecodePageToken(token, page.fingerprint)) {
      page.after = *after;
    } else if (const auto position = DecodePageToken2(token, page.fingerprint)) {
      page.after = position->after;
      page.then = position->then;
    } else {
      v.Add("page_token", "is not a token from this list with these filters");
    }
  }
  v.ThrowIfAny();
  return page;
}

std::string NextToken(std::optional<int64_t> last, const Page& page) {
  return last ? EncodePageToken(*last, page.fingerprint) : std::string{};
}

std::string NextToken(std::optional<Position2> last, const Page& page) {
  return last ? EncodePageToken(*last, page.fingerprint) : std::string{};
}

}  // namespace kp
