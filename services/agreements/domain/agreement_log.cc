#include "agreements/domain/agreement_log.h"

#include "common/sha256.h"

namespace kp::agreements {

std::string Canonical(const nlohmann::json& fields) {
  // nlohmann::json keeps object keys in a std::map (sorted by bytes) and dump() without an indent
  // writes no whitespace; non-ASCII stays UTF-8; '"', '\\' and control characters are escaped
  // (\b \f \n \r \t, others as \u00xx).
  return fields.dump();
}

std::string ChainHash(const std::string& previous_hash, const std::string& canonical) {
  return Sha256Hex(previous_hash + "\n" + canonical);
}

Verification Verify(const std::vector<LogEntry>& entries, const ChainHead& stored_head,
                    const std::optional<ChainHead>& kept_head) {
  Verification v;
  std::string previous = kGenesisHash;
  auto broken_at = [&](int64_t sequence, std::string problem) {
    v.intact = false;
    v.first_broken = sequence;
    v.problem = std::move(problem);
    return v;
  };
  auto broken = [&](const LogEntry& e, std::string problem) { return broken_at(e.sequence, std::move(problem)); };
  std::optional<std::string> kept_hash_found;
  for (const auto& e : entries) {
    if (e.sequence != v.checked + 1) return broken(e, "an entry is missing before this one");
    if (e.previous_hash != previous) return broken(e, "previous_hash is not the hash of the entry before");
    if (ChainHash(e.previous_hash, e.canonical) != e.hash) return broken(e, "hash does not match the content");
    const auto content = nlohmann::json::parse(e.canonical, nullptr, /*allow_exceptions=*/false);
    if (!content.is_object() || !content.contains("sequence") || content["sequence"] != e.sequence)
      return broken(e, "the content's sequence is not the entry's");
    previous = e.hash;
    ++v.checked;
    if (kept_head && e.sequence == kept_head->last_sequence) kept_hash_found = e.hash;
  }
  v.head_hash = previous;
  if (v.checked < stored_head.last_sequence)
    return broken_at(v.checked + 1, "entries are missing from the end: the chain's head is at sequence " +
                                        std::to_string(stored_head.last_sequence));
  if (v.checked > stored_head.last_sequence)
    return broken_at(stored_head.last_sequence + 1, "entries follow the chain's stored head");
  if (previous != stored_head.last_hash)
    return broken_at(v.checked, "the last entry's hash is not the chain's stored head");
  if (kept_head && kept_head->last_sequence > 0) {
    if (!kept_hash_found) return broken_at(kept_head->last_sequence, "the head you kept is not in the chain");
    if (*kept_hash_found != kept_head->last_hash)
      return broken_at(kept_head->last_sequence, "the entry you kept has another hash now: the chain was rewritten");
  }
  return v;
}

}  // namespace kp::agreements
