// The token this process presents to the other Kruispunt services (role "service"), from a file
// that may be renewed while the server runs (see common/credential_files.h).
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "common/credential_files.h"

namespace kp {

class ServiceToken {
 public:
  // Throws std::runtime_error when the file cannot be read or holds no token: a server must not
  // start without one.
  ServiceToken(const std::string& path, std::chrono::seconds recheck_every);

  // The token to present now.
  std::string Current();

 private:
  // The file's token, or "" when it cannot be read or is empty.
  std::string Read() const;

  const std::string path_;
  std::mutex mutex_;
  CredentialFiles file_;
  std::string token_;
};

}  // namespace kp
