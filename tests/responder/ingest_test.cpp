// The inputs that feed RIPOSTE_ALERTS from outside: the HTTP endpoint (bearer token, size
// limit) and Falcosidekick's NATS output; and NATS refusing unauthenticated clients.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "responder/audit.h"
#include "responder/dedup.h"
#include "responder/inputs/falcosidekick_bridge.h"
#include "responder/inputs/http_ingest.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

using ::testing::HasSubstr;

std::string falco_json(const std::string& pod) {
  return R"J({"hostname":"node-1","output":"06:51:02.123456789: Notice A shell was spawned (pod=)J" +
         pod + R"J()","priority":"Notice","rule":"Terminal shell in container","source":"syscall",)J"
         R"J("tags":["shell"],"time":"2026-11-24T06:51:02.123456789Z",)J"
         R"J("output_fields":{"k8s.ns.name":"shop","k8s.pod.name":")J" +
         pod + R"J("}})J";
}

}  // namespace
namespace {

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    auto c = nats::Connection::connect({.url = server_.url(), .name = "ingest-test"});
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    ASSERT_TRUE(responder::ensure_streams(*conn_, {}).ok());
  }
  std::vector<nlohmann::json> alerts() { return read_stream(*conn_, kAlertStream, kAlertSubjects); }

  NatsServer server_;
  std::unique_ptr<nats::Connection> conn_;
  Registry registry_;
  responder::ResponderMetrics metrics_{&registry_};
};

// Every worker busy and no room in the queue: the next sender is answered 503 with
// Retry-After at once, nothing is stored for it, and once the worker is free it is served.
TEST_F(IngestTest, HttpInputRefusesWithRetryAfterWhenEveryWorkerIsBusy) {
  responder::AlertIngest ingest(conn_.get(), &metrics_);
  responder::HttpIngest http(
      {.host = "127.0.0.1", .port = 0, .token = "t", .workers = 1, .queue = 0}, &ingest, &metrics_);
  ASSERT_TRUE(http.start().ok());
  const httplib::Headers auth = {{"Authorization", "Bearer t"}};
  // A connection that sent its headers but not yet its body holds the only worker.
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(http.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string body1 = falco_json("web-1");
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: " +
      std::to_string(body1.size()) + "\r\n\r\n";
  ASSERT_EQ(send(holder, head.data(), head.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(head.size()));

  httplib::Client other("127.0.0.1", http.port());
  auto res = other.Post("/", auth, falco_json("web-2"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_EQ(alerts().size(), 0u);

  // The held request completes, then its connection closes and frees the worker.
  ASSERT_EQ(send(holder, body1.data(), body1.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(body1.size()));
  ASSERT_TRUE(eventually([&] { return alerts().size() == 1u; }));
  close(holder);
  for (int i = 0; i < 200 && res && res->status == 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sender honouring Retry-After
    res = other.Post("/", auth, falco_json("web-2"), "application/json");
  }
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(alerts().size(), 2u);
  http.stop();
}

// The token file is followed: once the new token is accepted (polled: the file is checked
// about once a second), the old one is refused, without restarting the input.
TEST_F(IngestTest, HttpInputFollowsARotatedTokenFile) {
  const std::string file = ::testing::TempDir() + "/http-token-" + std::to_string(getpid());
  { std::ofstream(file) << "first-token\n"; }
  responder::AlertIngest ingest(conn_.get(), &metrics_);
  responder::HttpIngest http({.host = "127.0.0.1", .port = 0, .token_file = file}, &ingest,
                             &metrics_);
  ASSERT_TRUE(http.start().ok());
  httplib::Client client("127.0.0.1", http.port());
  auto post = [&](const std::string& token, const std::string& pod) {
    auto r = client.Post("/", {{"Authorization", "Bearer " + token}}, falco_json(pod),
                         "application/json");
    return r ? r->status : 0;
  };
  EXPECT_EQ(post("first-token", "web-1"), 200);
  { std::ofstream(file + ".new") << "second-token\n"; }
  std::filesystem::rename(file + ".new", file);  // atomically, like a Secret volume update
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = post("second-token", "web-2");
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200) << "the rotated token was never accepted";
  EXPECT_EQ(post("first-token", "web-3"), 401);
  http.stop();
  std::filesystem::remove(file);
}

TEST_F(IngestTest, HttpInputNeedsTheBearerTokenAndQueuesValidAlertsOnce) {
  responder::AlertIngest ingest(conn_.get(), &metrics_);
  responder::HttpIngest http({.host = "127.0.0.1", .port = 0, .token = "s3cret-token",
                              .max_body_bytes = 64 * 1024},
                             &ingest, &metrics_);
  ASSERT_TRUE(http.start().ok());
  httplib::Client client("127.0.0.1", http.port());
  const std::string body = falco_json("web-1");

  auto res = client.Post("/", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"riposte\"");
  res = client.Post("/", {{"Authorization", "Bearer s3cret-tokeN"}}, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client.Post("/", {{"Authorization", "Basic s3cret-token"}}, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(alerts().empty()) << "an unauthenticated POST was queued";

  const httplib::Headers auth = {{"Authorization", "Bearer s3cret-token"}};
  res = client.Post("/falco", auth, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["subject"], "riposte.alerts.notice.terminal_shell_in_container");
  EXPECT_FALSE(j["duplicate"].get<bool>());
  // Falcosidekick retrying, or the same event also arriving through another input.
  res = client.Post("/", auth, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_TRUE(nlohmann::json::parse(res->body)["duplicate"].get<bool>());

  res = client.Post("/", auth, "{\"rule\":\"x\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("missing field \\\"priority\\\""));
  res = client.Post("/", auth, std::string(100 * 1024, 'x'), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);

  auto stored = alerts();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["output_fields"]["k8s.pod.name"], "web-1");
  EXPECT_EQ(registry_.counter("riposte_responder_ingested_total", "",
                              {{"input", "http"}, {"outcome", "unauthorized"}}).value(), 3);
  http.stop();
}

TEST_F(IngestTest, TokenComparison) {
  EXPECT_TRUE(responder::HttpIngest::authorized("Bearer abc", "abc"));
  EXPECT_TRUE(responder::HttpIngest::authorized("bearer abc", "abc"));
  EXPECT_FALSE(responder::HttpIngest::authorized("Bearer abcd", "abc"));
  EXPECT_FALSE(responder::HttpIngest::authorized("Bearer ", ""));
  EXPECT_FALSE(responder::HttpIngest::authorized("", "abc"));
  EXPECT_FALSE(responder::HttpIngest::authorized("Bearer", "abc"));
  // Basic with the token as password (a URL's user:token@), whatever the user name.
  EXPECT_TRUE(responder::HttpIngest::authorized("Basic cmlwb3N0ZTphYmM=", "abc"));  // riposte:abc
  EXPECT_TRUE(responder::HttpIngest::authorized("basic OmFiYw==", "abc"));          // :abc
  EXPECT_FALSE(responder::HttpIngest::authorized("Basic YWJj", "abc"));             // abc
  EXPECT_FALSE(responder::HttpIngest::authorized("Basic YWJjOng=", "abc"));         // abc:x
  EXPECT_FALSE(responder::HttpIngest::authorized("Basic dTphYmNk", "abc"));         // u:abcd
  EXPECT_FALSE(responder::HttpIngest::authorized("Basic abc", "abc"));
  EXPECT_FALSE(responder::HttpIngest::authorized("Basic Og==", ""));  // :
}

TEST_F(IngestTest, FalcosidekickOutputIsRepublishedOnceByEveryReplica) {
  responder::AlertIngest ingest(conn_.get(), &metrics_);
  // Two replicas, each with its own connection, both bridging.
  auto c2 = nats::Connection::connect({.url = server_.url(), .name = "replica-2"});
  ASSERT_TRUE(c2.ok());
  responder::AlertIngest ingest2(c2->get(), &metrics_);
  responder::FalcosidekickBridge b1(conn_.get(), conn_.get(), &ingest);
  responder::FalcosidekickBridge b2(c2->get(), c2->get(), &ingest2);
  ASSERT_TRUE(b1.start().ok());
  ASSERT_TRUE(b2.start().ok());
  ASSERT_TRUE(conn_->flush(2000).ok());
  ASSERT_TRUE((*c2)->flush(2000).ok());

  auto pub = nats::Connection::connect({.url = server_.url(), .name = "falcosidekick"});
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE((*pub)->publish("falco.notice.terminal_shell_in_container", falco_json("web-1")).ok());
  ASSERT_TRUE((*pub)->publish("falco.notice.bad", "{\"rule\":1}").ok());
  ASSERT_TRUE((*pub)->flush(2000).ok());
  auto counted = [&](const std::string& outcome) {
    return registry_.counter("riposte_responder_ingested_total", "",
                             {{"input", "falcosidekick"}, {"outcome", outcome}}).value();
  };
  ASSERT_TRUE(eventually([&] { return counted("accepted") + counted("duplicate") == 2; }));
  ASSERT_TRUE(eventually([&] { return counted("invalid") == 2; }));
  auto stored = alerts();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["rule"], "Terminal shell in container");
  auto dead = read_stream(*conn_, responder::kDeadLetterStream, kDeadLetterSubject);
  ASSERT_EQ(dead.size(), 1u);  // both replicas dead-lettered it under one id
  EXPECT_THAT(dead[0]["reason"].get<std::string>(), HasSubstr("field \"rule\" must be a string"));
  b1.stop();
  b2.stop();
}

TEST(NatsSecurityTest, UnauthenticatedPublisherIsRefused) {
  NatsServer server({.user = "riposte", .password = "pa55word"});
  ASSERT_TRUE(server.start());
  auto anonymous = nats::Connection::connect({.url = server.url(), .max_reconnect = 0});
  ASSERT_FALSE(anonymous.ok());
  EXPECT_THAT(anonymous.error(), HasSubstr("Authorization"));
  auto wrong = nats::Connection::connect(
      {.url = server.url(), .user = "riposte", .password = "nope", .max_reconnect = 0});
  EXPECT_FALSE(wrong.ok());
  auto ok = nats::Connection::connect(
      {.url = server.url(), .user = "riposte", .password = "pa55word", .max_reconnect = 0});
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_TRUE(responder::ensure_streams(**ok, {}).ok());

  NatsServer token_server({.config = "authorization { token: \"t0ken\" }"});
  ASSERT_TRUE(token_server.start());
  EXPECT_FALSE(nats::Connection::connect({.url = token_server.url(), .max_reconnect = 0}).ok());
  EXPECT_TRUE(nats::Connection::connect(
                  {.url = token_server.url(), .token = "t0ken", .max_reconnect = 0})
                  .ok());
}

}  // namespace
}  // namespace riposte::testing
