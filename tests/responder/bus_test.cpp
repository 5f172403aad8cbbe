// The consumer against a real nats-server with JetStream: at least once in, exactly one
// effect out, across replicas; retries, dead letters, cooldowns and rate limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "responder/dedup.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kKillShell[] = R"(
name: kill-shell
match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)";

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    auto c = nats::Connection::connect({.url = server_.url(), .name = "bus-test"});
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    ASSERT_TRUE(responder::ensure_streams(*conn_, {}).ok());
  }

  void publish(const Alert& a, const std::string& msg_id) {
    auto ack = conn_->js_publish(alert_subject(a), to_json(a), msg_id);
    ASSERT_TRUE(ack.ok()) << ack.error();
  }
  void publish_raw(const std::string& payload) {
    auto ack = conn_->js_publish("riposte.alerts.notice.raw", payload);
    ASSERT_TRUE(ack.ok()) << ack.error();
  }
  std::unique_ptr<InProcessResponder> responder(const std::string& playbooks,
                                                responder::ConsumerOptions o = {},
                                                int workers = 1, int rate_global = 0) {
    o.backoff_ms = {50};
    auto r = std::make_unique<InProcessResponder>(conn_.get(), playbooks, kube_, o, workers,
                                                  rate_global);
    EXPECT_EQ(r->error, "");
    return r;
  }
  std::vector<nlohmann::json> runs() {
    return read_stream(*conn_, responder::kActionStream, "riposte.actions.run.>");
  }

  NatsServer server_;
  std::unique_ptr<nats::Connection> conn_;
  FakeKube kube_;
};

TEST_F(BusTest, RedeliveredAndDuplicatedAlertsRunEachPlaybookOnceAcrossReplicas) {
  auto r1 = responder(kKillShell, {.replica = "r1"});
  auto r2 = responder(kKillShell, {.replica = "r2"});
  Alert a = make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1",
                       "06:51:02.123456789: Notice A shell (user=root)");
  // Three copies without an id (stored three times, same content key), one alert with an id
  // published twice (stored once).
  for (int i = 0; i < 3; ++i) publish(a, "");
  Alert b = make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-2", "b");
  publish(b, "alert-b");
  publish(b, "alert-b");
  r1->start();
  r2->start();
  auto handled = [&] {
    return r1->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) +
           r2->counter("riposte_responder_alerts_total", {{"outcome", "handled"}});
  };
  ASSERT_TRUE(eventually([&] { return handled() == 4; })) << handled();
  EXPECT_EQ(kube_.count("DELETE"), 2u);

  auto records = runs();
  ASSERT_EQ(records.size(), 2u);
  std::set<std::string> ids;
  for (const auto& rec : records) {
    ids.insert(rec["alert_id"].get<std::string>());
    EXPECT_EQ(rec["playbook"], "kill-shell");
    EXPECT_EQ(rec["outcome"], "succeeded");
    EXPECT_EQ(rec["requests_sent"], 1);
    EXPECT_EQ(rec["steps"][0]["requests"][0]["method"], "DELETE");
    EXPECT_TRUE(rec.contains("alert_to_action_ms"));
    EXPECT_TRUE(rec["replica"] == "r1" || rec["replica"] == "r2");
  }
  EXPECT_EQ(ids, (std::set<std::string>{responder::content_key(a), "alert-b"}));
  EXPECT_THAT(records[0]["steps"][0]["requests"][0]["path"].get<std::string>(),
              ::testing::StartsWith("/api/v1/namespaces/shop/pods/web-"));
}

TEST_F(BusTest, BadInputGoesToTheDeadLetterSubjectWithAReason) {
  auto r = responder(kKillShell);
  r->start();
  const std::string time = "\"time\":\"2026-11-24T06:51:02.123456789Z\"";
  publish_raw("{not json");
  publish_raw("{\"priority\":\"Notice\"," + time + "}");
  publish_raw("{\"rule\":5,\"priority\":\"Notice\"," + time + "}");
  publish_raw("{\"rule\":\"x\",\"priority\":\"Severe\"," + time + "}");
  publish_raw("{\"rule\":\"x\",\"priority\":\"Notice\"," + time + ",\"output\":\"" +
              std::string(1000000, 'a') + "\"}");
  publish_raw("{\"rule\":\"x\",\"priority\":\"Notice\"," + time +
              ",\"output_fields\":{\"k\":[1,2]}}");
  // And the consumer is still there for a good one.
  publish(make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "ok"), "");
  ASSERT_TRUE(eventually([&] { return kube_.count("DELETE") == 1; }));
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "dead_lettered"}}) == 6; }));
  auto dead = read_stream(*conn_, responder::kDeadLetterStream, kDeadLetterSubject);
  ASSERT_EQ(dead.size(), 6u);
  std::vector<std::string> reasons;
  for (const auto& d : dead) reasons.push_back(d["reason"]);
  EXPECT_THAT(reasons[0], HasSubstr("not valid JSON"));
  EXPECT_THAT(reasons[1], HasSubstr("missing field \"rule\""));
  EXPECT_THAT(reasons[2], HasSubstr("field \"rule\" must be a string"));
  EXPECT_THAT(reasons[3], HasSubstr("unknown priority \"Severe\""));
  EXPECT_THAT(reasons[4], HasSubstr("over the limit"));
  EXPECT_THAT(reasons[5], HasSubstr("must be a scalar"));
  EXPECT_GT(dead[4]["payload_bytes"].get<size_t>(), 1000000u);
  EXPECT_EQ(dead[4]["payload"].get<std::string>().size(), 4096u);
}

TEST_F(BusTest, TransientFailureIsRetriedThenSucceedsOnce) {
  kube_.respond = [](const kube::KubeRequest&, int n) -> Result<kube::KubeResponse> {
    if (n == 0) return kube::KubeResponse{503, "{}"};
    return kube::KubeResponse{200, "{}"};
  };
  auto r = responder(kKillShell);
  r->start();
  publish(make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "x"), "a1");
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) == 1; }));
  EXPECT_EQ(r->counter("riposte_responder_alerts_total", {{"outcome", "retried"}}), 1);
  EXPECT_EQ(kube_.count("DELETE"), 2u);
  auto records = runs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "succeeded");
  EXPECT_EQ(records[0]["alert"]["deliveries"], 2);
  EXPECT_EQ(records[0]["resumed_steps"], 0);
}

TEST_F(BusTest, ARunWhoseOwnerDiedIsTakenOverAndResumedAfterItsFinishedSteps) {
  constexpr char kTwoSteps[] = R"(
name: kill-shell
match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
steps:
  - {name: first, action: pod.delete, params: {grace_period_seconds: 0}}
  - {name: second, action: pod.delete, params: {grace_period_seconds: 1}}
)";
  auto r = std::make_unique<InProcessResponder>(conn_.get(), kTwoSteps, kube_,
                                                responder::ConsumerOptions{}, 1, 0, 0,
                                                /*lease_ms=*/300);
  ASSERT_EQ(r->error, "");
  // A replica that claimed the run, finished its first step and died (renews nothing).
  responder::RunLedger dead(r->alerts->buckets().runs.get(), "dead", 300);
  const std::string key = responder::run_key("a1", "kill-shell");
  auto claim = dead.claim(key);
  ASSERT_TRUE(claim.ok()) << claim.error();
  uint64_t revision = claim->revision;
  playbook::StepOutcome first{"first", "pod.delete", actions::ActionResult{}, {}, 1, 1};
  first.result.message = "deleted pod shop/web-1";
  ASSERT_TRUE(dead.progress(key, &revision, {first}).ok());

  r->start();
  publish(make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "x"), "a1");
  ASSERT_TRUE(eventually([&] {
    return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) == 1;
  }));
  // Only the second step ran: the first one's DELETE is not sent again.
  EXPECT_EQ(kube_.count("DELETE"), 1u);
  auto records = runs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "succeeded");
  EXPECT_EQ(records[0]["resumed_steps"], 1);
  EXPECT_EQ(records[0]["steps"][0]["message"], "deleted pod shop/web-1");
  // The dead owner, back, finds its lease gone.
  auto back = dead.progress(key, &revision, {first});
  ASSERT_FALSE(back.ok());
  EXPECT_TRUE(back.code() == ErrorCode::kWrongRevision) << back.error();
}

TEST_F(BusTest, GivesUpAfterMaxDeliveriesToTheDeadLetterSubject) {
  kube_.respond = [](const kube::KubeRequest&, int) -> Result<kube::KubeResponse> {
    return Error{"connection refused"};
  };
  auto r = responder(kKillShell, {.max_deliver = 3});
  r->start();
  publish(make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "x"), "a1");
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "dead_lettered"}}) == 1; }));
  EXPECT_EQ(kube_.count("DELETE"), 3u);
  auto dead = read_stream(*conn_, responder::kDeadLetterStream, kDeadLetterSubject);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(dead[0]["reason"].get<std::string>(),
              HasSubstr("gave up after 3 deliveries: kill-shell: pod.delete: deleting pod "
                        "shop/web-1: connection refused"));
  auto records = runs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "failed");
}

TEST_F(BusTest, StormOfIdenticalAlertsGivesOneActionAndOneSuppressionRecord) {
  auto r = responder(std::string(kKillShell) + "cooldown: 10m\n", {}, /*workers=*/4);
  constexpr int kStorm = 10000;
  Alert a = make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1",
                       "A shell was spawned");
  for (int i = 0; i < kStorm; ++i) {
    a.time_ns += 1000;  // the detector's id covers the time: every copy is a new alert
    publish(a, alert_dedup_key(a));
  }
  r->start();
  auto handled = [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}); };
  ASSERT_TRUE(eventually([&] { return handled() == kStorm; }, 240000)) << handled();
  EXPECT_EQ(kube_.count("DELETE"), 1u);
  EXPECT_EQ(r->counter("riposte_responder_suppressed_total",
                       {{"playbook", "kill-shell"}, {"reason", "cooldown"}}),
            kStorm - 1);
  auto records = runs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "succeeded");

  // Once the window is over (here: told it is), one record says how many were held back.
  const int64_t after_window = a.time_ns + 3600LL * 1000000000;
  r->alerts->cooldowns().sweep(
      [&](const nlohmann::json& w) {
        return responder::publish_window(r->alerts->audit(), w, "t").ok();
      },
      after_window);
  r->alerts->cooldowns().sweep(
      [&](const nlohmann::json& w) {
        return responder::publish_window(r->alerts->audit(), w, "t").ok();
      },
      after_window);
  auto summaries = read_stream(*conn_, responder::kActionStream, "riposte.actions.suppressed.>");
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0]["suppressed"], kStorm - 1);
  EXPECT_EQ(summaries[0]["playbook"], "kill-shell");
  EXPECT_EQ(summaries[0]["cooldown_target"], "pod/shop/web-1");
}

TEST_F(BusTest, RateLimitIsSharedByReplicas) {
  // Both replicas' limiters use the same fixed clock (bus_test_util): one window.
  auto r1 = responder(kKillShell, {.replica = "r1"}, 1, /*rate_global=*/3);
  auto r2 = responder(kKillShell, {.replica = "r2"}, 1, /*rate_global=*/3);
  for (int i = 0; i < 6; ++i) {
    publish(make_alert("Terminal shell in container", Priority::kNotice, "shop",
                       "web-" + std::to_string(i), "x" + std::to_string(i)),
            "");
  }
  r1->start();
  r2->start();
  ASSERT_TRUE(eventually([&] {
    return r1->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) +
               r2->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) ==
           6;
  }));
  EXPECT_EQ(kube_.count("DELETE"), 3u);
  int limited = 0;
  for (const auto& rec : runs()) {
    if (rec["outcome"] == "skipped") {
      ++limited;
      EXPECT_THAT(rec["steps"][0]["message"].get<std::string>(), HasSubstr("rate limit"));
    }
  }
  EXPECT_EQ(limited, 3);
}

TEST_F(BusTest, DryRunRecordsTheRequestsAndSendsNothing) {
  auto r = responder(kKillShell, {.dry_run = true}, 2);
  r->start();
  for (int i = 0; i < 50; ++i) {
    publish(make_alert("Terminal shell in container", Priority::kNotice, "shop",
                       "web-" + std::to_string(i), "x" + std::to_string(i)),
            "");
  }
  // Unmatched alerts are acknowledged and leave no record.
  publish(make_alert("Other rule", Priority::kNotice, "shop", "web-1", "y"), "");
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) == 50; }));
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "unmatched"}}) == 1; }));
  EXPECT_EQ(kube_.requests().size(), 0u);
  auto records = runs();
  ASSERT_EQ(records.size(), 50u);
  EXPECT_EQ(records[0]["outcome"], "dry-run");
  EXPECT_EQ(records[0]["requests_sent"], 0);
  EXPECT_EQ(records[0]["steps"][0]["requests"][0]["method"], "DELETE");
}

TEST_F(BusTest, DryRunDuplicatesInOneBatchGiveOneRun) {
  Alert a = make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "same");
  for (int i = 0; i < 3; ++i) publish(a, "");  // stored three times, one content key
  auto r = responder(kKillShell, {.dry_run = true});
  r->start();
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) == 3; }));
  EXPECT_EQ(r->counter("riposte_responder_playbook_runs_total",
                       {{"playbook", "kill-shell"}, {"outcome", "dry-run"}}),
            1);
  EXPECT_EQ(r->counter("riposte_responder_playbook_runs_total",
                       {{"playbook", "kill-shell"}, {"outcome", "duplicate"}}),
            2);
  EXPECT_EQ(runs().size(), 1u);
}

TEST_F(BusTest, UnrecordedAuditRecordIsRetriedNotAcknowledged) {
  // Enough deliveries to still be retrying when the stream is fixed.
  auto r = responder(kKillShell, {.dry_run = true, .max_deliver = 1000});
  // The audit stream stops taking run records: their batched publishes fail.
  ASSERT_TRUE(conn_->ensure_stream({.name = responder::kActionStream,
                                    .subjects = {"riposte.actions.suppressed.>"},
                                    .duplicate_window_ms = 10 * 60 * 1000})
                  .ok());
  r->start();
  publish(make_alert("Terminal shell in container", Priority::kNotice, "shop", "web-1", "z"), "");
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "retried"}}) >= 1; }));
  EXPECT_EQ(r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}), 0);
  // Taking them again, the redelivery records the run (the run record is already there).
  ASSERT_TRUE(responder::ensure_streams(*conn_, {}).ok());
  ASSERT_TRUE(eventually(
      [&] { return r->counter("riposte_responder_alerts_total", {{"outcome", "handled"}}) == 1; }));
  EXPECT_EQ(runs().size(), 1u);
}

}  // namespace
}  // namespace riposte::testing
