#include "common/auth.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "common/errors.h"

namespace kp {

namespace {

std::vector<std::string> Paths(const TokenKeyFiles& files) {
  auto paths = files.pem_files;
  if (!files.jwks_file.empty()) paths.push_back(files.jwks_file);
  return paths;
}

}  // namespace

JwtKeySet LoadKeySet(const TokenKeyFiles& files) {
  JwtKeySet keys;
  for (const auto& path : files.pem_files) keys.AddPemFile(path);
  if (!files.jwks_file.empty()) keys.AddJwksFile(files.jwks_file);
  if (keys.size() == 0) throw std::runtime_error("no usable token verification key configured");
  return keys;
}

Authenticator::Authenticator(TokenKeyFiles key_files, JwtExpectations expect, std::chrono::seconds recheck_every,
                             std::size_t cache_capacity)
    : key_files_(std::move(key_files)),
      expect_(std::move(expect)),
      capacity_(cache_capacity),
      files_(Paths(key_files_), recheck_every),
      keys_(std::make_shared<const JwtKeySet>(LoadKeySet(key_files_))) {}

void Authenticator::RenewKeysIfChanged() {
  if (!files_.Changed()) return;
  try {
    keys_ = std::make_shared<const JwtKeySet>(LoadKeySet(key_files_));
  } catch (const std::exception& e) {
    spdlog::error("token verification key files changed but are unusable, keeping the last keys: {}", e.what());
    return;
  }
  ++keys_generation_;
  cache_.clear();
  spdlog::info("token verification keys renewed from their files keys={}", keys_->size());
}

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
  // The scheme is case-insensitive and followed by one or more spaces (RFC 7235, RFC 6750).
  constexpr std::string_view kBearer = "bearer";
  const bool bearer = value.size() > kBearer.size() && value[kBearer.size()] == ' ' &&
                      std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                                 [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  const auto token_start = bearer ? value.find_first_not_of(' ', kBearer.size()) : std::string_view::npos;
  if (token_start == std::string_view::npos)
    throw Error::Unauthenticated("TOKEN_MALFORMED", "authorization must be 'Bearer <token>'");
  return AuthenticateToken(std::string(value.substr(token_start)));
}

Identity Authenticator::AuthenticateToken(const std::string& token) {
  const auto now = std::chrono::system_clock::now();
  std::shared_ptr<const JwtKeySet> keys;
  uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    RenewKeysIfChanged();
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.expires > now) return it->second.identity;
      cache_.erase(it);
    }
    keys = keys_;
    generation = keys_generation_;
  }
  nlohmann::json claims;
  try {
    claims = VerifyJwt(token, *keys, expect_, now);
  } catch (const JwtError& e) {
    throw Error::Unauthenticated("TOKEN_INVALID", e.what());
  }
  const auto text = [&](const char* claim) {
    const auto found = claims.find(claim);
    return found != claims.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  Identity identity{text("org"), text("sub"), claims.contains("role") ? text("role") : "professional"};
  if (!IsValidPrincipalId(identity.organization) || !IsValidPrincipalId(identity.person))
    throw Error::Unauthenticated("TOKEN_CLAIMS_INVALID",
                                 "token needs 'org' and 'sub' claims of 1..64 [A-Za-z0-9._:-]");
  if (!IsKnownRole(identity.role))
    throw Error::Unauthenticated("TOKEN_CLAIMS_INVALID",
                                 "the 'role' claim must be professional, admin, dpo or service (or absent)");
  const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(
                           static_cast<int64_t>(claims["exp"].get<double>()))) + expect_.leeway;
  std::lock_guard lock(mutex_);
  if (generation != keys_generation_) return identity;  // verified with keys renewed meanwhile
  // A bounded cache: dropping everything at capacity keeps it simple and still O(1) per call.
  if (cache_.size() >= capacity_) cache_.clear();
  cache_.insert_or_assign(token, Entry{identity, expires});
  return identity;
}

}  // namespace kp
