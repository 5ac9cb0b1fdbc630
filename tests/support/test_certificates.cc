#include "support/test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace kp::test {

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

Bio MemoryBio(const std::string& pem = "") {
  Bio bio(pem.empty() ? BIO_new(BIO_s_mem()) : BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  Require(bio != nullptr, "BIO");
  return bio;
}

std::string Contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Require(extension != nullptr && X509_add_ext(cert, extension, -1) == 1, "extension");
  X509_EXTENSION_free(extension);
}

// A new key and a certificate for it named `common_name`, signed by `issuer` (nullptr: itself).
Certificate Issue(const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key, bool authority) {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  Cert cert(X509_new(), &X509_free);
  Require(key && cert, "allocation");
  unsigned char serial[8];
  Require(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7f;
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  Require(number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get())) != nullptr, "serial");
  BN_free(number);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  Require(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1 &&
              X509_set_pubkey(cert.get(), key.get()) == 1,
          "names");
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (authority) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    AddExtension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  Require(X509_sign(cert.get(), issuer_key ? issuer_key : key.get(), EVP_sha256()) > 0, "signing");
  Bio cert_pem = MemoryBio(), key_pem = MemoryBio();
  Require(PEM_write_bio_X509(cert_pem.get(), cert.get()) == 1 &&
              PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM");
  return {Contents(cert_pem.get()), Contents(key_pem.get())};
}

}  // namespace

Certificate MakeCertificateAuthority(const std::string& name) { return Issue(name, nullptr, nullptr, true); }

Certificate MakeLoopbackCertificate(const Certificate& ca) {
  auto cert_bio = MemoryBio(ca.cert_pem), key_bio = MemoryBio(ca.key_pem);
  Cert ca_cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  Key ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  Require(ca_cert && ca_key, "reading the authority");
  return Issue("kruispunt-test", ca_cert.get(), ca_key.get(), false);
}

}  // namespace kp::test
