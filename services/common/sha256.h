// SHA-256 as lower-case hex (OpenSSL), for the digests Kruispunt keeps: migration texts, request
// fingerprints, the agreement log's chain.
#pragma once

#include <string>

namespace kp {

std::string Sha256Hex(const std::string& bytes);

}  // namespace kp
