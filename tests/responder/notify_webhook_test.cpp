// notify.webhook against a real HTTP server on loopback: Slack and Teams bodies, and that a
// failing or hanging webhook is a bounded "failed" step, never an exception.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/responder/action_test_util.h"

namespace riposte::actions {
namespace {

using testing::run_action;
using ::testing::HasSubstr;
using ::testing::StrictMock;
using json = nlohmann::json;

class WebhookServer {
 public:
  WebhookServer() {
    server_.Post("/hook/secret", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
        content_type_ = req.get_header_value("Content-Type");
      }
      {
        // A held request is answered only once the test releases it (or after a minute).
        std::unique_lock<std::mutex> lock(mu_);
        release_cv_.wait_for(lock, std::chrono::seconds(60), [this] { return !hold_; });
        ++answered_;
      }
      res.status = status_;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost, and the destructor would wait forever.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~WebhookServer() {
    release();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook/secret"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::string content_type() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_type_;
  }
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    release_cv_.notify_all();
  }
  int answered() {
    std::lock_guard<std::mutex> lock(mu_);
    return answered_;
  }
  int status_ = 200;

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::condition_variable release_cv_;
  bool hold_ = false;
  int answered_ = 0;
  std::string content_type_;
};

Alert hostile_alert() {
  Alert a = testing::shell_alert();
  a.output = "shell <!channel> <https://evil.example|click> & more\n" + std::string(3000, 'x');
  a.output_fields["k8s.pod.name"] = "web-1\nFAKE: fact";
  a.hostname = "node-a";
  return a;
}

TEST(NotifyWebhookTest, PostsASlackMessage) {
  WebhookServer server;
  StrictMock<testing::MockKubeClient> kube;  // a notification never talks to Kubernetes
  ActionResult r = run_action("notify.webhook", "{url: '" + server.url() + "'}", kube, hostile_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  const std::string origin = server.url().substr(0, server.url().find("/hook"));
  EXPECT_EQ(r.message, "notified " + origin + "/…");  // the secret path is never shown
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(server.content_type(), "application/json");
  json body = json::parse(server.bodies()[0]);
  std::string text = body["text"];
  EXPECT_THAT(text, HasSubstr("riposte: Terminal shell in container"));
  EXPECT_THAT(text, HasSubstr("shell &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more"));
  EXPECT_EQ(text.find("<!channel>"), std::string::npos);
  EXPECT_LT(text.size(), 2500u);
  ASSERT_TRUE(body["blocks"].is_array());
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  EXPECT_EQ(body["blocks"][2]["fields"][1]["text"], "*Namespace*\nshop");
  EXPECT_EQ(body["blocks"][2]["fields"][2]["text"], "*Pod*\nweb-1 FAKE: fact");
  EXPECT_EQ(r.requests.at(0).path, origin + "/…");
}

TEST(NotifyWebhookTest, PostsTeamsCards) {
  WebhookServer server;
  StrictMock<testing::MockKubeClient> kube;
  ActionResult r = run_action("notify.webhook",
                              "{url: '" + server.url() + "', format: teams, text: 'pod deleted'}",
                              kube, hostile_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  r = run_action("notify.webhook", "{url: '" + server.url() + "', format: messagecard}", kube,
                 hostile_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  ASSERT_EQ(server.bodies().size(), 2u);
  json teams = json::parse(server.bodies()[0]);
  EXPECT_EQ(teams["type"], "message");
  const json& att = teams["attachments"][0];
  EXPECT_EQ(att["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(att["content"]["type"], "AdaptiveCard");
  EXPECT_EQ(att["content"]["body"][1]["text"], "pod deleted");
  EXPECT_EQ(att["content"]["body"][2]["facts"][0],
            json::parse(R"({"title":"Priority","value":"Notice"})"));
  json card = json::parse(server.bodies()[1]);
  EXPECT_EQ(card["@type"], "MessageCard");
  EXPECT_EQ(card["title"], "riposte: Terminal shell in container");
}

TEST(NotifyWebhookTest, FailuresAreBoundedFailedStepsAndDryRunSendsNothing) {
  StrictMock<testing::MockKubeClient> kube;
  {
    WebhookServer server;
    server.status_ = 500;
    ActionResult r = run_action("notify.webhook", "{url: '" + server.url() + "'}", kube,
                                testing::shell_alert());
    EXPECT_EQ(r.status, ActionResult::kFailed);
    EXPECT_FALSE(r.retryable);
    EXPECT_THAT(r.message, HasSubstr("answered 500"));
    EXPECT_EQ(r.message.find("secret"), std::string::npos);

    r = run_action("notify.webhook", "{url: '" + server.url() + "'}", kube,
                   testing::shell_alert(), /*dry_run=*/true);
    EXPECT_EQ(r.status, ActionResult::kDryRun);
    EXPECT_EQ(server.bodies().size(), 1u);
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(r.requests[0].method, "POST");

    // The server holds the request: the action must give up on its own timeout, i.e. return
    // while the server has still not answered.
    server.status_ = 200;
    server.hold();
    const int answered_before = server.answered();
    r = run_action("notify.webhook", "{url: '" + server.url() + "', timeout_seconds: 1}", kube,
                   testing::shell_alert());
    EXPECT_EQ(r.status, ActionResult::kFailed);
    EXPECT_EQ(server.answered(), answered_before) << "returned only after the server answered";
    server.release();
  }
  // Nothing listens there any more.
  std::string url;
  {
    WebhookServer gone;
    url = gone.url();
  }
  ActionResult r = run_action("notify.webhook", "{url: '" + url + "'}", kube, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
}

}  // namespace
}  // namespace riposte::actions
