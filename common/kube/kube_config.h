// Where the API server is and how to authenticate to it: from a kubeconfig (an explicit
// path, $KUBECONFIG or ~/.kube/config) or from a pod's service account (in-cluster).
// Credentials are read and checked at load time so a bad file fails startup with its name.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace riposte::kube {

struct KubeConfig {
  std::string server;           // "https://host:port", maybe with a path prefix
  std::string ca_pem;           // CAs trusted for the server; required (TLS is always verified)
  std::string ca_origin;        // where ca_pem came from, for TLS error messages
  std::string client_cert_pem;  // client certificate auth: both set or both empty
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // bearer token kept in a file and re-read when it changes
  std::string namespace_;  // the context's / service account's namespace; "default" if unset
  std::string origin;      // "kubeconfig /root/.kube/config (context admin)", for logs
};

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// path: a kubeconfig file, or "" for $KUBECONFIG (a ':'-separated list merged the way kubectl
// does: the first file defining a name or current-context wins) and then ~/.kube/config.
// context: "" for current-context.
Result<KubeConfig> load_kubeconfig(const std::string& path = {}, const std::string& context = {});

// A pod's service account: dir holds token, ca.crt and namespace; the server comes from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
Result<KubeConfig> load_in_cluster_config(const std::string& dir = std::string(kServiceAccountDir));

// client-go's order: an explicit kubeconfig path, then $KUBECONFIG, then in-cluster when
// KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
Result<KubeConfig> load_config(const std::string& kubeconfig_path = {});

// The bearer token for each request. Service account tokens are projected and rotated by
// the kubelet (an atomic symlink swap), so the file is re-read whenever its identity or
// mtime changes. Thread-safe.
class TokenSource {
 public:
  TokenSource(std::string token, std::string file);
  // "" when neither a token nor a file is configured (client certificate auth).
  Result<std::string> get();

 private:
  std::mutex mu_;
  std::string token_;
  const std::string file_;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
};

// The parts of KubeConfig::server the HTTP client needs. Only https is accepted.
struct ServerUrl {
  std::string host;  // without IPv6 brackets
  int port = 443;
  std::string path_prefix;  // "" or "/prefix" (no trailing slash), for API servers behind a proxy
};
Result<ServerUrl> parse_server_url(std::string_view url);

// Strict RFC 4648 decoding (whitespace ignored), for the *-data fields.
Result<std::string> base64_decode(std::string_view in);

}  // namespace riposte::kube
