// Exactly one effect under faults, with real effects: three riposte-responder processes share
// an R3 alert stream on a real 3-node NATS cluster and act, with no dry-run, on the real
// kube-apiserver of the local control plane through a fault-injecting proxy. The playbook has
// an idempotent step (a label PATCH, slowed by the proxy past the ack wait where a test wants
// a long step), a create (an Event with a name derived from the run) and a non-idempotent one
// (an eviction POST). Faults: kill -9 of a replica holding a run, several times; the proxy
// hanging requests, answering 429 and 500, and failing after forwarding; an API server
// restart; the loss of the NATS node leading the alert stream.
//
// Each test asserts from the stream and the API server's audit log: every alert
// acknowledged; exactly one run record per alert, and no second run (its record would have
// the same id, so the stream would drop it: a core subscription sees it); no live owner's run
// taken over; exactly one eviction sent per pod, exactly
// one Event created per pod (a second create may only have been refused with 409), and label
// patches repeated only where they changed nothing (the pod's resourceVersion stayed).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "responder/audit.h"
#include "responder/bus.h"
#include "responder/dedup.h"
#include "responder/run_ledger.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/responder/cluster_fixture.h"
#include "tests/support/apiserver_audit.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/nats_cluster.h"

namespace riposte::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Fault = FaultProxy::Fault;
constexpr const char* kRule = "Chaos test";
constexpr const char* kResponderUser = "system:serviceaccount:riposte:riposte-responder";

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Run records as published (a core subscription: for waiting and timing only; the
// assertions read the stream) and the latest run-ledger record of each run.
class Observer {
 public:
  explicit Observer(nats::Connection& conn) {
    auto runs = conn.subscribe("riposte.actions.run.>", "", [this](nats::Message&& m) {
      auto j = nlohmann::json::parse(m.data(), nullptr, false);
      if (!j.is_object()) return;
      std::lock_guard<std::mutex> lock(mu_);
      seen_.emplace(j.value("id", ""), Clock::now());
    });
    auto ledger = conn.subscribe(
        std::string("$KV.") + responder::kRunsBucket + ".>", "", [this](nats::Message&& m) {
          auto j = nlohmann::json::parse(m.data(), nullptr, false);
          if (!j.is_object()) return;
          std::lock_guard<std::mutex> lock(mu_);
          const std::string subject(m.subject());
          const std::string owner = j.value("owner", "");
          auto& prev = ledger_[subject];
          if (j.value("state", "") == "running" && !owner.empty() && prev.is_object() &&
              prev.value("owner", "") != owner) {
            taken_.emplace(subject.substr(subject.rfind('.') + 1), Clock::now());
          }
          prev = j;
        });
    auto kv = conn.key_value(responder::kRunsBucket);  // made by ensure_streams before
    EXPECT_TRUE(runs.ok() && ledger.ok() && kv.ok());
    if (kv.ok()) runs_ = std::move(*kv);
    if (runs.ok()) subs_.push_back(std::move(*runs));
    if (ledger.ok()) subs_.push_back(std::move(*ledger));
    (void)conn.flush(2000);
  }
  size_t recorded() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }
  std::optional<Clock::time_point> recorded_at(const std::string& run_key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seen_.find(run_key);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }
  // When another replica took run_key over (its first record under the new owner).
  std::optional<Clock::time_point> taken_over_at(const std::string& run_key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = taken_.find(run_key);
    if (it == taken_.end()) return std::nullopt;
    return it->second;
  }
  // A run some replica in `live` holds right now (owner and run key), if any. The core
  // subscription also delivers ledger writes the stream refused (a takeover that lost its
  // CAS): each candidate is confirmed by the bucket itself before it is believed.
  std::optional<std::pair<std::string, std::string>> running(const std::set<std::string>& live) {
    std::vector<std::pair<std::string, std::string>> candidates;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [subject, rec] : ledger_) {
        if (rec.value("state", "") != "running" || rec.value("released", false)) continue;
        if (live.count(rec.value("owner", "")) == 0) continue;
        candidates.emplace_back(rec.value("owner", ""), subject.substr(subject.rfind('.') + 1));
      }
    }
    for (const auto& c : candidates) {
      auto got = runs_->get(c.second);
      if (!got.ok() || !got->has_value()) continue;
      auto j = nlohmann::json::parse((*got)->value, nullptr, false);
      if (j.is_object() && j.value("state", "") == "running" && !j.value("released", false) &&
          j.value("owner", "") == c.first)
        return c;
    }
    return std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Clock::time_point> seen_;
  std::map<std::string, nlohmann::json> ledger_;
  std::map<std::string, Clock::time_point> taken_;
  std::vector<std::unique_ptr<nats::Subscription>> subs_;
  std::unique_ptr<nats::KeyValue> runs_;
};

class ExactlyOnceChaos : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    audit_log_ = cluster_.env["RIPOSTE_APISERVER_AUDIT_LOG"];
    ASSERT_FALSE(audit_log_.empty()) << "the local cluster runs without an audit log";
    ASSERT_TRUE(nats_.start());
    nats::Options o = shipped_auth_options(nats_.urls(), "riposte-test", "chaos-test");
    o.reconnect_wait_ms = 100;
    auto c = nats::Connection::connect(o);
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    Status st = Error{"not tried"};
    ASSERT_TRUE(::riposte::testing::eventually(
        [&] { return (st = responder::ensure_streams(*conn_, {.replicas = 3})).ok(); }, 60000))
        << st.error();
    observer_ = std::make_unique<Observer>(*conn_);
    watcher_ = std::make_unique<AuditWatcher>(*conn_);
    proxy_ = std::make_unique<FaultProxy>(cluster_.server, cluster_.ca_file);
    ASSERT_TRUE(proxy_->start());

    setup_.dir = make_temp_dir("riposte-chaos");
    setup_.playbooks = setup_.dir + "/playbooks";
    std::filesystem::create_directories(setup_.playbooks);
    // Each step is bounded: a hung request is given up after 4 s and the step retried.
    std::ofstream(setup_.playbooks + "/contain.yaml") << R"(
name: chaos-contain
match: {rules: ["Chaos test"], priority: ">=Notice"}
steps:
  - {name: mark, action: pod.label, timeout: 6s, params: {labels: {riposte.dev/chaos: contained}}}
  - {name: record, action: event.create, timeout: 4s, params: {reason: RiposteChaos}}
  - {name: evict, action: pod.evict, timeout: 4s, params: {allow_last_replica: true}}
)";
    std::ofstream(setup_.dir + "/proxy-ca.crt") << proxy_->ca_pem();
    setup_.kubeconfig = setup_.dir + "/kubeconfig";
    std::ofstream(setup_.kubeconfig)
        << "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \""
        << proxy_->url() << "\", certificate-authority: " << setup_.dir << "/proxy-ca.crt}}]\n"
        << "users: [{name: u, user: {token: \"" << responder_config_.token << "\"}}]\n"
        << "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  }

  void TearDown() override {
    for (auto& [name, p] : responders_) {
      if (p) p->stop();
    }
    ClusterFixture::TearDown();
  }

  void start(const std::string& name) {
    auto p = start_responder(
        setup_, nats_.urls(), name,
        // Back-off long enough for deliveries to outlast an API server restart.
        {"--stream-replicas", "3", "--max-deliver", "30", "--nak-backoff", "200ms,500ms,1s,2s"});
    ASSERT_NE(p, nullptr);
    responders_[name] = std::move(p);
  }
  std::set<std::string> live() const {
    std::set<std::string> out;
    for (const auto& [name, p] : responders_) {
      if (p) out.insert(name);
    }
    return out;
  }

  // Pods victim-<from>..victim-<to-1>, then one alert about each.
  void pods(int from, int to) {
    for (int i = from; i < to; ++i) ASSERT_FALSE(create_pod("victim-" + std::to_string(i)).empty());
  }
  Alert make(int i) {
    Alert a = numbered_alert(i);
    a.rule = kRule;
    a.output = "chaos " + ns_ + " " + std::to_string(i);
    a.output_fields["k8s.ns.name"] = ns_;
    a.output_fields["k8s.pod.name"] = "victim-" + std::to_string(i);
    return a;
  }
  void alert(int i) { publish_until_stored(*conn_, make(i)); }
  // The same event from two inputs: once with its content hash as Nats-Msg-Id (as the HTTP
  // and Falcosidekick inputs publish it), once without an id. The stream cannot tell them
  // apart, the responders can (the same alert id): a second message for a run in progress.
  void duplicate(int i) {
    const Alert a = make(i);
    ASSERT_TRUE(conn_->js_publish(alert_subject(a), to_json(a), responder::content_key(a)).ok());
    ASSERT_TRUE(conn_->js_publish(alert_subject(a), to_json(a), "").ok());
  }

  // Waits for `alerts` run records, stops the responders, and checks everything.
  void verify(int alerts) {
    ASSERT_TRUE(::riposte::testing::eventually(
        [&] { return observer_->recorded() >= static_cast<size_t>(alerts); }, 240000))
        << observer_->recorded() << " of " << alerts << " alerts have a run record";
    for (auto& [name, p] : responders_) {
      if (p) p->stop();
    }

    // Every alert acknowledged: nothing left on the responders' consumer.
    EXPECT_EQ(undelivered_or_unacked(*conn_, 3000), 0u);

    EXPECT_EQ(watcher_->ran_twice(), std::vector<std::string>{}) << "playbooks that ran twice";
    // No live owner lost its run to another replica (the owner notices at its next renewal
    // and says so; effects would then have raced).
    for (const auto& f : std::filesystem::directory_iterator(setup_.dir)) {
      if (f.path().extension() != ".log") continue;
      const std::string log = read_file(f.path().string());
      for (const char* lost : {"taken over by another replica while running",
                               "taken over while its last step ran", "giving the run up"}) {
        EXPECT_EQ(log.find(lost), std::string::npos) << f.path() << ": " << lost;
      }
    }
    // Exactly one run record per alert, each a success (read from the stream).
    const auto records = stored_run_records(*conn_);
    EXPECT_EQ(records.size(), static_cast<size_t>(alerts));
    for (const auto& [id, rs] : records) {
      EXPECT_EQ(rs.size(), 1u) << "alert " << id << " recorded " << rs.size() << " times";
      for (const auto& r : rs) {
        EXPECT_EQ(r.value("outcome", ""), "succeeded") << r.dump();
        if (r.contains("resumed_steps")) ++takeovers_;
      }
    }

    // Effects, from the API server's audit log.
    std::map<std::string, int> evictions, events_created;
    std::map<std::string, std::set<std::string>> label_versions;
    for (const AuditedMutation& m : read_audited_mutations(audit_log_, kResponderUser, ns_)) {
      const bool ok = m.code >= 200 && m.code < 300;
      if (m.resource == "pods/eviction") {
        ++evictions[m.name];  // sent at all: an eviction is never sent twice
      } else if (m.resource == "events" && m.verb == "create") {
        // Counted per pod the event is about, whatever its name.
        const std::string pod = m.request.is_object() && m.request.contains("involvedObject")
                                    ? m.request["involvedObject"].value("name", "")
                                    : "";
        if (ok) {
          ++events_created[pod];
        } else {
          EXPECT_EQ(m.code, 409) << "event " << m.name;  // a resend may only find it there
        }
      } else if (m.resource == "pods" && m.verb == "patch" && ok) {
        label_versions[m.name].insert(m.resource_version);
      } else {
        ADD_FAILURE() << "unexpected mutation " << m.verb << " " << m.target() << " " << m.code;
      }
    }
    EXPECT_EQ(evictions.size(), static_cast<size_t>(alerts));
    for (const auto& [pod, n] : evictions) EXPECT_EQ(n, 1) << "evictions of pod " << pod;
    EXPECT_EQ(events_created.size(), static_cast<size_t>(alerts));
    for (const auto& [pod, n] : events_created)
      EXPECT_EQ(n, 1) << "events created about pod " << pod;
    EXPECT_EQ(label_versions.size(), static_cast<size_t>(alerts));
    for (const auto& [pod, versions] : label_versions) {
      EXPECT_EQ(versions.size(), 1u) << "a repeated label patch of " << pod << " changed it";
    }
    std::printf(
        "CHAOS %s: alerts %d, run records %zu (takeovers %d), evictions %zu, events %zu, "
        "proxy faults:",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), alerts, records.size(),
        takeovers_, evictions.size(), events_created.size());
    for (const auto& [f, n] : proxy_->counts()) std::printf(" %d:%d", static_cast<int>(f), n);
    std::printf("\n");
  }

  NatsCluster nats_{3, /*monitor=*/true, /*shipped_auth=*/true};
  std::unique_ptr<nats::Connection> conn_;
  std::unique_ptr<Observer> observer_;
  // Sees every publish of a run record, also those the stream drops as duplicates of the
  // same run id (a second run of a playbook for an alert would be one).
  std::unique_ptr<AuditWatcher> watcher_;
  std::unique_ptr<FaultProxy> proxy_;
  ResponderSetup setup_;
  std::map<std::string, std::unique_ptr<Subprocess>> responders_;
  std::string audit_log_;
  int takeovers_ = 0;
};

// The label PATCH answers after 3 s: every run is in the middle of a step longer than the
// ack wait (2 s) when its replica is killed.
FaultProxy::Rule slow_labels(int ms) {
  return {.method = "PATCH", .path_contains = "/pods/", .cycle = {Fault::kDelay}, .hold_ms = ms};
}

// Every alert arrives twice (duplicate()): the second copy finds the run claimed by a live
// owner in its slow step, and must wait for it rather than take it over.
TEST_F(ExactlyOnceChaos, KillNineReplicasHoldingRuns) {
  proxy_->set_rules({slow_labels(3000)});
  for (const char* n : {"r1", "r2", "r3"}) start(n);
  constexpr int kRounds = 3, kPerRound = 6;
  pods(0, kRounds * kPerRound);
  int next = 4;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = round * kPerRound; i < (round + 1) * kPerRound; ++i) duplicate(i);
    // Kill a replica that holds a run (its record says so), in the middle of the slow step.
    std::optional<std::pair<std::string, std::string>> victim;
    ASSERT_TRUE(::riposte::testing::eventually(
        [&] { return (victim = observer_->running(live())).has_value(); }, 60000));
    ASSERT_EQ(kill(responders_[victim->first]->pid(), SIGKILL), 0);
    const auto killed_at = Clock::now();
    responders_[victim->first]->wait_exit(5000);
    responders_[victim->first].reset();
    start("r" + std::to_string(next++));
    // Recovery: until the run the dead replica held is recorded by another one.
    ASSERT_TRUE(::riposte::testing::eventually(
        [&] { return observer_->recorded_at(victim->second).has_value(); }, 120000));
    auto ms = [&](std::optional<Clock::time_point> t) -> long long {
      return t ? std::chrono::duration_cast<std::chrono::milliseconds>(*t - killed_at).count() : -1;
    };
    std::printf(
        "RECOVERY kill -9 round %d: run held by %s taken over %lld ms after the kill, "
        "recorded after %lld ms (its interrupted 3 s step ran again)\n",
        round, victim->first.c_str(), ms(observer_->taken_over_at(victim->second)),
        ms(observer_->recorded_at(victim->second)));
  }
  verify(kRounds * kPerRound);
  // Each killed replica held a run: the run was taken over, not run afresh.
  EXPECT_GE(takeovers_, kRounds);
}

TEST_F(ExactlyOnceChaos, ApiServerFaultsThroughTheProxy) {
  // Mutations: every other one gets a fault, each fault in turn; reads: now and then a 500
  // or a 429.
  proxy_->set_rules({{.method = "GET",
                      .cycle = {Fault::kNone, Fault::kServerError, Fault::kNone, Fault::kThrottle}},
                     {.method = "",
                      .cycle = {Fault::kNone, Fault::kHang, Fault::kNone, Fault::kThrottle,
                                Fault::kNone, Fault::kServerError, Fault::kNone, Fault::kErrorAfter,
                                Fault::kNone, Fault::kDropAfter},
                      .hold_ms = 8000}});
  for (const char* n : {"r1", "r2", "r3"}) start(n);
  constexpr int kAlerts = 18;
  pods(0, kAlerts);
  for (int i = 0; i < kAlerts; ++i) alert(i);
  verify(kAlerts);
  auto counts = proxy_->counts();
  for (Fault f : {Fault::kHang, Fault::kThrottle, Fault::kServerError, Fault::kErrorAfter,
                  Fault::kDropAfter}) {
    EXPECT_GT(counts[f], 0) << "fault " << static_cast<int>(f) << " never happened";
  }
}

TEST_F(ExactlyOnceChaos, ApiServerRestartWhileRunsAreInFlight) {
  proxy_->set_rules({slow_labels(1500)});
  for (const char* n : {"r1", "r2", "r3"}) start(n);
  constexpr int kAlerts = 12;
  pods(0, kAlerts);
  for (int i = 0; i < kAlerts; ++i) alert(i);
  ASSERT_TRUE(::riposte::testing::eventually([&] { return observer_->running(live()).has_value(); },
                                             60000));
  // Until the restarted server is ready, the proxy answers 503 as the Service in front of a
  // real API server would (its endpoint is removed until /readyz passes): a server still
  // loading its RBAC answers 403 to what it would allow a moment later. Requests already
  // forwarded, the slow label patches among them, meet the restart itself.
  proxy_->set_rules({{.method = "", .cycle = {Fault::kUnavailable}}});
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto restart =
      Subprocess::spawn({std::string(src) + "/deploy/local/cluster.sh", "restart-apiserver"},
                        {{"RIPOSTE_LOCAL_DIR", cluster_.dir}}, setup_.dir + "/restart.log");
  ASSERT_TRUE(restart.ok()) << restart.error();
  int status = -1;
  ASSERT_TRUE((*restart)->wait_exit(180000, &status));
  ASSERT_EQ(status, 0) << (*restart)->log_tail();
  proxy_->set_rules({slow_labels(1500)});
  verify(kAlerts);
}

TEST_F(ExactlyOnceChaos, NatsStreamLeaderStopsWhileAlertsFlow) {
  proxy_->set_rules({slow_labels(1000)});
  for (const char* n : {"r1", "r2", "r3"}) start(n);
  constexpr int kAlerts = 16;
  pods(0, kAlerts);
  int replicas = 0, leader = -1;
  ASSERT_TRUE(::riposte::testing::eventually(
      [&] { return (leader = nats_.stream_leader(kAlertStream, &replicas)) >= 0; }, 30000));
  ASSERT_EQ(replicas, 3) << "the alert stream is not R3";
  for (int i = 0; i < kAlerts / 2; ++i) alert(i);
  ASSERT_TRUE(::riposte::testing::eventually([&] { return observer_->running(live()).has_value(); },
                                             60000));
  nats_.node(leader).stop();
  const auto stopped_at = Clock::now();
  // An alert raised after the loss: published (the client fails over), handled, recorded.
  alert(kAlerts / 2);
  ASSERT_TRUE(::riposte::testing::eventually(
      [&] { return observer_->recorded() >= static_cast<size_t>(kAlerts / 2 + 1); }, 120000));
  std::printf(
      "RECOVERY NATS stream leader %s stopped: all %d alerts so far recorded %lld ms later\n",
      nats_.node(leader).name().c_str(), kAlerts / 2 + 1,
      static_cast<long long>(ms_since(stopped_at)));
  int new_leader = -1;
  ASSERT_TRUE(::riposte::testing::eventually(
      [&] { return (new_leader = nats_.stream_leader(kAlertStream)) >= 0; }, 30000));
  EXPECT_NE(new_leader, leader);
  for (int i = kAlerts / 2 + 1; i < kAlerts; ++i) alert(i);
  verify(kAlerts);
}

}  // namespace
}  // namespace riposte::testing
