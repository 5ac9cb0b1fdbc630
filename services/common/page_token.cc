#include "common/page_token.h"

#include <charconv>

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

std::string EncodePageToken(int64_t after_position, uint64_t fingerprint) {
  return Base64UrlEncode("p1:" + std::to_string(after_position) + ":" + std::to_string(fingerprint));
}

std::optional<int64_t> DecodePageToken(std::string_view token, uint64_t fingerprint) {
  std::string text;
  try {
    text = Base64UrlDecode(token);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (text.rfind("p1:", 0) != 0) return std::nullopt;
  const auto colon = text.find(':', 3);
  if (colon == std::string::npos) return std::nullopt;
  int64_t position = 0;
  uint64_t fp = 0;
  const char* begin = text.data() + 3;
  const char* middle = text.data() + colon;
  const char* end = text.data() + text.size();
  auto r1 = std::from_chars(begin, middle, position);
  auto r2 = std::from_chars(middle + 1, end, fp);
  if (r1.ec != std::errc() || r1.ptr != middle || r2.ec != std::errc() || r2.ptr != end ||
      position < 0 || fp != fingerprint)
    return std::nullopt;
  return position;
}

Page DecodePage(int32_t page_size, const std::string& token, const std::string& filters) {
  Violations v;
  Page page{NormalizePageSize(v, "page_size", page_size), 0, FilterFingerprint(filters)};
  if (!token.empty()) {
    auto after = DecodePageToken(token, page.fingerprint);
    if (!after) v.Add("page_token", "is not a token from this list with these filters");
    else page.after = *after;
  }
  v.ThrowIfAny();
  return page;
}

std::string NextToken(std::optional<int64_t> last, const Page& page) {
  return last ? EncodePageToken(*last, page.fingerprint) : std::string{};
}

}  // namespace kp
