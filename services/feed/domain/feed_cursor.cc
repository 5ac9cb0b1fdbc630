#include "feed/domain/feed_cursor.h"

#include <charconv>
#include <limits>
#include <vector>

namespace kp::feed {

std::pair<int64_t, int64_t> FeedCursor::AfterIn(Source of) const {
  const int rank = static_cast<int>(of);
  if (rank < source) return {transaction, std::numeric_limits<int64_t>::max()};
  if (rank > source) return {transaction, 0};  // positions start at 1
  return {transaction, position};
}

std::string EncodeCursor(const FeedCursor& cursor) {
  return "2." + std::to_string(cursor.transaction) + "." + std::to_string(cursor.source) + "." +
         std::to_string(cursor.position) + "." + std::to_string(cursor.time);
}

std::optional<FeedCursor> DecodeCursor(std::string_view text) {
  std::vector<int64_t> parts;
  while (!text.empty() && parts.size() < 6) {
    const auto dot = text.find('.');
    const auto part = text.substr(0, dot);
    int64_t value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || value < 0) return std::nullopt;
    parts.push_back(value);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return std::nullopt;  // a trailing dot
  }
  const bool version_1 = parts.size() == 4 && parts[0] == 1, version_2 = parts.size() == 5 && parts[0] == 2;
  if (!version_1 && !version_2) return std::nullopt;
  const bool known_source = parts[2] == 0 || parts[2] == static_cast<int>(Source::kTeam) ||
                            parts[2] == static_cast<int>(Source::kConsent) ||
                            parts[2] == static_cast<int>(Source::kCarePlan) ||
                            parts[2] == static_cast<int>(Source::kAgreements) ||
                            parts[2] == static_cast<int>(Source::kReferrals);
  if (!known_source) return std::nullopt;
  return FeedCursor{parts[1], static_cast<int>(parts[2]), parts[3], version_2 ? parts[4] : 0};
}

}  // namespace kp::feed
