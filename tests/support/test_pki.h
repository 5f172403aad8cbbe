// Throwaway certificates made in memory for TLS tests: a CA, server certificates for
// loopback addresses and client certificates, all EC P-256, valid for a day.
#pragma once

#include <string>
#include <vector>

#include "common/kube/tls.h"

namespace riposte::testing {

struct TestCert {
  kube::tls::X509Ptr cert;
  kube::tls::PkeyPtr key;
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA.
TestCert make_ca(const std::string& cn);
// Signed by ca. ip_sans: subjectAltName IP addresses ("127.0.0.1"); organization: the
// Kubernetes group of a client certificate ("" for none).
TestCert make_leaf(const TestCert& ca, const std::string& cn,
                   const std::vector<std::string>& ip_sans, bool server,
                   const std::string& organization = "");

}  // namespace riposte::testing
