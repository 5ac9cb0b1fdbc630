// Request validation helpers: collect every field violation of a request, then throw once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"

namespace kp {

class Violations {
 public:
  void Add(std::string field, std::string description);
  bool empty() const { return items_.empty(); }
  // Throws Error::InvalidArgument with all violations, if there are any.
  void ThrowIfAny() const;

  // Free text as people write it: valid UTF-8 (any language), no NUL or other control characters
  // except newline and tab (multiline only), between min and max characters (code points).
  void Text(std::string_view field, std::string_view value, std::size_t min_chars,
            std::size_t max_chars, bool multiline = false);
  // A canonical lower-case UUID string.
  void Uuid(std::string_view field, std::string_view value, bool required);

 private:
  std::vector<FieldViolation> items_;
};

// Number of code points in valid UTF-8, or nullopt if the bytes are not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view text);

bool IsUuid(std::string_view value);

// "cases/3f2a..." -> the UUID, when name has the collection prefix and a valid UUID; else nullopt.
std::optional<std::string> ParseResourceName(std::string_view name, std::string_view collection);

// AIP-158 page size: 0 -> default, above max -> max, negative -> INVALID_ARGUMENT.
int NormalizePageSize(Violations& v, std::string_view field, int32_t requested, int default_size = 50,
                      int max_size = 500);

}  // namespace kp
