#include "support/test_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kp::test {

KeyPair GenerateKeyPair(const std::string& dir, const std::string& name, const std::string& type) {
  EVP_PKEY* key = type == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                                : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) throw std::runtime_error("key generation failed");
  KeyPair pair{dir + "/" + name + ".key.pem", dir + "/" + name + ".pub.pem"};
  FILE* priv = std::fopen(pair.private_pem_path.c_str(), "w");
  FILE* pub = std::fopen(pair.public_pem_path.c_str(), "w");
  const bool ok = priv && pub &&
                  PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
                  PEM_write_PUBKEY(pub, key) == 1;
  if (priv) std::fclose(priv);
  if (pub) std::fclose(pub);
  EVP_PKEY_free(key);
  if (!ok) throw std::runtime_error("writing test keys failed");
  return pair;
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/kp-test-XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void ReplaceFile(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new") << content;
  std::filesystem::rename(path + ".new", path);
}

}  // namespace kp::test
