// SHA-256 as lower-case hex (OpenSSL), for the digests Kruispunt keeps: migration texts, request
// fingerprints, the agreement log's chain.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kp {

std::string Sha256Hex(const std::string& bytes);

// SHA-256 of bytes given in parts, e.g. a file as it is written.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  void Add(std::string_view bytes);
  std::string Hex();  // of everything added; once

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace kp
