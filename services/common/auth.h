// Who is calling: the bearer token of every RPC, verified once and then served from a cache
// until it expires, so that signature checks are not paid on every call. The verification keys
// come from files that may be renewed while the server runs (see common/credential_files.h); when
// they change, the cache is emptied, so that a key taken out of the files (a compromised one, say)
// stops admitting its tokens within the recheck time.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/credential_files.h"
#include "common/jwt.h"

namespace kp {

// The caller, from the token's claims.
struct Identity {
  std::string organization;  // claim "org": the caller's organisation id
  std::string person;        // claim "sub": the person id
  std::string role;          // claim "role": platform role ("professional", "admin", ...)
};

// Platform roles in tokens that act for the platform rather than for a partner organisation
// (administrator, Kruispunt's own services, the data-protection officer); their "org" claim is
// not looked up in the directory.
inline bool IsPlatformRole(const std::string& role) {
  return role == "admin" || role == "service" || role == "dpo";
}

// The roles a token may carry in its "role" claim (absent: "professional"). Any other is refused:
// a role this server does not know must never be taken for a professional's.
inline bool IsKnownRole(const std::string& role) { return role == "professional" || IsPlatformRole(role); }

// Where the verification keys are: PEM public key files and/or a JWKS file.
struct TokenKeyFiles {
  std::vector<std::string> pem_files;
  std::string jwks_file;  // empty: none
};

// Every key of the files; throws std::runtime_error when one cannot be read or parsed, or when
// they hold no usable key.
JwtKeySet LoadKeySet(const TokenKeyFiles& files);

class Authenticator {
 public:
  // Throws std::runtime_error when the key files hold no usable key.
  Authenticator(TokenKeyFiles key_files, JwtExpectations expect, std::chrono::seconds recheck_every,
                std::size_t cache_capacity = 10000);

  // Reads "authorization: Bearer <jwt>"; throws Error UNAUTHENTICATED with a reason.
  Identity Authenticate(const grpc::ServerContextBase& context);
  // The same for a raw token (tests, tools).
  Identity AuthenticateToken(const std::string& token);

 private:
  struct Entry {
    Identity identity;
    std::chrono::system_clock::time_point expires;
  };
  // Loads the key files again when they changed; mutex_ held.
  void RenewKeysIfChanged();

  const TokenKeyFiles key_files_;
  const JwtExpectations expect_;
  const std::size_t capacity_;
  std::mutex mutex_;
  CredentialFiles files_;
  std::shared_ptr<const JwtKeySet> keys_;
  uint64_t keys_generation_ = 0;  // counts renewals: a token verified with older keys is not cached
  std::unordered_map<std::string, Entry> cache_;
};

// Organisation and person ids in tokens: 1..64 of [A-Za-z0-9._:-].
bool IsValidPrincipalId(std::string_view id);

}  // namespace kp
