#include "team/domain/kbo.h"

namespace kp::team {

std::optional<std::string> ParseKbo(std::string_view input, std::string* why) {
  auto fail = [why](const char* reason) -> std::optional<std::string> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (input.size() >= 2 && (input.substr(0, 2) == "BE" || input.substr(0, 2) == "be"))
    input.remove_prefix(2);
  std::string digits;
  for (char c : input) {
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c != '.' && c != ' ') return fail("may hold only digits, dots and spaces");
  }
  if (digits.size() == 9) digits.insert(digits.begin(), '0');  // old 9-digit form
  if (digits.size() != 10) return fail("must have 10 digits");
  if (digits[0] != '0' && digits[0] != '1') return fail("must start with 0 or 1");
  const long first_eight = std::stol(digits.substr(0, 8));
  const long check = std::stol(digits.substr(8, 2));
  if (97 - first_eight % 97 != check) return fail("fails the mod-97 check");
  return digits;
}

}  // namespace kp::team
