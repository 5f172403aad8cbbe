#include "common/kube/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

namespace riposte::kube::tls {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Drains OpenSSL's thread-local error queue so a stale error never leaks into a later message.
std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Error fail(std::string_view what, std::string_view problem) {
  return Error{std::string(what) + ": " + std::string(problem) + " (" + openssl_error() + ")"};
}

}  // namespace

Result<std::vector<X509Ptr>> parse_certificates(std::string_view pem, std::string_view what) {
  ERR_clear_error();
  auto bio = memory_bio(pem);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // Reading stops with PEM_R_NO_START_LINE at the end of the data; anything else is damage.
  unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  }
  if (ERR_peek_error() != 0) return fail(what, "malformed PEM certificate");
  if (certs.empty()) {
    return Error{std::string(what) +
                 ": no PEM certificate (\"-----BEGIN CERTIFICATE-----\") found"};
  }
  return certs;
}

Result<PkeyPtr> parse_private_key(std::string_view pem, std::string_view what) {
  ERR_clear_error();
  auto bio = memory_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(what, "no readable PEM private key (encrypted keys are not supported)");
  return key;
}

Result<StorePtr> make_store(std::string_view ca_pem, std::string_view what) {
  auto certs = parse_certificates(ca_pem, what);
  if (!certs) return certs.err();
  StorePtr store(X509_STORE_new());
  if (!store) return fail(what, "cannot allocate a certificate store");
  for (auto& cert : *certs) {
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      return fail(what, "cannot add a CA certificate to the store");
    }
  }
  return store;
}

Status check_key_matches(X509* cert, EVP_PKEY* key, std::string_view what) {
  ERR_clear_error();
  if (X509_check_private_key(cert, key) != 1) {
    return fail(what, "client key does not match the client certificate");
  }
  return Status::Ok();
}

}  // namespace riposte::kube::tls
