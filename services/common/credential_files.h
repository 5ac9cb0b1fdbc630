// Files of credentials that the operator's tooling renews while the server runs: the token this
// process presents to its peers (an identity provider's tokens expire, often within the hour) and
// the keys that verify callers' tokens (an identity provider rotates its signing keys). A server
// that read them once would lose its peers, or refuse every caller, until restarted. So they are
// looked at again once `recheck_every` has passed since the last look.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kp {

// Not thread-safe: its owner serialises the calls.
class CredentialFiles {
 public:
  CredentialFiles(std::vector<std::string> paths, std::chrono::seconds recheck_every);

  // True when `recheck_every` has passed since the last look and some file's content (or whether
  // it can be read at all) differs from that look. The owner then loads the files again, keeping
  // what it had when they hold nothing usable (a renewal may be half written: renew by writing a
  // new file and renaming it over the old one).
  bool Changed();

 private:
  // Each file's content; nullopt for a file that cannot be read.
  std::vector<std::optional<std::string>> Contents() const;

  const std::vector<std::string> paths_;
  const std::chrono::seconds recheck_every_;
  std::vector<std::optional<std::string>> contents_;
  std::chrono::steady_clock::time_point looked_at_;
};

}  // namespace kp
