#include "common/ops_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>

namespace riposte {
namespace {

using ::testing::HasSubstr;

class OpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.counter("riposte_test_total", "A test counter.", {{"k", "v"}}).inc(3);
    server_ = std::make_unique<OpsServer>("127.0.0.1", 0, registry_, [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return checks_;
    });
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error();
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(5, 0);
    client_->set_read_timeout(5, 0);
  }

  void set_checks(std::vector<ReadyCheck> c) {
    std::lock_guard<std::mutex> lock(mu_);
    checks_ = std::move(c);
  }

  Registry registry_;
  std::mutex mu_;
  std::vector<ReadyCheck> checks_;
  std::unique_ptr<OpsServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OpsServerTest, Livez) {
  auto res = client_->Get("/livez");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(OpsServerTest, ReadyzAllOk) {
  set_checks({{"nats", true, ""}, {"kube", true, ""}});
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "[+]nats ok\n[+]kube ok\nreadyz check passed\n");
}

TEST_F(OpsServerTest, ReadyzOneFailing) {
  set_checks({{"nats", false, "not connected"}, {"kube", true, ""}});
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "[-]nats failed: not connected\n[+]kube ok\nreadyz check failed\n");
}

TEST_F(OpsServerTest, ReadyzNoChecksIsReady) {
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "readyz check passed\n");
}

TEST_F(OpsServerTest, Metrics) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(res->body, HasSubstr("# TYPE riposte_test_total counter\n"));
  EXPECT_THAT(res->body, HasSubstr("riposte_test_total{k=\"v\"} 3\n"));
  // Live values, not a snapshot taken at start().
  registry_.counter("riposte_test_total", "A test counter.", {{"k", "v"}}).inc();
  res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("riposte_test_total{k=\"v\"} 4\n"));
}

TEST_F(OpsServerTest, UnknownPathIs404) {
  auto res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(OpsServerTest, StopThenPortIsClosed) {
  const int port = server_->port();
  server_->stop();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/livez"));
}

TEST(OpsServer, BindConflictIsAnError) {
  Registry r;
  OpsServer first("127.0.0.1", 0, r, nullptr);
  ASSERT_TRUE(first.start().ok());
  OpsServer second("127.0.0.1", first.port(), r, nullptr);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("cannot bind 127.0.0.1:" + std::to_string(first.port())));
}

// A JSON route added before start (the detector's Falco /versions for falcoctl's follower).
TEST(OpsServer, ServesAJsonRoute) {
  Registry r;
  OpsServer server("127.0.0.1", 0, r, nullptr);
  server.serve_json("/versions", [] { return std::string(R"({"engine_version":"57"})"); });
  ASSERT_TRUE(server.start().ok());
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/versions");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body, R"({"engine_version":"57"})");
}

TEST(OpsServer, StartStopRepeatedlyDoesNotHang) {
  Registry r;
  for (int i = 0; i < 20; ++i) {
    OpsServer s("127.0.0.1", 0, r, nullptr);
    ASSERT_TRUE(s.start().ok());
  }
}

TEST(OpsServer, ReadyzBodyFormat) {
  bool ok = true;
  EXPECT_EQ(OpsServer::readyz_body({{"a", true, ""}, {"b", false, ""}}, &ok),
            "[+]a ok\n[-]b failed: reason withheld\nreadyz check failed\n");
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace riposte
