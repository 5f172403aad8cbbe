#include "common/kube/http_kube_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <signal.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "common/kube/tls.h"

namespace riposte::kube {

namespace {

// A 429 that is an answer rather than throttling: an eviction refused by a
// PodDisruptionBudget. Retrying it within one request only delays the caller (drain and the
// engine retry such refusals on their own schedule).
bool is_final_refusal(const httplib::Response& res) {
  if (res.status != 429) return false;
  auto err = classify({res.status, res.body});
  return err && err->has_cause(kDisruptionBudgetCause);
}

}  // namespace

struct HttpKubeClient::Impl {
  Impl(KubeConfig c, ServerUrl u, HttpClientOptions o)
      : config(std::move(c)),
        url(std::move(u)),
        options(std::move(o)),
        tokens(config.token, config.token_file),
        rng(std::random_device{}()) {}

  Result<std::unique_ptr<httplib::SSLClient>> connect_client() const;
  std::string transport_message(httplib::Error err, httplib::SSLClient& cli) const;
  // An idle persistent connection, or a new one: concurrent callers (the responder's workers)
  // each get their own instead of queueing behind one connection.
  Result<std::unique_ptr<httplib::SSLClient>> acquire();
  void release(std::unique_ptr<httplib::SSLClient> cli);
  std::chrono::milliseconds backoff(int attempt);
  void wait(std::chrono::milliseconds d) const {
    if (options.wait) {
      options.wait(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }
  std::chrono::milliseconds retry_delay(const httplib::Response& res, int attempt);

  const KubeConfig config;
  const ServerUrl url;
  const HttpClientOptions options;
  TokenSource tokens;
  static constexpr size_t kMaxIdle = 16;
  std::mutex pool_mu;  // guards idle
  std::vector<std::unique_ptr<httplib::SSLClient>> idle;
  std::mutex rng_mu;
  std::mt19937_64 rng;
  std::mutex streams_mu;  // guards streams and cancelled
  std::set<httplib::SSLClient*> streams;
  bool cancelled = false;
};

Result<std::unique_ptr<httplib::SSLClient>> HttpKubeClient::Impl::connect_client() const {
  auto store = tls::make_store(config.ca_pem, config.ca_origin);
  if (!store) return store.err();
  std::unique_ptr<httplib::SSLClient> c;
  std::vector<tls::X509Ptr> chain;
  if (!config.client_cert_pem.empty()) {
    auto certs = tls::parse_certificates(config.client_cert_pem, "client certificate");
    if (!certs) return certs.err();
    auto key = tls::parse_private_key(config.client_key_pem, "client key");
    if (!key) return key.err();
    // The SSL_CTX takes its own references; ours are freed on return.
    c = std::make_unique<httplib::SSLClient>(url.host, url.port, certs->front().get(), key->get());
    chain = std::move(*certs);
  } else {
    c = std::make_unique<httplib::SSLClient>(url.host, url.port);
  }
  if (!c->is_valid()) {
    return Error{"cannot set up TLS for " + config.server + " (client certificate rejected?)"};
  }
  SSL_CTX* ctx = c->ssl_context();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  for (size_t i = 1; i < chain.size(); ++i) SSL_CTX_add1_chain_cert(ctx, chain[i].get());
  c->set_ca_cert_store(store->release());  // owned by the SSL_CTX from here on
  // With neither a CA file nor a directory set, httplib adds the system roots on the first
  // connection. A directory that can hold no files (/dev/null is not one) makes it add
  // nothing, so exactly the configured CA is trusted.
  c->set_ca_cert_path("", "/dev/null");
  c->enable_server_certificate_verification(true);
  c->set_keep_alive(true);
  // Headers and body go out in separate writes; with Nagle on, the body waits for the
  // server's delayed ACK of the headers (~40 ms on Linux loopback) on every request with one.
  c->set_tcp_nodelay(true);
  c->set_url_encode(false);  // paths and queries are escaped by us, once
  c->set_connection_timeout(options.connect_timeout);
  c->set_read_timeout(options.read_timeout);
  c->set_write_timeout(options.read_timeout);
  c->set_follow_location(false);
  return c;
}

Result<std::unique_ptr<httplib::SSLClient>> HttpKubeClient::Impl::acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mu);
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
  }
  return connect_client();
}

void HttpKubeClient::Impl::release(std::unique_ptr<httplib::SSLClient> cli) {
  std::lock_guard<std::mutex> lock(pool_mu);
  if (idle.size() < kMaxIdle) idle.push_back(std::move(cli));
}

std::string HttpKubeClient::Impl::transport_message(httplib::Error err,
                                                    httplib::SSLClient& cli) const {
  std::string msg = httplib::to_string(err);
  if (err == httplib::Error::SSLServerVerification) {
    long v = cli.get_openssl_verify_result();
    msg = v == X509_V_OK ? "TLS: server certificate does not match host " + url.host
                         : std::string("TLS: server certificate verification failed: ") +
                               X509_verify_cert_error_string(v);
    msg += " (trusted CA: " + config.ca_origin + ")";
  } else if (err == httplib::Error::SSLConnection) {
    msg = "TLS handshake failed";
  }
  ERR_clear_error();
  return msg;
}

std::chrono::milliseconds HttpKubeClient::Impl::backoff(int attempt) {
  // Exponential with "equal jitter": half fixed, half random, so concurrent retries spread.
  auto ceiling = options.initial_backoff * (int64_t{1} << std::min(attempt - 1, 20));
  ceiling = std::min(ceiling, options.max_backoff);
  std::lock_guard<std::mutex> lock(rng_mu);
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(ceiling.count() / 2, 0));
  return std::chrono::milliseconds(ceiling.count() - ceiling.count() / 2 + jitter(rng));
}

std::chrono::milliseconds HttpKubeClient::Impl::retry_delay(const httplib::Response& res,
                                                            int attempt) {
  const std::string ra = res.get_header_value("Retry-After");
  if (!ra.empty() && ra.size() < 9 &&
      std::all_of(ra.begin(), ra.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stoll(ra)),
                                               options.max_backoff);
  }
  return backoff(attempt);
}

HttpKubeClient::HttpKubeClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpKubeClient::~HttpKubeClient() = default;

Result<std::unique_ptr<HttpKubeClient>> HttpKubeClient::create(const KubeConfig& config,
                                                               HttpClientOptions options) {
  auto url = parse_server_url(config.server);
  if (!url) return url.err();
  options.max_attempts = std::max(options.max_attempts, 1);
  // OpenSSL writes to sockets with write(2): a watch cancelled by cancel_streams() (socket
  // shut down under it) or a connection the server closed would kill the process with
  // SIGPIPE instead of failing that one request.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  auto impl = std::make_unique<Impl>(config, std::move(*url), std::move(options));
  auto cli = impl->connect_client();
  if (!cli) return cli.err();
  impl->idle.push_back(std::move(*cli));
  return std::unique_ptr<HttpKubeClient>(new HttpKubeClient(std::move(impl)));
}

Result<KubeResponse> HttpKubeClient::request(const KubeRequest& request) {
  Impl& d = *impl_;
  httplib::Request req;
  req.method = request.method;
  req.path = d.url.path_prefix + request_target(request);
  req.headers.emplace("Accept", "application/json");
  req.headers.emplace("User-Agent", d.options.user_agent);
  if (!request.body.empty()) req.headers.emplace("Content-Type", request.content_type);
  req.body = request.body;
  const std::string what = request.method + " " + d.config.server + req.path;

  using Clock = std::chrono::steady_clock;
  const bool has_deadline = request.deadline != Clock::time_point{};
  const bool resend_ok = is_safe_to_resend(request);
  std::string last_error;
  for (int attempt = 1; attempt <= d.options.max_attempts; ++attempt) {
    auto timeout = d.options.read_timeout;
    if (has_deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - Clock::now());
      if (left.count() <= 0) {
        return Error{what + ": step deadline passed" +
                     (last_error.empty() ? "" : " (" + last_error + ")")};
      }
      timeout = std::min(timeout, left);
    }
    auto token = d.tokens.get();  // per attempt: the file may rotate between them
    if (!token) return Error{what + ": " + token.error()};
    req.headers.erase("Authorization");
    if (!token->empty()) req.headers.emplace("Authorization", "Bearer " + *token);

    std::unique_ptr<httplib::Response> res;
    httplib::Error err = httplib::Error::Success;
    {
      auto cli = d.acquire();
      if (!cli) return Error{what + ": " + cli.error()};
      // Per attempt: pooled connections keep what the last request set.
      (*cli)->set_read_timeout(timeout);
      (*cli)->set_write_timeout(timeout);
      auto r = (*cli)->send(req);
      err = r.error();
      if (r) res = std::make_unique<httplib::Response>(std::move(r.value()));
      if (!res) last_error = d.transport_message(err, **cli);
      d.release(std::move(*cli));
    }
    const bool last = attempt == d.options.max_attempts;
    auto pause = [&](std::chrono::milliseconds delay) {
      if (has_deadline) {
        delay = std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    request.deadline - Clock::now()));
      }
      if (delay.count() > 0) d.wait(delay);
    };
    if (!res) {
      // A certificate the CA does not vouch for will not change on retry: fail closed now.
      if (err == httplib::Error::SSLServerVerification || err == httplib::Error::SSLLoadingCerts) {
        return Error{what + ": " + last_error};
      }
      // Connection and handshake failures happen before the request is written.
      const bool unsent = err == httplib::Error::Connection || err == httplib::Error::SSLConnection;
      if (!resend_ok && !unsent) {
        return Error{what + ": " + last_error +
                     " (not sent again: the server may have applied it)"};
      }
      if (!last) pause(d.backoff(attempt));
      continue;
    }
    const bool throttled = res->status == 429 && !is_final_refusal(*res);
    const bool retry = throttled || (res->status >= 500 && resend_ok);
    if (retry && !last) {
      pause(d.retry_delay(*res, attempt));
      continue;
    }
    return KubeResponse{res->status, std::move(res->body)};
  }
  return Error{what + ": " + last_error + " (after " + std::to_string(d.options.max_attempts) +
               " attempts)"};
}

Result<int> HttpKubeClient::stream(const KubeRequest& request,
                                   const std::function<bool(std::string_view)>& on_data) {
  Impl& d = *impl_;
  auto cli = d.connect_client();
  if (!cli) return cli.err();
  std::chrono::milliseconds read_timeout = d.options.read_timeout;
  for (const auto& [k, v] : request.query) {
    if (k == "timeoutSeconds" && !v.empty() && v.size() < 7 &&
        std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      read_timeout = std::chrono::seconds(std::stoll(v) + 30);
    }
  }
  (*cli)->set_read_timeout(read_timeout);
  (*cli)->set_keep_alive(false);
  auto token = d.tokens.get();
  if (!token) return token.err();
  httplib::Headers headers{{"Accept", "application/json"}, {"User-Agent", d.options.user_agent}};
  if (!token->empty()) headers.emplace("Authorization", "Bearer " + *token);
  {
    std::lock_guard<std::mutex> lock(d.streams_mu);
    if (d.cancelled) return Error{"stream cancelled"};
    d.streams.insert(cli->get());
  }
  int status = 0;
  auto res = (*cli)->Get(
      d.url.path_prefix + request_target(request), headers,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t len) { return on_data(std::string_view(data, len)); });
  {
    std::lock_guard<std::mutex> lock(d.streams_mu);
    d.streams.erase(cli->get());
  }
  // on_data returning false ends the request with Error::Canceled: that is a normal end.
  if (status != 0) return status;
  return Error{request.method + " " + d.config.server + request.path + ": " + httplib::to_string(res.error())};
}

void HttpKubeClient::cancel_streams() {
  std::lock_guard<std::mutex> lock(impl_->streams_mu);
  impl_->cancelled = true;
  for (httplib::SSLClient* c : impl_->streams) c->stop();
}

}  // namespace riposte::kube
