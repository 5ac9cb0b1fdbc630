#include "common/auth.h"

#include "common/errors.h"

namespace kp {

Authenticator::Authenticator(JwtKeySet keys, JwtExpectations expect, std::size_t cache_capacity)
    : keys_(std::move(keys)), expect_(std::move(expect)), capacity_(cache_capacity) {}

bool IsValidPrincipalId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Identity Authenticator::Authenticate(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end())
    throw Error::Unauthenticated("TOKEN_MISSING", "a bearer token is required");
  const std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer)
    throw Error::Unauthenticated("TOKEN_MALFORMED", "authorization must be 'Bearer <token>'");
  return AuthenticateToken(std::string(value.substr(kBearer.size())));
}

Identity Authenticator::AuthenticateToken(const std::string& token) {
  const auto now = std::chrono::system_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.expires > now) return it->second.identity;
      cache_.erase(it);
    }
  }
  nlohmann::json claims;
  try {
    claims = VerifyJwt(token, keys_, expect_, now);
  } catch (const JwtError& e) {
    throw Error::Unauthenticated("TOKEN_INVALID", e.what());
  }
  Identity identity{claims.value("org", ""), claims.value("sub", ""), claims.value("role", "")};
  if (!IsValidPrincipalId(identity.organization) || !IsValidPrincipalId(identity.person))
    throw Error::Unauthenticated("TOKEN_CLAIMS_INVALID",
                                 "token needs 'org' and 'sub' claims of 1..64 [A-Za-z0-9._:-]");
  if (identity.role.empty()) identity.role = "professional";
  const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(
                           static_cast<int64_t>(claims["exp"].get<double>()))) + expect_.leeway;
  std::lock_guard lock(mutex_);
  // A bounded cache: dropping everything at capacity keeps it simple and still O(1) per call.
  if (cache_.size() >= capacity_) cache_.clear();
  cache_.insert_or_assign(token, Entry{identity, expires});
  return identity;
}

}  // namespace kp
