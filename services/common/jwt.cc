#include "common/jwt.h"

#include "common/files.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>


namespace kp {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class Alg { kRS256, kES256 };

bool IsP256(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &len) == 1 &&
         std::string_view(group) == "prime256v1";
}

std::optional<Alg> AlgForKey(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return EVP_PKEY_get_bits(key) >= 2048 ? std::optional(Alg::kRS256) : std::nullopt;
    case EVP_PKEY_EC: return IsP256(key) ? std::optional(Alg::kES256) : std::nullopt;
    default: return std::nullopt;
  }
}

struct BnFree { void operator()(BIGNUM* b) const { BN_free(b); } };
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

BnPtr BnFromBytes(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

PkeyPtr KeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) throw std::runtime_error("invalid JWK key material");
  return PkeyPtr(key);
}

PkeyPtr KeyFromJwk(const nlohmann::json& jwk) {
  const std::string kty = jwk.value("kty", "");
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> guard(bld, OSSL_PARAM_BLD_free);
  if (kty == "RSA") {
    auto n = BnFromBytes(Base64UrlDecode(jwk.at("n").get<std::string>()));
    auto e = BnFromBytes(Base64UrlDecode(jwk.at("e").get<std::string>()));
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get());
    return KeyFromParams("RSA", bld);
  }
  if (kty == "EC" && jwk.value("crv", "") == "P-256") {
    const std::string x = Base64UrlDecode(jwk.at("x").get<std::string>());
    const std::string y = Base64UrlDecode(jwk.at("y").get<std::string>());
    if (x.size() != 32 || y.size() != 32) throw std::runtime_error("invalid P-256 JWK");
    std::string point = "\x04" + x + y;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    return KeyFromParams("EC", bld);
  }
  return nullptr;  // other key types are not used for tokens here
}

// JOSE ES256 signatures are r||s (32 bytes each); OpenSSL wants DER.
std::string EcdsaRawToDer(const std::string& raw) {
  if (raw.size() != 64) throw JwtError("bad ES256 signature length");
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) throw JwtError("bad ES256 signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string EcdsaDerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) throw std::runtime_error("signing produced no ECDSA signature");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

bool VerifySignature(EVP_PKEY* key, std::string_view signed_part, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

nlohmann::json ParseJsonPart(std::string_view part, const char* what) {
  try {
    auto json = nlohmann::json::parse(Base64UrlDecode(part));
    if (!json.is_object()) throw JwtError(std::string(what) + " is not a JSON object");
    return json;
  } catch (const JwtError&) {
    throw;
  } catch (const std::exception&) {
    throw JwtError(std::string("malformed token ") + what);
  }
}
}  // namespace

struct JwtKeySet::Key {
  std::string kid;
  Alg alg;
  PkeyPtr pkey;
};

JwtKeySet::JwtKeySet() = default;
JwtKeySet::~JwtKeySet() = default;
JwtKeySet::JwtKeySet(JwtKeySet&&) noexcept = default;
JwtKeySet& JwtKeySet::operator=(JwtKeySet&&) noexcept = default;
std::size_t JwtKeySet::size() const { return keys_.size(); }

void JwtKeySet::AddPemFile(const std::string& path) {
  const std::string pem = ReadFileToString(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::size_t added = 0;
  while (EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)) {
    PkeyPtr key(raw);
    auto alg = AlgForKey(key.get());
    if (!alg) throw std::runtime_error(path + ": only RSA (>= 2048 bits) and EC P-256 keys are accepted");
    keys_.push_back(std::make_unique<Key>(Key{"", *alg, std::move(key)}));
    ++added;
  }
  BIO_free(bio);
  if (added == 0) throw std::runtime_error(path + ": no PEM public key found");
}

void JwtKeySet::AddJwksFile(const std::string& path) {
  nlohmann::json jwks;
  try {
    jwks = nlohmann::json::parse(ReadFileToString(path));
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(path + ": not valid JSON");
  }
  AddJwks(jwks);
}

void JwtKeySet::AddJwks(const nlohmann::json& jwks) {
  if (!jwks.contains("keys") || !jwks["keys"].is_array())
    throw std::runtime_error("JWKS has no \"keys\" array");
  for (const auto& jwk : jwks["keys"]) {
    if (jwk.value("use", "sig") != "sig") continue;
    PkeyPtr key = KeyFromJwk(jwk);
    if (!key) continue;
    auto alg = AlgForKey(key.get());
    if (!alg) throw std::runtime_error("JWKS key is too weak or of an unsupported curve");
    keys_.push_back(std::make_unique<Key>(Key{jwk.value("kid", ""), *alg, std::move(key)}));
  }
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::string Base64UrlDecode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '-') value = 62;
    else if (c == '_') value = 63;
    else throw std::invalid_argument("not base64url");
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

nlohmann::json VerifyJwt(std::string_view token, const JwtKeySet& keys,
                         const JwtExpectations& expect, std::chrono::system_clock::time_point now) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    throw JwtError("token is not a compact JWS");
  const auto header = ParseJsonPart(token.substr(0, dot1), "header");
  auto claims = ParseJsonPart(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  std::string signature;
  try {
    signature = Base64UrlDecode(token.substr(dot2 + 1));
  } catch (const std::exception&) {
    throw JwtError("malformed token signature");
  }

  const std::string alg_name = header.value("alg", "");
  Alg alg;
  if (alg_name == "RS256") alg = Alg::kRS256;
  else if (alg_name == "ES256") alg = Alg::kES256;
  else throw JwtError("token algorithm not accepted (RS256 and ES256 only)");
  if (alg == Alg::kES256) signature = EcdsaRawToDer(signature);

  const std::string kid = header.contains("kid") && header["kid"].is_string() ? header["kid"].get<std::string>() : "";
  const std::string_view signed_part = token.substr(0, dot2);
  bool candidate = false, verified = false;
  for (const auto& key : keys.keys()) {
    if (key->alg != alg || (!kid.empty() && !key->kid.empty() && key->kid != kid)) continue;
    candidate = true;
    if (VerifySignature(key->pkey.get(), signed_part, signature)) {
      verified = true;
      break;
    }
  }
  if (!candidate) throw JwtError("no verification key for this token's kid and algorithm");
  if (!verified) throw JwtError("token signature is invalid");

  const auto seconds_now =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (!claims.contains("exp") || !claims["exp"].is_number())
    throw JwtError("token has no exp claim");
  if (claims["exp"].get<double>() + static_cast<double>(expect.leeway.count()) <= static_cast<double>(seconds_now))
    throw JwtError("token has expired");
  if (claims.contains("nbf") && claims["nbf"].is_number() &&
      claims["nbf"].get<double>() - static_cast<double>(expect.leeway.count()) > static_cast<double>(seconds_now))
    throw JwtError("token is not valid yet");
  if (claims.value("iss", "") != expect.issuer) throw JwtError("token issuer is not accepted");
  bool audience_ok = false;
  if (claims.contains("aud")) {
    const auto& aud = claims["aud"];
    if (aud.is_string()) audience_ok = aud.get<std::string>() == expect.audience;
    if (aud.is_array())
      for (const auto& a : aud) audience_ok |= a.is_string() && a.get<std::string>() == expect.audience;
  }
  if (!audience_ok) throw JwtError("token audience is not this service");
  return claims;
}

std::string SignJwt(const nlohmann::json& claims, const std::string& private_key_pem_path,
                    const std::string& kid) {
  const std::string pem = ReadFileToString(private_key_pem_path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) throw std::runtime_error(private_key_pem_path + ": no PEM private key found");
  auto alg = AlgForKey(key.get());
  if (!alg) throw std::runtime_error("signing key must be RSA >= 2048 bits or EC P-256");
  nlohmann::json header = {{"alg", *alg == Alg::kRS256 ? "RS256" : "ES256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  const std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("signing failed");
  if (*alg == Alg::kES256) signature = EcdsaDerToRaw(signature);
  return signing_input + "." + Base64UrlEncode(signature);
}

}  // namespace kp
