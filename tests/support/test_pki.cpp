#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace riposte::testing {
namespace {

using kube::tls::PkeyPtr;
using kube::tls::X509Ptr;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

std::string pem_of(X509* cert, EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio != nullptr, "BIO_new");
  if (cert) check(PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509");
  if (key) {
    check(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// Issued by (issuer, issuer_key), or self-signed when issuer is null.
TestCert make_cert(const std::string& cn, const std::string& org, X509* issuer,
                   EVP_PKEY* issuer_key, const std::vector<std::pair<int, std::string>>& exts) {
  static std::atomic<long> serial{1000};
  TestCert t;
  t.key.reset(EVP_EC_gen("P-256"));
  check(t.key != nullptr, "EVP_EC_gen");
  t.cert.reset(X509_new());
  X509* c = t.cert.get();
  check(X509_set_version(c, 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(c), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400);
  check(X509_set_pubkey(c, t.key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(c);
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : c;
  check(X509_set_issuer_name(c, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");
  for (const auto& [nid, value] : exts) add_ext(c, signer, nid, value);
  check(X509_sign(c, issuer_key ? issuer_key : t.key.get(), EVP_sha256()) > 0, "X509_sign");
  t.cert_pem = pem_of(c, nullptr);
  t.key_pem = pem_of(nullptr, t.key.get());
  return t;
}

}  // namespace

TestCert make_ca(const std::string& cn) {
  return make_cert(cn, "", nullptr, nullptr,
                   {{NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                    {NID_subject_key_identifier, "hash"}});
}

TestCert make_leaf(const TestCert& ca, const std::string& cn,
                   const std::vector<std::string>& ip_sans, bool server,
                   const std::string& organization) {
  std::vector<std::pair<int, std::string>> exts = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, server ? "serverAuth" : "clientAuth"},
      {NID_authority_key_identifier, "keyid"}};
  std::string sans;
  for (const auto& ip : ip_sans) sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  if (!sans.empty()) exts.emplace_back(NID_subject_alt_name, sans);
  return make_cert(cn, organization, ca.cert.get(), ca.key.get(), exts);
}

}  // namespace riposte::testing
