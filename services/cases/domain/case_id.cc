#include "cases/domain/case_id.h"

#include "common/sha256.h"

namespace kp::cases {

std::string CaseIdFor(const std::string& owner_org, const std::string& request_id) {
  using namespace std::string_literals;
  std::string hex = Sha256Hex("kruispunt case\0"s + owner_org + "\0"s + request_id).substr(0, 32);
  hex[12] = '8';  // version 8
  const int variant = (std::stoi(hex.substr(16, 1), nullptr, 16) & 0x3) | 0x8;  // variant 10xx
  hex[16] = "0123456789abcdef"[variant];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

}  // namespace kp::cases
