// Key pairs and files for tests: PEM key pairs in a temporary folder, and file replacement.
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

// Replaces a file the way credential renewal should: writes a new file and renames it over the
// old one, so that a reader never sees it half written.
void ReplaceFile(const std::string& path, const std::string& content);

}  // namespace kp::test
