// HTTP input for Falco's http_output and Falcosidekick's webhook and talon outputs: POST a
// Falco JSON alert to any path (Falco Talon's is `/`). Protected by a bearer token
// (Authorization: Bearer <token>, or Basic with the token as password, which is what a sender
// that cannot add headers sends for http://user:<token>@host/; compared in constant time,
// checked before the body is read), with a body size limit. Answers:
//   200 {"subject":..,"sequence":..,"duplicate":..}  stored in RIPOSTE_ALERTS
//   400 {"error":..}   not a valid alert (nothing queued)
//   401                missing or wrong token (nothing queued)
//   413                body over the limit
//   503 {"error":..} + Retry-After   NATS did not store it, or every worker is busy and the
//                      queue of waiting connections is full: the sender should retry
// 200 is only ever sent once the stream has stored the alert, so an answered alert is never
// lost; what cannot be handled is refused at once instead of queued without bound.
//
// Connections are served by `workers` threads (a kept-open connection holds one while it is
// open); up to `queue` more wait for a worker; beyond that a connection is answered 503 with
// Retry-After by an overflow thread and closed. While connections wait, a kept-open one is
// closed after its answer (its sender reconnects and queues), so none waits without bound. Memory:
// at most (workers + 1) bodies of max_body_bytes are held at once, plus the queued sockets.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/secret_file.h"
#include "responder/inputs/ingest.h"

namespace httplib {
class Server;
}

namespace riposte::responder {

class ConnectionPool;

struct HttpIngestOptions {
  std::string host{"0.0.0.0"};
  int port = 8765;  // 0: any free port
  // The bearer token: token_file when set (re-read when it changes, so a rotated Secret takes
  // effect without a restart), else token. One of them is required.
  std::string token{};
  std::string token_file{};
  size_t max_body_bytes = 1024 * 1024;
  std::string tls_cert_file{};  // both set: HTTPS
  std::string tls_key_file{};
  int workers = 128;      // connections served at once
  int queue = 512;        // connections waiting for a worker before new ones get 503
  int retry_after_s = 1;  // Retry-After of a 503
  int keep_alive_s = 5;   // an idle kept-open connection is closed after this long
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

  // Constant-time check of an Authorization header value (Bearer <token>, or Basic with the
  // token as password) against the token; exposed for tests.
  static bool authorized(const std::string& header, const std::string& token);

 private:
  std::string token();

  HttpIngestOptions options_;
  AlertIngest* ingest_;
  ResponderMetrics* metrics_;
  std::unique_ptr<SecretFile> token_file_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  ConnectionPool* pool_ = nullptr;  // owned by server_
  std::thread thread_;
};

}  // namespace riposte::responder
