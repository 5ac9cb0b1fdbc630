// Key pairs for tests, written as PEM files in a temporary folder.
#pragma once

#include <string>

namespace kp::test {

struct KeyPair {
  std::string private_pem_path;
  std::string public_pem_path;
};

// type: "EC" (P-256) or "RSA" (2048 bits). Files go to dir/<name>.{key,pub}.pem.
KeyPair GenerateKeyPair(const std::string& dir, const std::string& name, const std::string& type);

// A fresh folder under $TMPDIR, removed by the OS's tmp cleaning (tests leave nothing else).
std::string MakeTempDir();

}  // namespace kp::test
