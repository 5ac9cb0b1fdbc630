// X.509 certificates for tests of TLS: a certificate authority, and certificates it signs for the
// loopback address, all in memory as PEM.
#pragma once

#include <string>

namespace kp::test {

struct Certificate {
  std::string cert_pem, key_pem;
};

// A self-signed certificate authority named `name`, valid for an hour.
Certificate MakeCertificateAuthority(const std::string& name);

// A certificate for 127.0.0.1 and localhost (server and client use), signed by `ca`, valid for
// an hour.
Certificate MakeLoopbackCertificate(const Certificate& ca);

}  // namespace kp::test
