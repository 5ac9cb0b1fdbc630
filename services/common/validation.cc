#include "common/validation.h"

#include <cctype>

namespace kp {

void Violations::Add(std::string field, std::string description) {
  items_.push_back({std::move(field), std::move(description)});
}

void Violations::ThrowIfAny() const {
  if (!items_.empty()) throw Error::InvalidArgument(items_);
}

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    uint32_t cp;
    if (c < 0x80) { extra = 0; cp = c; }
    else if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return std::nullopt;
    if (i + extra >= text.size() && extra > 0) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += extra + 1;
    ++count;
  }
  return count;
}

void Violations::Text(std::string_view field, std::string_view value, std::size_t min_chars,
                      std::size_t max_chars, bool multiline) {
  const auto length = Utf8Length(value);
  if (!length) {
    Add(std::string(field), "must be valid UTF-8");
    return;
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7F) {
      Add(std::string(field), "must not contain control characters");
      return;
    }
  }
  if (*length < min_chars) {
    Add(std::string(field), min_chars == 1 ? "is required"
                                           : "must have at least " + std::to_string(min_chars) +
                                                 " characters");
  } else if (*length > max_chars) {
    Add(std::string(field), "must have at most " + std::to_string(max_chars) + " characters");
  }
}

bool IsUuid(std::string_view value) {
  if (value.size() != 36) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

void Violations::Uuid(std::string_view field, std::string_view value, bool required) {
  if (value.empty()) {
    if (required) Add(std::string(field), "is required");
  } else if (!IsUuid(value)) {
    Add(std::string(field), "must be a lower-case UUID (8-4-4-4-12 hex digits)");
  }
}

std::optional<std::string> ParseResourceName(std::string_view name, std::string_view collection) {
  if (name.size() <= collection.size() + 1 || name.substr(0, collection.size()) != collection ||
      name[collection.size()] != '/')
    return std::nullopt;
  auto id = name.substr(collection.size() + 1);
  if (!IsUuid(id)) return std::nullopt;
  return std::string(id);
}

int NormalizePageSize(Violations& v, std::string_view field, int32_t requested, int default_size,
                      int max_size) {
  if (requested < 0) {
    v.Add(std::string(field), "must not be negative");
    return default_size;
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

}  // namespace kp
