// JSON Web Tokens signed with RS256 or ES256, verified with OpenSSL against configured public
// keys. The algorithm is bound to the key's type: a token cannot choose "none", HS256, or an RSA
// algorithm for an EC key, which is how tokens get forged with weaker libraries.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kp {

std::string Base64UrlEncode(std::string_view data);
// Throws std::invalid_argument on characters outside the base64url alphabet.
std::string Base64UrlDecode(std::string_view text);

class JwtKeySet {
 public:
  JwtKeySet();
  ~JwtKeySet();
  JwtKeySet(JwtKeySet&&) noexcept;
  JwtKeySet& operator=(JwtKeySet&&) noexcept;

  // Adds the public key(s) of a PEM file (RSA or EC P-256); such keys have no kid.
  void AddPemFile(const std::string& path);
  // Adds every RSA and EC P-256 key of a JWKS file, each under its kid.
  void AddJwksFile(const std::string& path);
  void AddJwks(const nlohmann::json& jwks);
  std::size_t size() const;

  struct Key;
  const std::vector<std::unique_ptr<Key>>& keys() const { return keys_; }

 private:
  std::vector<std::unique_ptr<Key>> keys_;
};

struct JwtExpectations {
  std::string issuer;
  std::string audience;
  std::chrono::seconds leeway{30};
};

// Verifies signature, alg, iss, aud, exp and nbf. Returns the claims; throws JwtError otherwise.
nlohmann::json VerifyJwt(std::string_view token, const JwtKeySet& keys,
                         const JwtExpectations& expect,
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

struct JwtError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Signs claims with a PEM private key (RSA -> RS256, EC P-256 -> ES256). For the CLI's
// development tokens and for tests.
std::string SignJwt(const nlohmann::json& claims, const std::string& private_key_pem_path,
                    const std::string& kid = "");

}  // namespace kp
