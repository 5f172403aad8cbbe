// PEM parsing with OpenSSL, shared by the config loader (to reject bad credentials at startup
// with the file's name) and the HTTP client (to hand certificates to httplib from memory).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace riposte::kube::tls {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

// `what` names the source in errors ("certificate-authority /etc/ca.crt").
// All certificates of a PEM bundle; fails when there is none or one is malformed.
Result<std::vector<X509Ptr>> parse_certificates(std::string_view pem, std::string_view what);
Result<PkeyPtr> parse_private_key(std::string_view pem, std::string_view what);
// A store trusting exactly the certificates in ca_pem.
Result<StorePtr> make_store(std::string_view ca_pem, std::string_view what);
// Fails unless key is the private half of cert's public key.
Status check_key_matches(X509* cert, EVP_PKEY* key, std::string_view what);

}  // namespace riposte::kube::tls
