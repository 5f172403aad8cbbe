// The NATS configuration riposte ships, as deploy/local/cluster.sh runs it (fixture `cluster`):
// TLS, one user per component with the subject permissions of
// deploy/helm/riposte/files/nats-permissions.conf (the file the Helm chart and the kustomize
// base use too), nobody else. Every test uses the cluster's own config and credentials, never
// a server the test configured. Negative checks end with a positive event that proves them:
// the server has processed the refused request (a flush round trip) and a later legitimate
// write or alert is visible, while the forged one is not.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/nats.h"
#include "common/node_action.h"
#include "responder/bus.h"
#include "responder/bus_guard.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/responder/bus_test_util.h"
#include "tests/support/local_cluster.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

class ShippedNatsAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(load_local_cluster(&cluster_));
    ASSERT_EQ(cluster_.nats_url.rfind("tls://", 0), 0u) << cluster_.nats_url;
    tag_ = std::to_string(getpid());
    // What the responder does at start, with its shipped rights: streams and buckets.
    responder_ = connect("responder", "nats-auth-test-responder");
    ASSERT_NE(responder_, nullptr);
    ASSERT_TRUE(eventually([&] { return responder::ensure_streams(*responder_, {}).ok(); }, 30000));
    auto b = responder::open_buckets(*responder_, {});
    ASSERT_TRUE(b.ok()) << b.error();
    buckets_ = std::move(*b);
    detector_ = connect("detector", "nats-auth-test-detector");
    ASSERT_NE(detector_, nullptr);
  }

  std::unique_ptr<nats::Connection> connect(const std::string& component, const std::string& name) {
    nats::Options o = cluster_.nats_options(component, name);
    o.max_reconnect = 0;
    o.timeout_ms = 2000;  // refused requests get no answer: each one costs this long
    auto c = nats::Connection::connect(o);
    EXPECT_TRUE(c.ok()) << component << ": " << c.error();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The server's JetStream inventory (streams and consumers of every account), from its
  // monitoring port.
  std::string jsz() {
    const std::string mon = cluster_.env["RIPOSTE_NATS_MONITOR"];
    httplib::Client http(mon);
    auto res = http.Get("/jsz?accounts=true&streams=true&consumers=true&config=true");
    EXPECT_TRUE(res && res->status == 200) << mon;
    return res ? res->body : "";
  }

  LocalCluster cluster_;
  std::string tag_;
  std::unique_ptr<nats::Connection> responder_, detector_;
  responder::Buckets buckets_;
};

TEST_F(ShippedNatsAuth, ClientsWithoutValidCredentialsCannotConnect) {
  nats::Options anon{.url = cluster_.nats_url,
                     .name = "anonymous",
                     .ca_file = cluster_.nats_ca,
                     .max_reconnect = 0,
                     .timeout_ms = 2000};
  auto c = nats::Connection::connect(anon);
  EXPECT_FALSE(c.ok()) << "a client without credentials got in";

  nats::Options wrong = cluster_.nats_options("detector", "wrong-password");
  wrong.password_file.clear();
  wrong.password = "not-the-password";
  wrong.max_reconnect = 0;
  c = nats::Connection::connect(wrong);
  EXPECT_FALSE(c.ok()) << "a wrong password got in";

  // The right password over plain TCP: the server requires TLS, so it is never sent in clear.
  nats::Options plain = cluster_.nats_options("detector", "plaintext");
  plain.url = "nats://" + cluster_.nats_url.substr(std::string("tls://").size());
  plain.ca_file.clear();
  plain.max_reconnect = 0;
  c = nats::Connection::connect(plain);
  EXPECT_FALSE(c.ok()) << "the server accepted a connection without TLS";

  // The right password to a server whose certificate does not carry the expected name: the
  // client refuses it (verification is on), so nothing is sent to an impostor.
  nats::Options impostor = cluster_.nats_options("detector", "wrong-name");
  impostor.tls_hostname = "not-the-nats-server.example";
  impostor.max_reconnect = 0;
  c = nats::Connection::connect(impostor);
  EXPECT_FALSE(c.ok()) << "a certificate for another name was accepted";

  // And the responder's own start-up check agrees: nobody anonymous can publish alerts.
  Status guard = responder::check_bus_closed_to_anonymous(cluster_.nats_options("responder", "g"));
  EXPECT_TRUE(guard.ok()) << guard.error();
}

TEST_F(ShippedNatsAuth, TheDetectorCannotWriteRunRecordsCooldownsOrRateWindows) {
  const std::string forged = "forged-" + tag_, marker = "marker-" + tag_;
  responder::Buckets& b = buckets_;
  for (nats::KeyValue* kv : {b.runs.get(), b.cooldowns.get(), b.rates.get()}) {
    SCOPED_TRACE(kv->bucket());
    // A pre-written "done" record would suppress the response to a real alert.
    auto ack = detector_->js_publish("$KV." + kv->bucket() + "." + forged, R"({"state":"done"})");
    EXPECT_FALSE(ack.ok()) << "the detector wrote to " << kv->bucket();
    // Nor may it read them (or bind to the bucket at all).
    EXPECT_FALSE(detector_->key_value(kv->bucket()).ok());
  }
  // The server has handled everything the detector sent before this round trip returns.
  ASSERT_TRUE(detector_->flush(5000).ok());
  for (nats::KeyValue* kv : {b.runs.get(), b.cooldowns.get(), b.rates.get()}) {
    SCOPED_TRACE(kv->bucket());
    ASSERT_TRUE(kv->put(marker, "legitimate").ok());
    auto m = kv->get(marker);
    ASSERT_TRUE(m.ok() && m->has_value()) << "the legitimate write is not there";
    auto f = kv->get(forged);
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_FALSE(f->has_value()) << "the detector's record is in " << kv->bucket();
    (void)kv->del(marker);
  }
}

TEST_F(ShippedNatsAuth, TheDetectorCannotConsumeAlertsNorCreateOrChangeStreams) {
  const std::string durable = "forged-" + tag_, stream = "FORGED_" + tag_;
  auto pull = detector_->pull_consumer(
      {.stream = kAlertStream, .durable = durable, .filter_subject = kAlertSubjects});
  EXPECT_FALSE(pull.ok()) << "the detector created a consumer on the alert stream";
  EXPECT_FALSE(
      detector_->ensure_stream({.name = stream, .subjects = {"forged." + tag_ + ".>"}}).ok())
      << "the detector created a stream";
  // Widening the alert stream to the run records' subjects would let alerts overwrite them.
  EXPECT_FALSE(detector_
                   ->ensure_stream(
                       {.name = kAlertStream, .subjects = {kAlertSubjects, "$KV.RIPOSTE_RUNS.>"}})
                   .ok())
      << "the detector changed the alert stream";
  // The JetStream API requests themselves, sent raw (what a hostile detector would send):
  // create a stream and a consumer, widen, purge or delete the alert stream.
  const std::vector<std::pair<std::string, std::string>> api = {
      {"$JS.API.STREAM.CREATE." + stream,
       R"({"name":")" + stream + R"(","subjects":["forged.)" + tag_ + R"(.>"]})"},
      {std::string("$JS.API.CONSUMER.DURABLE.CREATE.") + kAlertStream + "." + durable,
       std::string(R"({"stream_name":")") + kAlertStream + R"(","config":{"durable_name":")" +
           durable + R"(","ack_policy":"explicit"}})"},
      {std::string("$JS.API.STREAM.UPDATE.") + kAlertStream,
       std::string(R"({"name":")") + kAlertStream +
           R"(","subjects":["riposte.alerts.>","$KV.RIPOSTE_RUNS.>"]})"},
      {std::string("$JS.API.STREAM.PURGE.") + kAlertStream, "{}"},
      {std::string("$JS.API.STREAM.DELETE.") + kAlertStream, ""},
  };
  for (const auto& [subject, body] : api) {
    ASSERT_TRUE(detector_->publish(subject, body).ok()) << subject;
  }
  // A plain subscription to the alert subjects is refused by the server (asynchronously: the
  // flush's round trip brings the refusal back).
  auto sub = detector_->subscribe(kAlertSubjects, "", [](nats::Message&&) {});
  ASSERT_TRUE(detector_->flush(5000).ok());
  EXPECT_NE(detector_->last_error().find("Permissions Violation for Subscription"),
            std::string::npos)
      << "subscribing to the alert subjects was not refused: " << detector_->last_error();

  // The server's own inventory, read after that round trip (the server has handled all of the
  // above): the alert stream as the responder made it, nothing of the detector's.
  const auto inventory = nlohmann::json::parse(jsz(), nullptr, false);
  ASSERT_TRUE(inventory.is_object());
  bool alert_stream = false;
  for (const auto& account : inventory.value("account_details", nlohmann::json::array())) {
    for (const auto& st : account.value("stream_detail", nlohmann::json::array())) {
      const std::string name = st.value("name", "");
      EXPECT_NE(name, stream) << "the detector created a stream";
      if (name != kAlertStream) continue;
      alert_stream = true;
      EXPECT_EQ(st["config"]["subjects"], nlohmann::json::array({kAlertSubjects}))
          << "the alert stream's subjects changed";
      for (const auto& c : st.value("consumer_detail", nlohmann::json::array())) {
        EXPECT_NE(c.value("name", ""), durable) << "the detector created a consumer";
      }
    }
  }
  EXPECT_TRUE(alert_stream) << "the alert stream is gone";
}

// Node actions (common/node_action.h): only the responder's credentials may ask a node to act;
// the detector may receive the requests and answer each one on its reply subject, nothing
// more. The forged requests end with a legitimate one the detector receives and answers: the
// server had handled the forgeries by then, and they never reached the subscriber.
TEST_F(ShippedNatsAuth, OnlyTheResponderMayAskANodeToActAndTheDetectorOnlyAnswers) {
  const std::string subject = *node_action_subject("nats-auth-test-" + tag_);
  std::mutex mu;
  std::vector<std::string> received;
  nats::Connection* detector = detector_.get();
  auto sub = detector_->subscribe(subject, "", [&](nats::Message&& m) {
    {
      std::lock_guard lock(mu);
      received.emplace_back(m.data());
    }
    if (!m.reply().empty())
      (void)detector->publish(std::string(m.reply()), "answer:" + std::string(m.data()));
  });
  ASSERT_TRUE(sub.ok()) << sub.error();
  ASSERT_TRUE(detector_->flush(5000).ok());
  EXPECT_EQ(detector_->last_error(), "") << "the detector may not subscribe to node actions";

  // Another holder of the detector's credentials (any node's detector) cannot send a request.
  auto forger = connect("detector", "nats-auth-test-forger");
  ASSERT_NE(forger, nullptr);
  ASSERT_TRUE(forger->publish(subject, "forged-by-a-detector").ok());
  ASSERT_TRUE(forger->flush(5000).ok());
  EXPECT_NE(forger->last_error().find("Permissions Violation for Publish"), std::string::npos)
      << "a detector sent a node action request: " << forger->last_error();
  // Nor may a detector answer what it was not asked: a reply subject of its own choosing.
  const std::string inbox = std::string(kResponderInboxPrefix) + ".forged-" + tag_;
  ASSERT_TRUE(forger->publish(inbox, "forged-reply").ok());
  ASSERT_TRUE(forger->flush(5000).ok());
  EXPECT_NE(forger->last_error().find(inbox), std::string::npos)
      << "a detector published on the responder's inbox: " << forger->last_error();

  // The responder's request arrives and its answer comes back (allow_responses).
  auto answer = responder_->request(subject, "legitimate-" + tag_, 5000);
  ASSERT_TRUE(answer.ok()) << answer.error();
  EXPECT_EQ(*answer, "answer:legitimate-" + tag_);
  std::lock_guard lock(mu);
  EXPECT_EQ(received, std::vector<std::string>{"legitimate-" + tag_});
}

// An alert forged by someone who can reach NATS but has no credentials (or a wrong password,
// or tries without TLS) does nothing: a real responder with its shipped credentials runs a
// pod.delete playbook against the local API server; a later legitimate alert, published with
// the detector's credentials, deletes its pod, and only then is the forged alert's pod
// checked: still there, same uid, and no alert for it in the stream.
TEST_F(ShippedNatsAuth, AForgedAlertWithoutRightsDoesNothing) {
  const std::string ns = "nats-auth-" + tag_;
  std::string err = create_namespace(cluster_, ns);
  ASSERT_TRUE(err.empty()) << err;
  struct Cleanup {
    LocalCluster& c;
    std::string ns;
    ~Cleanup() { kubectl(c, "delete namespace " + ns + " --wait=false"); }
  } cleanup{cluster_, ns};
  int rc = 0;
  for (const char* pod : {"victim", "marker"}) {
    std::string out = kubectl(cluster_, "-n " + ns + " run " + pod + " --image=nginx:1.27", &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  auto uid = [&](const std::string& pod) {
    return trim(kubectl(cluster_, "-n " + ns + " get pod " + pod +
                                      " --ignore-not-found -o jsonpath={.metadata.uid}"));
  };
  const std::string victim_uid = uid("victim"), marker_uid = uid("marker");
  ASSERT_FALSE(victim_uid.empty());
  ASSERT_FALSE(marker_uid.empty());

  const std::string dir = make_temp_dir("nats-auth-forged");
  std::filesystem::create_directories(dir + "/playbooks");
  std::ofstream(dir + "/playbooks/delete-shell-pods.yaml") << R"(
name: delete-shell-pods
match: {rules: ["Terminal shell in container"], namespaces: [")" + ns +
                                                                  R"("]}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)";
  std::unique_ptr<Subprocess> responder = start_responder_as(
      {.dir = dir, .playbooks = dir + "/playbooks", .kubeconfig = cluster_.kubeconfig},
      cluster_.nats_flags("responder"), ns, {"--durable", "nats-auth-" + tag_});
  ASSERT_NE(responder, nullptr);

  auto alert_for = [&](const std::string& pod) {
    Alert a = numbered_alert(0);
    a.output = "A shell was spawned in a container (ns=" + ns + " pod=" + pod + ")";
    a.output_fields["k8s.ns.name"] = ns;
    a.output_fields["k8s.pod.name"] = pod;
    return a;
  };
  const Alert forged = alert_for("victim");
  std::vector<nats::Options> attackers;
  attackers.push_back({.url = cluster_.nats_url, .name = "forger", .ca_file = cluster_.nats_ca});
  nats::Options wrong = cluster_.nats_options("detector", "forger");
  wrong.password_file.clear();
  wrong.password = "guessed";
  attackers.push_back(wrong);
  nats::Options plain{.url = "nats://" + cluster_.nats_url.substr(6), .name = "forger"};
  attackers.push_back(plain);
  for (nats::Options o : attackers) {
    o.max_reconnect = 0;
    o.timeout_ms = 2000;
    auto c = nats::Connection::connect(o);
    if (!c.ok()) continue;  // refused: nothing can be sent
    auto ack = (*c)->js_publish(alert_subject(forged), to_json(forged), alert_dedup_key(forged));
    EXPECT_FALSE(ack.ok()) << "a client without rights (" << o.url << ", user '" << o.user
                           << "') stored an alert";
    (void)(*c)->flush(2000);
  }

  // The legitimate marker, after the forgeries: once its pod is gone the responder has
  // handled everything the stream held before it.
  auto publisher = connect("detector", "nats-auth-test-marker");
  ASSERT_NE(publisher, nullptr);
  publish_until_stored(*publisher, alert_for("marker"));
  EXPECT_TRUE(eventually([&] { return uid("marker") != marker_uid; }, 60000))
      << "the legitimate alert was not acted on:\n"
      << responder->log_tail();
  EXPECT_EQ(uid("victim"), victim_uid) << "the forged alert deleted its pod";
  for (const auto& j : read_stream(*responder_, kAlertStream, kAlertSubjects)) {
    EXPECT_NE(j.value("output", ""), forged.output) << "the forged alert is in the stream";
  }
  responder->stop();
}

}  // namespace
}  // namespace riposte::testing

namespace riposte::testing {
namespace {

// riposte-audit's user (RIPOSTE_AUDIT_PERMISSIONS): publishes alerts like the detector, and
// is refused everything else; the refusals are proved by a later round trip and the state
// the responder reads after it.
TEST_F(ShippedNatsAuth, TheAuditReceiverPublishesAlertsAndNothingElse) {
  auto audit = connect("audit", "nats-auth-test-audit");
  ASSERT_NE(audit, nullptr);
  Alert a;
  a.rule = "Create Privileged Pod";
  a.priority = Priority::kWarning;
  a.source = "k8s_audit";
  a.time_ns = 1796315893123456000 + getpid();
  a.hostname = "riposte-audit-" + tag_;
  a.output = "Pod started with privileged container";
  auto ack = audit->js_publish(alert_subject(a), to_json(a), alert_dedup_key(a));
  EXPECT_TRUE(ack.ok()) << "riposte-audit could not publish an alert: " << ack.error();

  const std::string forged = "forged-audit-" + tag_;
  EXPECT_FALSE(audit->js_publish("$KV.RIPOSTE_RUNS." + forged, R"({"state":"done"})").ok());
  EXPECT_FALSE(audit->js_publish("riposte.actions." + forged, "{}").ok());
  EXPECT_FALSE(
      audit
          ->pull_consumer(
              {.stream = kAlertStream, .durable = forged, .filter_subject = kAlertSubjects})
          .ok());
  EXPECT_FALSE(
      audit->ensure_stream({.name = "FORGED_AUDIT_" + tag_, .subjects = {"forged." + tag_ + ".>"}})
          .ok());
  auto sub = audit->subscribe(kAlertSubjects, "", [](nats::Message&&) {});
  ASSERT_TRUE(audit->flush(5000).ok());
  EXPECT_NE(audit->last_error().find("Permissions Violation for Subscription"), std::string::npos)
      << "riposte-audit may read alerts: " << audit->last_error();
  // After that round trip the server has handled everything: no forged run record.
  auto f = buckets_.runs->get(forged);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_FALSE(f->has_value()) << "riposte-audit wrote a run record";
  EXPECT_EQ(jsz().find("FORGED_AUDIT_" + tag_), std::string::npos) << "riposte-audit made a stream";
}

}  // namespace
}  // namespace riposte::testing
