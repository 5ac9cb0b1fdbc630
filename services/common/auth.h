// Who is calling: the bearer token of every RPC, verified once and then served from a cache
// until it expires, so that signature checks are not paid on every call.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/jwt.h"

namespace kp {

// The caller, from the token's claims.
struct Identity {
  std::string organization;  // claim "org": the caller's organisation id
  std::string person;        // claim "sub": the person id
  std::string role;          // claim "role": platform role ("professional", "admin", ...)
};

class Authenticator {
 public:
  Authenticator(JwtKeySet keys, JwtExpectations expect, std::size_t cache_capacity = 10000);

  // Reads "authorization: Bearer <jwt>"; throws Error UNAUTHENTICATED with a reason.
  Identity Authenticate(const grpc::ServerContextBase& context);
  // The same for a raw token (tests, tools).
  Identity AuthenticateToken(const std::string& token);

 private:
  struct Entry {
    Identity identity;
    std::chrono::system_clock::time_point expires;
  };
  JwtKeySet keys_;
  JwtExpectations expect_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

// Organisation and person ids in tokens: 1..64 of [A-Za-z0-9._:-].
bool IsValidPrincipalId(std::string_view id);

}  // namespace kp
