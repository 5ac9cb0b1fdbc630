// The agreement log as a hash chain, as pure functions: each entry's canonical content (UTF-8
// JSON, keys sorted, no whitespace; docs/agreement-log.md), its hash over the previous entry's
// hash and that content, and the verification of a chain. Unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kp::agreements {

// The previous hash of a case's first entry.
inline const std::string kGenesisHash(64, '0');

// The canonical text of an entry's content: `fields` (a JSON object of strings, integers, arrays
// and objects) with its keys sorted at every level and no insignificant whitespace.
std::string Canonical(const nlohmann::json& fields);

// Lower-case hex SHA-256 of previous_hash + "\n" + canonical.
std::string ChainHash(const std::string& previous_hash, const std::string& canonical);

struct LogEntry {
  int64_t sequence;
  std::string canonical, previous_hash, hash;
};

// Where a chain ends: its last entry's sequence and hash (0 and kGenesisHash when empty). The
// service stores its case's head with every append; a partner may keep one it read.
struct ChainHead {
  int64_t last_sequence = 0;
  std::string last_hash = kGenesisHash;
};

struct Verification {
  bool intact = true;
  int64_t checked = 0;
  int64_t first_broken = 0;
  std::string problem;
  std::string head_hash;
};

// Checks a case's entries in order from its first: sequences 1, 2, 3, ...; each previous_hash
// the hash before it; each hash recomputed from its content; the content's own sequence field
// matching the entry's. Then that the chain ends at `stored_head` (entries removed from the end
// leave a chain that is whole but short), and, when a caller kept a head from an earlier read,
// that this entry is still in the chain with its hash (a chain rewritten from the start, head
// included, is whole and ends at its stored head).
Verification Verify(const std::vector<LogEntry>& entries, const ChainHead& stored_head,
                    const std::optional<ChainHead>& kept_head = std::nullopt);

// The same check fed one entry at a time, in order, as pages of a chain are read: it holds only
// the last hash, so a chain of any length is verified in bounded memory.
class ChainVerifier {
 public:
  explicit ChainVerifier(std::optional<ChainHead> kept_head = std::nullopt) : kept_head_(std::move(kept_head)) {}
  // Checks the next entry; false once the chain is broken (the rest need not be read).
  bool Add(const LogEntry& entry);
  // The result, once every entry was added (or the chain broke), against the chain's stored head.
  Verification Finish(const ChainHead& stored_head);

 private:
  bool Broken(int64_t sequence, std::string problem);

  std::optional<ChainHead> kept_head_;
  Verification result_;
  std::string previous_ = kGenesisHash;
  std::optional<std::string> kept_hash_found_;
};

}  // namespace kp::agreements
