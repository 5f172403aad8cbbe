#include "responder/inputs/http_ingest.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "common/kube/kube_config.h"
#include "common/log.h"
#include "responder/inputs/connection_pool.h"

namespace riposte::responder {
namespace {

// What the kernel caps it to by default (net.core.somaxconn, 4096).
constexpr int kListenBacklog = 4096;

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace

bool HttpIngest::authorized(const std::string& header, const std::string& token) {
  if (token.empty()) return false;
  auto scheme = [&header](std::string_view name) {
    if (header.size() <= name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != name[i]) return false;
    }
    return true;
  };
  std::string given;
  if (scheme("bearer ")) {
    given = header.substr(7);
  } else if (scheme("basic ")) {
    // What a URL's user:password@ becomes in libcurl (Falco's http_output) and Go's net/http
    // (Falcosidekick's talon output, which cannot add headers): the token is the password,
    // the user name is not checked.
    auto decoded = kube::base64_decode(std::string_view(header).substr(6));
    if (!decoded) return false;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    given = decoded->substr(colon + 1);
  } else {
    return false;
  }
  // Hashing first makes the comparison independent of where (and whether) lengths differ.
  const auto got = sha256(given);
  const auto want = sha256(token);
  return CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

HttpIngest::HttpIngest(HttpIngestOptions options, AlertIngest* ingest, ResponderMetrics* metrics)
    : options_(std::move(options)), ingest_(ingest), metrics_(metrics) {}

HttpIngest::~HttpIngest() { stop(); }

std::string HttpIngest::token() { return token_file_ ? token_file_->current() : options_.token; }

Status HttpIngest::start() {
  if (!options_.token_file.empty()) {
    token_file_ = std::make_unique<SecretFile>(options_.token_file);
    if (Status st = token_file_->load(); !st.ok()) return Error{"http input: token: " + st.error()};
  } else if (options_.token.empty()) {
    return Error{"http input: a bearer token is required"};
  }
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return Error{"http input: give both a TLS certificate and its key, or neither"};
  }
  if (options_.workers < 1 || options_.queue < 0) {
    return Error{"http input: workers must be at least 1 and the queue at least 0"};
  }
  if (!options_.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                    options_.tls_key_file.c_str());
    if (!ssl->is_valid()) return Error{"http input: cannot load the TLS certificate or key"};
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const int workers = options_.workers, queue = options_.queue;
  server_->new_task_queue = [this, workers, queue] {
    pool_ = new ConnectionPool(workers, queue);
    return pool_;
  };
  // Without it Nagle holds each small answer until the client's delayed ACK (~40 ms a request
  // on a kept-open connection).
  server_->set_tcp_nodelay(true);
  // A sender keeps its connection for as long as it likes (httplib's default closes it after
  // 5 requests); an idle one is closed after keep_alive_s so that it frees its worker.
  server_->set_keep_alive_max_count(std::numeric_limits<size_t>::max());
  server_->set_keep_alive_timeout(options_.keep_alive_s);
  server_->set_payload_max_length(options_.max_body_bytes);
  // httplib listens with a backlog of 5: in a burst the kernel then drops connections before
  // anyone can answer them (1,000 concurrent posts: up to 800 failed). The listening socket
  // is captured here and listens again with a room for every connection of a burst.
  int listen_fd = -1;
  server_->set_socket_options([&listen_fd](int sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  // Runs before the body is read: an unauthenticated sender cannot make us buffer anything.
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (authorized(req.get_header_value("Authorization"), token())) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (metrics_) metrics_->ingested("http", "unauthorized");
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"riposte\"");
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  const std::string retry_after = std::to_string(options_.retry_after_s);
  server_->Post(R"(/.*)", [this, retry_after](const httplib::Request& req, httplib::Response& res) {
    // Refused after the body was read (not before): closing a socket with unread data makes
    // the kernel send a reset, which can destroy the answer before the sender reads it.
    if (ConnectionPool::overloaded()) {
      if (metrics_) metrics_->ingested("http", "overloaded");
      res.set_header("Retry-After", retry_after);
      res.set_header("Connection", "close");
      reply(res, 503, {{"error", "busy: every worker is taken and the queue is full"}});
      return;
    }
    AlertIngest::Failure failure = AlertIngest::Failure::kNone;
    auto r = ingest_->ingest(req.body, "http", &failure);
    if (!r) {
      const bool invalid = failure == AlertIngest::Failure::kInvalid;
      if (!invalid) res.set_header("Retry-After", retry_after);
      reply(res, invalid ? 400 : 503, {{"error", r.error()}});
      return;
    }
    reply(res, 200, {{"subject", r->subject}, {"sequence", r->sequence}, {"duplicate", r->duplicate}});
    // Kept-open connections would otherwise keep every worker while queued ones time out.
    if (pool_ != nullptr && pool_->others_waiting()) res.set_header("Connection", "close");
  });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Error{"http input: cannot bind " + options_.host};
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Error{"http input: cannot bind " + options_.host + ":" + std::to_string(options_.port)};
    }
    port_ = options_.port;
  }
  if (listen_fd < 0 || ::listen(listen_fd, kListenBacklog) != 0) {
    return Error{"http input: cannot set the listen backlog"};
  }
  httplib::Server* raw = server_.get();
  thread_ = std::thread([raw] {
    if (!raw->listen_after_bind()) log::error("http input stopped accepting connections");
  });
  log::info("http input listening", {{"address", options_.host + ":" + std::to_string(port_)},
                                     {"tls", !options_.tls_cert_file.empty()},
                                     {"workers", options_.workers},
                                     {"queue", options_.queue}});
  return {};
}

void HttpIngest::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace riposte::responder
