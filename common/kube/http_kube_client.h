// The real KubeClient: HTTPS to the API server over persistent connections (cpp-httplib +
// OpenSSL), server certificate always verified against the configured CA only, bearer token
// or client certificate auth, bounded retries with jittered exponential backoff.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/kube/kube_client.h"
#include "common/kube/kube_config.h"
#include "common/result.h"

namespace riposte::kube {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{30000};
  // Attempts per request, the first included. A request is sent again only when that cannot
  // apply it twice: GET/HEAD after transport errors, 429 and 5xx; any method when no
  // connection could be made (nothing was sent) or after a 429, which the API server answers
  // before handling the request (except a 429 refusing an eviction for a
  // PodDisruptionBudget: an answer, not throttling). A POST, PUT, PATCH or DELETE whose
  // answer was lost (read timeout, connection dropped, 5xx) fails instead: the caller reads
  // before trying again (actions resume through the run ledger, see run_ledger.h). TLS
  // verification failures are fatal.
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{200};
  // Caps both the backoff and a server's Retry-After, so one alert cannot stall the responder.
  std::chrono::milliseconds max_backoff{5000};
  std::string user_agent = "riposte-responder";
  // How the client waits between attempts; empty: sleeps. Tests record the waits instead of
  // timing them.
  std::function<void(std::chrono::milliseconds)> wait{};
};

class HttpKubeClient final : public KubeClient {
 public:
  static Result<std::unique_ptr<HttpKubeClient>> create(const KubeConfig& config,
                                                        HttpClientOptions options = {});
  ~HttpKubeClient() override;

  // Thread-safe; concurrent calls each use a connection of their own (idle ones are reused).
  Result<KubeResponse> request(const KubeRequest& request) override;
  // Each stream has a connection of its own (a watch holds it for minutes). The read timeout
  // is the request's timeoutSeconds query parameter plus a margin, when it has one.
  Result<int> stream(const KubeRequest& request,
                     const std::function<bool(std::string_view)>& on_data) override;
  void cancel_streams() override;

 private:
  struct Impl;  // keeps httplib and OpenSSL out of this header
  explicit HttpKubeClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace riposte::kube
