#include "audit/client_cert.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

namespace riposte::audit {

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::vector<std::string> names_of(X509* cert) {
  std::vector<std::string> names;
  char cn[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  if (n > 0) names.emplace_back(cn, static_cast<size_t>(n));
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) continue;
      const ASN1_IA5STRING* s = g->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(sans);
  }
  return names;
}

}  // namespace

bool check_client_cert(const SSL* ssl, const std::vector<std::string>& allowed, Rejection* why) {
  X509* cert = ssl != nullptr ? SSL_get0_peer_certificate(ssl) : nullptr;
  if (cert == nullptr) {
    *why = {"client_cert", "a client certificate is required"};
    return false;
  }
  long v = SSL_get_verify_result(ssl);
  if (v != X509_V_OK) {
    *why = {"client_cert",
            std::string("client certificate not accepted: ") + X509_verify_cert_error_string(v)};
    return false;
  }
  if (allowed.empty()) return true;
  std::vector<std::string> names = names_of(cert);
  for (const auto& n : names)
    if (std::find(allowed.begin(), allowed.end(), n) != allowed.end()) return true;
  *why = {"client_name",
          "client certificate " +
              (names.empty() ? std::string("without a name") : "'" + names[0] + "'") +
              " is not an allowed client"};
  return false;
}

std::string setup_mutual_tls(SSL_CTX* ctx, const std::string& cert_file,
                             const std::string& key_file, const std::string& client_ca_file) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return "serving certificate " + cert_file + ": " + openssl_error();
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1)
    return "serving key " + key_file + ": " + openssl_error();
  if (SSL_CTX_load_verify_locations(ctx, client_ca_file.c_str(), nullptr) != 1)
    return "client CA " + client_ca_file + ": " + openssl_error();
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str());
  if (names == nullptr) return "client CA " + client_ca_file + ": no certificate in it";
  SSL_CTX_set_client_CA_list(ctx, names);
  // Ask for a certificate and verify it, but let the handshake finish whatever the outcome:
  // the request handler refuses it with a reason and counts it (check_client_cert).
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  return {};
}

}  // namespace riposte::audit
