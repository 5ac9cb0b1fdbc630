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
  ChainVerifier verifier(kept_head);
  for (const auto& e : entries)
    if (!verifier.Add(e)) break;
  return verifier.Finish(stored_head);
}

bool ChainVerifier::Broken(int64_t sequence, std::string problem) {
  result_.intact = false;
  result_.first_broken = sequence;
  result_.problem = std::move(problem);
  return false;
}

bool ChainVerifier::Add(const LogEntry& e) {
  if (!result_.intact) return false;
  if (e.sequence != result_.checked + 1) return Broken(e.sequence, "an entry is missing before this one");
  if (e.previous_hash != previous_) return Broken(e.sequence, "previous_hash is not the hash of the entry before");
  if (ChainHash(e.previous_hash, e.canonical) != e.hash) return Broken(e.sequence, "hash does not match the content");
  const auto content = nlohmann::json::parse(e.canonical, nullptr, /*allow_exceptions=*/false);
  if (!content.is_object() || !content.contains("sequence") || content["sequence"] != e.sequence)
    return Broken(e.sequence, "the content's sequence is not the entry's");
  previous_ = e.hash;
  ++result_.checked;
  if (kept_head_ && e.sequence == kept_head_->last_sequence) kept_hash_found_ = e.hash;
  return true;
}

Verification ChainVerifier::Finish(const ChainHead& stored_head) {
  if (!result_.intact) return result_;
  result_.head_hash = previous_;
  const auto checked = result_.checked;
  if (checked < stored_head.last_sequence)
    Broken(checked + 1, "entries are missing from the end: the chain's head is at sequence " +
                            std::to_string(stored_head.last_sequence));
  else if (checked > stored_head.last_sequence)
    Broken(stored_head.last_sequence + 1, "entries follow the chain's stored head");
  else if (previous_ != stored_head.last_hash)
    Broken(checked, "the last entry's hash is not the chain's stored head");
  else if (kept_head_ && kept_head_->last_sequence > 0 && !kept_hash_found_)
    Broken(kept_head_->last_sequence, "the head you kept is not in the chain");
  else if (kept_head_ && kept_head_->last_sequence > 0 && *kept_hash_found_ != kept_head_->last_hash)
    Broken(kept_head_->last_sequence, "the entry you kept has another hash now: the chain was rewritten");
  return result_;
}

}  // namespace kp::agreements
