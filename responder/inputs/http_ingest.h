// HTTP input for Falco's http_output and Falcosidekick's webhook output: POST a Falco JSON
// alert to any path. Protected by a bearer token (Authorization: Bearer <token>, compared in
// constant time, checked before the body is read), with a body size limit. Answers:
//   200 {"subject":..,"sequence":..,"duplicate":..}  stored in RIPOSTE_ALERTS
//   400 {"error":..}   not a valid alert (nothing queued)
//   401                missing or wrong token (nothing queued)
//   413                body over the limit
//   503 {"error":..}   NATS did not store it: the sender should retry
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "responder/inputs/ingest.h"

namespace httplib {
class Server;
}

namespace riposte::responder {

struct HttpIngestOptions {
  std::string host{"0.0.0.0"};
  int port = 8765;  // 0: any free port
  std::string token{};  // required: an empty token refuses to start
  size_t max_body_bytes = 1024 * 1024;
  std::string tls_cert_file{};  // both set: HTTPS
  std::string tls_key_file{};
};

class HttpIngest {
 public:
  HttpIngest(HttpIngestOptions options, AlertIngest* ingest, ResponderMetrics* metrics);
  ~HttpIngest();
  HttpIngest(const HttpIngest&) = delete;
  HttpIngest& operator=(const HttpIngest&) = delete;

  Status start();
  void stop();
  int port() const { return port_; }

  // Constant-time check of an Authorization header value against the token; exposed for tests.
  static bool authorized(const std::string& header, const std::string& token);

 private:
  HttpIngestOptions options_;
  AlertIngest* ingest_;
  ResponderMetrics* metrics_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace riposte::responder
