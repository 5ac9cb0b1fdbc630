// Belgian enterprise numbers (ondernemingsnummer, KBO/BCE): 10 digits, the first 0 or 1, the
// last two a mod-97 check of the first eight (97 - n % 97).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kp::team {

// The 10 digits when `input` is a valid number; dots and spaces, and a "BE" prefix, are allowed
// ("0123.456.749", "BE 0123 456 749"). nullopt otherwise, with the reason in *why if given.
std::optional<std::string> ParseKbo(std::string_view input, std::string* why = nullptr);

}  // namespace kp::team
