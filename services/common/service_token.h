// The token this process presents to the other Kruispunt services (role "service"). It comes from
// a file that the operator's identity tooling may rewrite at any time: tokens from an identity
// provider expire, often within the hour, and a process that read its token once would lose its
// peers when it did. So the file is read again once `recheck_every` has passed since the last
// read. An unreadable or empty file keeps the last good token (a rotation may be half done) and is
// logged; rotate by writing a new file and renaming it over the old one.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace kp {

class ServiceToken {
 public:
  // Throws std::runtime_error when the file cannot be read or holds no token: a server must not
  // start without one.
  ServiceToken(std::string path, std::chrono::seconds recheck_every);

  // The token to present now.
  std::string Current();

 private:
  // The file's token, or "" when it cannot be read or is empty.
  std::string Read() const;

  const std::string path_;
  const std::chrono::seconds recheck_every_;
  std::mutex mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point read_at_;
};

}  // namespace kp
