// audit/receiver.cpp with real TLS on loopback, in process: the API server's client
// certificate admits a batch, which is evaluated against Falco's k8s_audit rules
// (../shared/falco-rules) and reaches the output; everything else is refused with its reason
// and counted.
#include "audit/receiver.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <mutex>

#include "tests/detector/rules/rules_test_util.h"
#include "tests/support/audit_samples.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

namespace riposte::audit {
namespace {

namespace samples = riposte::testing::audit;
using riposte::testing::eventually;
using riposte::testing::TempDir;

// Keeps the alerts; with hold(), emit() waits until release() (a slow output).
class CaptureSink : public detector::AlertSink {
 public:
  Status emit(const Alert& a) override {
    std::unique_lock<std::mutex> l(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(l, [&] { return !held_; });
    alerts_.push_back(a);
    return {};
  }
  void hold() {
    std::lock_guard<std::mutex> l(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> l(mu_);
    held_ = false;
    cv_.notify_all();
  }
  bool wait_entered(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(30), [&] { return entered_ >= n; });
  }
  std::vector<Alert> alerts() {
    std::lock_guard<std::mutex> l(mu_);
    return alerts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  size_t entered_ = 0;
  std::vector<Alert> alerts_;
};

class Webhook : public ::testing::Test {
 protected:
  void SetUp() override {
    detector::rules::LoadOptions lo;
    lo.rule_matching = detector::rules::RuleMatching::kAll;
    auto r = detector::rules::load_rules(
        {detector::rules::testing::corpus_file("k8s_audit_rules.yaml")}, lo);
    ASSERT_TRUE(r.ok()) << detector::rules::testing::errors_only(r);
    rules_ = std::move(r.ruleset);
    ca_ = riposte::testing::make_ca("riposte-audit-ca");
    auto server = riposte::testing::make_leaf(ca_, "riposte-audit", {"127.0.0.1"}, true);
    auto client = riposte::testing::make_leaf(ca_, "kube-apiserver", {}, false);
    auto rogue_ca = riposte::testing::make_ca("someone-else");
    auto rogue = riposte::testing::make_leaf(rogue_ca, "kube-apiserver", {}, false);
    opts_.host = "127.0.0.1";
    opts_.port = 0;
    opts_.cert_file = dir_.write("server.crt", server.cert_pem);
    opts_.key_file = dir_.write("server.key", server.key_pem);
    opts_.client_ca_file = dir_.write("ca.crt", ca_.cert_pem);
    client_crt_ = dir_.write("client.crt", client.cert_pem);
    client_key_ = dir_.write("client.key", client.key_pem);
    rogue_crt_ = dir_.write("rogue.crt", rogue.cert_pem);
    rogue_key_ = dir_.write("rogue.key", rogue.key_pem);
  }

  void start(size_t capacity = 1000) {
    evaluator_ = std::make_unique<Evaluator>(*rules_, &sink_, "audit-test", capacity, &metrics_);
    receiver_ = std::make_unique<Receiver>(opts_, evaluator_.get(), &metrics_);
    ASSERT_TRUE(receiver_->start().ok());
  }
  void TearDown() override {
    sink_.release();
    if (receiver_) receiver_->stop();
    evaluator_.reset();
  }

  // POSTs body with the given client certificate ("" for none).
  httplib::Result post(const std::string& body, const std::string& crt, const std::string& key) {
    auto cli = crt.empty()
                   ? std::make_unique<httplib::SSLClient>("127.0.0.1", receiver_->port())
                   : std::make_unique<httplib::SSLClient>("127.0.0.1", receiver_->port(), crt, key);
    cli->set_ca_cert_path(opts_.client_ca_file.c_str());
    cli->enable_server_certificate_verification(true);
    return cli->Post(opts_.path, body, "application/json");
  }
  httplib::Result post(const std::string& body) { return post(body, client_crt_, client_key_); }

  double rejected(const std::string& reason) { return metrics_.rejected_request(reason).value(); }

  TempDir dir_;
  riposte::testing::TestCert ca_;
  std::unique_ptr<detector::rules::Ruleset> rules_;
  ReceiverOptions opts_;
  std::string client_crt_, client_key_, rogue_crt_, rogue_key_;
  Registry registry_;
  AuditMetrics metrics_{registry_};
  CaptureSink sink_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<Receiver> receiver_;
};

TEST_F(Webhook, TheApiServersBatchBecomesFalcoAlerts) {
  start();
  auto res = post(samples::event_list({samples::privileged_pod_create("shop", "p1", "mallory"),
                                       samples::pod_exec("shop", "web-1", "bob"),
                                       samples::routine_list("kube-system")})
                      .dump());
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["accepted"], 3);
  auto has = [&](const std::string& rule) {
    for (const auto& a : sink_.alerts())
      if (a.rule == rule) return true;
    return false;
  };
  ASSERT_TRUE(eventually([&] { return has("Create Privileged Pod") && has("Attach/Exec Pod"); }));
  for (const auto& a : sink_.alerts()) {
    EXPECT_EQ(a.source, "k8s_audit");
    EXPECT_EQ(a.hostname, "audit-test");
    if (a.rule == "Attach/Exec Pod") {
      EXPECT_EQ(a.output_fields["ka.user.name"], "bob");
      EXPECT_EQ(a.output_fields["ka.target.name"], "web-1");
      EXPECT_EQ(a.output_fields["ka.target.namespace"], "shop");
    }
  }
  EXPECT_TRUE(eventually([&] { return metrics_.evaluated.value() == 3; }));
  EXPECT_EQ(metrics_.batches.value(), 1);
}

TEST_F(Webhook, WithoutAClientCertificateItIsRefusedAndCounted) {
  start();
  const std::string body =
      samples::event_list({samples::privileged_pod_create("shop", "p")}).dump();
  auto none = post(body, "", "");
  ASSERT_TRUE(none) << httplib::to_string(none.error());
  EXPECT_EQ(none->status, 401);
  EXPECT_NE(none->body.find("client_cert"), std::string::npos) << none->body;
  auto rogue = post(body, rogue_crt_, rogue_key_);
  ASSERT_TRUE(rogue) << httplib::to_string(rogue.error());
  EXPECT_EQ(rogue->status, 401);
  EXPECT_EQ(rejected("client_cert"), 2);
  EXPECT_EQ(metrics_.events.value(), 0);
  // The API server's certificate is still admitted after them.
  auto ok = post(body);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Webhook, OnlyTheAllowedClientNames) {
  opts_.allowed_clients = {"system:kube-apiserver-audit"};
  start();
  auto res = post(samples::event_list({samples::routine_list("shop")}).dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_NE(res->body.find("kube-apiserver"), std::string::npos) << res->body;
  EXPECT_EQ(rejected("client_name"), 1);
}

TEST_F(Webhook, BadBodiesAreRefusedWithTheirReason) {
  opts_.max_body_bytes = 64 * 1024;
  start();
  auto junk = post("{\"kind\":\"EventList\",\"items\":[{");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
  EXPECT_EQ(nlohmann::json::parse(junk->body)["reason"], "malformed");
  auto pod = post(R"({"kind":"Pod"})");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->status, 400);
  EXPECT_EQ(nlohmann::json::parse(pod->body)["reason"], "not_event_list");
  auto big = post(std::string(128 * 1024, ' '));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(rejected("malformed"), 1);
  EXPECT_EQ(rejected("not_event_list"), 1);
  EXPECT_TRUE(eventually([&] { return rejected("too_large") == 1; }));
  // A list with one bad item: the good one goes on, the bad one is named.
  auto mixed = post(samples::event_list({samples::pod_exec("shop", "w"), "not an event"}).dump());
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 200);
  auto answer = nlohmann::json::parse(mixed->body);
  EXPECT_EQ(answer["accepted"], 1);
  EXPECT_EQ(answer["skipped"][0]["reason"], "malformed_event");
  EXPECT_EQ(metrics_.skipped_event("malformed_event").value(), 1);
}

// Issue 16: a member audit.k8s.io/v1 Event does not have. Warn (as shipped) keeps the event
// and counts the member; Strict skips that event with its reason and keeps the others.
TEST_F(Webhook, UnknownMembersAreCountedOrRefusedAsFieldValidationSays) {
  auto odd = samples::pod_exec("shop", "odd");
  odd["futureField"] = {{"x", 1}};
  const std::string body = samples::event_list({odd, samples::pod_exec("shop", "w")}).dump();
  start();
  auto warned = post(body);
  ASSERT_TRUE(warned);
  EXPECT_EQ(warned->status, 200);
  EXPECT_EQ(nlohmann::json::parse(warned->body)["accepted"], 2);
  EXPECT_EQ(metrics_.unknown_members.value(), 1);
  receiver_->stop();
  opts_.limits.unknown_members = FieldValidation::kStrict;
  receiver_ = std::make_unique<Receiver>(opts_, evaluator_.get(), &metrics_);
  ASSERT_TRUE(receiver_->start().ok());
  auto strict = post(body);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->status, 200);
  auto answer = nlohmann::json::parse(strict->body);
  EXPECT_EQ(answer["accepted"], 1);
  EXPECT_EQ(answer["skipped"][0]["reason"], "unknown_field");
  EXPECT_THAT(answer["skipped"][0]["message"].get<std::string>(),
              ::testing::HasSubstr("futureField"));
  EXPECT_EQ(metrics_.skipped_event("unknown_field").value(), 1);
}

TEST_F(Webhook, AFullQueueRefusesTheBatchAndLosesNothingQueued) {
  start(/*capacity=*/1);
  sink_.hold();  // the output stalls on the first alert
  auto first = post(samples::event_list({samples::privileged_pod_create("shop", "p1")}).dump());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  ASSERT_TRUE(sink_.wait_entered(1));  // being evaluated, still counted in the queue
  auto second = post(samples::event_list({samples::privileged_pod_create("shop", "p2")}).dump());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429) << second->body;
  EXPECT_EQ(nlohmann::json::parse(second->body)["reason"], "queue_full");
  EXPECT_EQ(rejected("queue_full"), 1);
  sink_.release();
  ASSERT_TRUE(evaluator_->drain(30000));
  // The retry (as the API server does) is taken once there is room.
  auto retry = post(samples::event_list({samples::privileged_pod_create("shop", "p2")}).dump());
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 200);
  ASSERT_TRUE(evaluator_->drain(30000));
  std::set<std::string> pods;
  for (const auto& a : sink_.alerts())
    if (a.rule == "Create Privileged Pod") pods.insert(a.output_fields["ka.resp.name"]);
  EXPECT_EQ(pods, (std::set<std::string>{"p1", "p2"}));
}

}  // namespace
}  // namespace riposte::audit
