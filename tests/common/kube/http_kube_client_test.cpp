// The real HTTP client against an in-process TLS server on loopback: certificate checks,
// auth headers, connection reuse, retries.
#include "common/kube/http_kube_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

namespace riposte::kube {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Seen {
  std::string method, path, auth, body, content_type, client_cn;
  int remote_port = 0;
};

// An HTTPS server on 127.0.0.1 with a certificate from its own CA; `handler` answers.
class TlsServer {
 public:
  explicit TlsServer(bool require_client_cert = false,
                     std::vector<std::string> sans = {"127.0.0.1"})
      : ca_(testing::make_ca("server-ca")),
        cert_(testing::make_leaf(ca_, "apiserver", sans, true)) {
    X509_STORE* client_cas = nullptr;
    if (require_client_cert) {
      client_cas = X509_STORE_new();
      X509_STORE_add_cert(client_cas, ca_.cert.get());
    }
    server_ = std::make_unique<httplib::SSLServer>(cert_.cert.get(), cert_.key.get(), client_cas);
    auto route = [this](const httplib::Request& req, httplib::Response& res) {
      Seen s{req.method,
             req.path,
             req.get_header_value("Authorization"),
             req.body,
             req.get_header_value("Content-Type"),
             "",
             req.remote_port};
      if (X509* peer = req.ssl ? SSL_get1_peer_certificate(req.ssl) : nullptr) {
        char cn[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
        s.client_cn = cn;
        X509_free(peer);
      }
      std::function<void(httplib::Response&, int)> h;
      int n;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(s);
        n = static_cast<int>(seen_.size());
        h = handler_;
      }
      if (h) {
        h(res, n);
      } else {
        res.set_content("{}", "application/json");
      }
    };
    server_->Get(".*", route);
    server_->Delete(".*", route);
    server_->Post(".*", route);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TlsServer() {
    server_->stop();
    thread_.join();
  }

  KubeConfig config() const {
    KubeConfig c;
    c.server = "https://127.0.0.1:" + std::to_string(port_);
    c.ca_pem = ca_.cert_pem;
    c.ca_origin = "test CA";
    c.token = "s3cret";
    return c;
  }
  void on_request(std::function<void(httplib::Response&, int n)> h) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  const testing::TestCert& ca() const { return ca_; }

 private:
  testing::TestCert ca_, cert_;
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::function<void(httplib::Response&, int)> handler_;
};

HttpClientOptions fast() {
  HttpClientOptions o;
  o.initial_backoff = std::chrono::milliseconds(1);
  o.max_backoff = std::chrono::milliseconds(20);
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.read_timeout = std::chrono::milliseconds(2000);
  return o;
}

std::unique_ptr<HttpKubeClient> client_for(const KubeConfig& c, HttpClientOptions o = fast()) {
  auto cli = HttpKubeClient::create(c, o);
  EXPECT_TRUE(cli.ok()) << cli.error();
  return cli.ok() ? std::move(*cli) : nullptr;
}

TEST(HttpKubeClientTest, SendsRequestWithBearerTokenOverOneConnection) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int) {
    res.status = 200;
    res.set_content(R"({"kind":"Pod"})", "application/json");
  });
  auto cli = client_for(server.config());
  KubeRequest req{.method = "DELETE",
                  .path = "/api/v1/namespaces/shop/pods/web-1",
                  .body = R"({"kind":"DeleteOptions"})",
                  .query = {{"dryRun", "All"}}};
  for (int i = 0; i < 3; ++i) {
    auto res = cli->request(req);
    ASSERT_TRUE(res.ok()) << res.error();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, R"({"kind":"Pod"})");
  }
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "DELETE");
  EXPECT_EQ(seen[0].path, "/api/v1/namespaces/shop/pods/web-1");
  EXPECT_EQ(seen[0].auth, "Bearer s3cret");
  EXPECT_EQ(seen[0].body, R"({"kind":"DeleteOptions"})");
  EXPECT_EQ(seen[0].content_type, "application/json");
  // Keep-alive: every request came from the same client socket.
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
  EXPECT_EQ(seen[2].remote_port, seen[0].remote_port);
}

TEST(HttpKubeClientTest, ClientCertificateAuth) {
  TlsServer server(/*require_client_cert=*/true);
  auto alice = testing::make_leaf(server.ca(), "alice", {}, false, "riposte");
  KubeConfig c = server.config();
  c.token.clear();
  c.client_cert_pem = alice.cert_pem;
  c.client_key_pem = alice.key_pem;
  auto res = client_for(c)->request({.method = "GET", .path = "/api"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].client_cn, "alice");
  EXPECT_EQ(server.seen()[0].auth, "");
}

TEST(HttpKubeClientTest, WrongCaFailsClosedWithoutRetrying) {
  TlsServer server;
  KubeConfig c = server.config();
  c.ca_pem = testing::make_ca("some-other-ca").cert_pem;
  c.ca_origin = "the other CA";
  HttpClientOptions o = fast();
  std::vector<std::chrono::milliseconds> waits;  // one per retry
  o.wait = [&waits](std::chrono::milliseconds d) { waits.push_back(d); };
  auto res = client_for(c, o)->request({.method = "GET", .path = "/api"});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(),
              AllOf(HasSubstr("certificate verification failed"), HasSubstr("the other CA")));
  EXPECT_TRUE(waits.empty()) << "retried a TLS failure";
  EXPECT_TRUE(server.seen().empty());
}

TEST(HttpKubeClientTest, SystemRootsAreNotTrusted) {
  TlsServer server;
  // OpenSSL's default verify paths honour SSL_CERT_FILE: make the server's CA a "system
  // root". Only the configured CA may count, so the handshake must still fail.
  testing::TempDir dir;
  std::string roots = dir.write("roots.pem", server.ca().cert_pem);
  ::setenv("SSL_CERT_FILE", roots.c_str(), 1);
  KubeConfig c = server.config();
  c.ca_pem = testing::make_ca("some-other-ca").cert_pem;
  auto res = client_for(c)->request({.method = "GET", .path = "/api"});
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), HasSubstr("certificate verification failed"));

  // Control: the same server verifies when its CA is the configured one.
  ::setenv("SSL_CERT_FILE", roots.c_str(), 1);
  auto ok = client_for(server.config())->request({.method = "GET", .path = "/api"});
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_TRUE(ok.ok()) << ok.error();
}

TEST(HttpKubeClientTest, CertificateForAnotherHostIsRejected) {
  TlsServer server(false, {"127.0.0.2"});
  auto res = client_for(server.config())->request({.method = "GET", .path = "/api"});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), HasSubstr("does not match host 127.0.0.1"));
  EXPECT_TRUE(server.seen().empty());
}

TEST(HttpKubeClientTest, RetriesServerErrorsThenSucceeds) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int n) { res.status = n < 3 ? 503 : 200; });
  auto res = client_for(server.config())->request({.method = "GET", .path = "/api"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(server.seen().size(), 3u);
}

TEST(HttpKubeClientTest, AttemptsAreBounded) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int) { res.status = 500; });
  auto res = client_for(server.config())->request({.method = "GET", .path = "/api"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(server.seen().size(), 4u);
}

TEST(HttpKubeClientTest, ClientErrorsAreNotRetried) {
  TlsServer server;
  for (int status : {400, 403, 404, 409, 422}) {
    server.on_request([status](httplib::Response& res, int) { res.status = status; });
    size_t before = server.seen().size();
    auto res = client_for(server.config())->request({.method = "DELETE", .path = "/x"});
    ASSERT_TRUE(res.ok()) << res.error();
    EXPECT_EQ(res->status, status);
    EXPECT_EQ(server.seen().size(), before + 1) << status;
  }
}

TEST(HttpKubeClientTest, ADisruptionBudgetRefusalIsAnAnswerNotThrottling) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int) {
    res.status = 429;
    res.set_content(R"({"kind":"Status","status":"Failure","reason":"TooManyRequests",)"
                    R"("details":{"causes":[{"reason":"DisruptionBudget","message":"no"}]}})",
                    "application/json");
  });
  auto res = client_for(server.config())->request({.method = "POST", .path = "/x/eviction"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpKubeClientTest, HonoursRetryAfterUpToTheCap) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int n) {
    res.status = n == 1 ? 429 : 200;
    if (n == 1) res.set_header("Retry-After", "1");
  });
  HttpClientOptions o = fast();
  o.max_backoff = std::chrono::milliseconds(5000);
  std::vector<std::chrono::milliseconds> waits;  // what the client waited before each retry
  o.wait = [&waits](std::chrono::milliseconds d) { waits.push_back(d); };
  auto res = client_for(server.config(), o)->request({.method = "GET", .path = "/api"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(waits, ElementsAre(std::chrono::milliseconds(1000)));

  // A Retry-After beyond max_backoff is cut to it.
  server.on_request([](httplib::Response& r, int n) {
    r.status = n % 2 == 1 ? 429 : 200;
    r.set_header("Retry-After", "3600");
  });
  waits.clear();
  res = client_for(server.config(), o)->request({.method = "GET", .path = "/api"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_THAT(waits, ElementsAre(o.max_backoff));
}

TEST(HttpKubeClientTest, TransportErrorsAreRetriedThenReported) {
  KubeConfig c;
  {
    TlsServer gone;
    c = gone.config();
  }  // the port is closed now
  auto res = client_for(c)->request({.method = "GET", .path = "/api"});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(),
              AllOf(HasSubstr("GET " + c.server + "/api"), HasSubstr("after 4 attempts")));
}

TEST(HttpKubeClientTest, MutationsAreNotSentAgainAfterAServerError) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int) { res.status = 500; });
  for (const char* method : {"POST", "DELETE"}) {
    const size_t before = server.seen().size();
    auto res = client_for(server.config())->request({.method = method, .path = "/x"});
    ASSERT_TRUE(res.ok()) << res.error();
    EXPECT_EQ(res->status, 500);
    EXPECT_EQ(server.seen().size(), before + 1) << method << " was sent again";
  }
}

TEST(HttpKubeClientTest, AMutationWhoseAnswerIsLostFailsWithoutBeingSentAgain) {
  TlsServer server;
  // The server applies the request, but its answer does not come within the read timeout.
  server.on_request([](httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.status = 201;
  });
  HttpClientOptions o = fast();
  o.read_timeout = std::chrono::milliseconds(200);
  auto res = client_for(server.config(), o)->request({.method = "POST", .path = "/x/eviction"});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), HasSubstr("not sent again"));
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpKubeClientTest, AThrottledMutationIsSentAgain) {
  TlsServer server;
  // 429 from the API server's flow control comes before the request is handled.
  server.on_request([](httplib::Response& res, int n) { res.status = n == 1 ? 429 : 201; });
  auto res = client_for(server.config())->request({.method = "POST", .path = "/x"});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(server.seen().size(), 2u);
}

TEST(HttpKubeClientTest, ADeadlineEndsAHangingRequestAndItsRetries) {
  TlsServer server;
  server.on_request([](httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    res.status = 200;
  });
  HttpClientOptions o = fast();
  o.read_timeout = std::chrono::milliseconds(30000);
  auto res = client_for(server.config(), o)
                 ->request({.method = "GET",
                            .path = "/api",
                            .deadline =
                                std::chrono::steady_clock::now() + std::chrono::milliseconds(200)});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), HasSubstr("deadline passed"));
  // Retries stop at the deadline: the server saw the one attempt that was cut short.
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpKubeClientTest, RejectsUnusableConfigAtCreation) {
  KubeConfig c;
  c.server = "http://127.0.0.1:1";
  EXPECT_FALSE(HttpKubeClient::create(c).ok());
  c.server = "https://127.0.0.1:1";
  c.ca_pem = "junk";
  c.ca_origin = "junk CA";
  auto res = HttpKubeClient::create(c);
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), HasSubstr("junk CA"));
}

}  // namespace
}  // namespace riposte::kube
