#include "agreements/domain/agreement_log.h"

#include <openssl/evp.h>

#include <cstdio>

namespace kp::agreements {

std::string Canonical(const nlohmann::json& fields) {
  // nlohmann::json keeps object keys in a std::map (sorted by bytes) and dump() without an indent
  // writes no whitespace; non-ASCII stays UTF-8; '"', '\\' and control characters are escaped
  // (\b \f \n \r \t, others as \u00xx).
  return fields.dump();
}

std::string ChainHash(const std::string& previous_hash, const std::string& canonical) {
  const std::string input = previous_hash + "\n" + canonical;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

Verification Verify(const std::vector<LogEntry>& entries) {
  Verification v;
  std::string previous = kGenesisHash;
  auto broken = [&](const LogEntry& e, std::string problem) {
    v.intact = false;
    v.first_broken = e.sequence;
    v.problem = std::move(problem);
    return v;
  };
  for (const auto& e : entries) {
    if (e.sequence != v.checked + 1) return broken(e, "an entry is missing before this one");
    if (e.previous_hash != previous) return broken(e, "previous_hash is not the hash of the entry before");
    if (ChainHash(e.previous_hash, e.canonical) != e.hash) return broken(e, "hash does not match the content");
    const auto content = nlohmann::json::parse(e.canonical, nullptr, /*allow_exceptions=*/false);
    if (!content.is_object() || !content.contains("sequence") || content["sequence"] != e.sequence)
      return broken(e, "the content's sequence is not the entry's");
    previous = e.hash;
    ++v.checked;
  }
  v.head_hash = previous;
  return v;
}

}  // namespace kp::agreements
