// The client certificate of a TLS connection, as the webhook checks it: verified against the
// client CA, and its names (subject CN, DNS SANs) against an allowed list.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "audit/event_list.h"

namespace riposte::audit {

// True when the peer presented a certificate the CA verified and, with a non-empty allowed
// list, one of its names is in it. Otherwise *why has the reason (client_cert, client_name).
bool check_client_cert(const SSL* ssl, const std::vector<std::string>& allowed, Rejection* why);

// Sets up a server context: the serving certificate and key, the client CA, and peer
// verification whose result check_client_cert reads (the handshake itself is not failed, so
// a refusal can be answered and counted). Empty string on success, else the problem.
std::string setup_mutual_tls(SSL_CTX* ctx, const std::string& cert_file,
                             const std::string& key_file, const std::string& client_ca_file);

}  // namespace riposte::audit
