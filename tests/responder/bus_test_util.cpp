#include "tests/responder/bus_test_util.h"
#include "tests/support/test_util.h"

#include <gtest/gtest.h>

#include <chrono>

namespace riposte::testing {

Alert make_alert(const std::string& rule, Priority p, const std::string& ns,
                 const std::string& pod, const std::string& output) {
  Alert a;
  a.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  a.rule = rule;
  a.priority = p;
  a.hostname = "node-1";
  a.output = output;
  a.output_fields["k8s.ns.name"] = ns;
  a.output_fields["k8s.pod.name"] = pod;
  a.uuid = new_uuid();
  return a;
}

std::vector<nlohmann::json> read_stream(nats::Connection& conn, const std::string& stream,
                                        const std::string& subject) {
  static std::atomic<int> n{0};
  std::vector<nlohmann::json> out;
  auto pull = conn.pull_consumer({.stream = stream,
                                  .durable = "reader-" + std::to_string(getpid()) + "-" +
                                             std::to_string(++n),
                                  .filter_subject = subject});
  EXPECT_TRUE(pull.ok()) << pull.error();
  if (!pull.ok()) return out;
  while (true) {
    auto msgs = (*pull)->fetch(500, 500);
    EXPECT_TRUE(msgs.ok()) << msgs.error();
    if (!msgs.ok() || msgs->empty()) break;
    for (auto& m : *msgs) {
      out.push_back(nlohmann::json::parse(m.data(), nullptr, false));
      (void)m.ack();
    }
  }
  return out;
}

InProcessResponder::InProcessResponder(nats::Connection* c, const std::string& playbooks,
                                       kube::KubeClient& kube, responder::ConsumerOptions options,
                                       int workers, int rate_global, int rate_namespace,
                                       int64_t lease_ms)
    : conn(c) {
  auto loaded = playbook::parse_playbooks(playbooks, "test.yaml");
  if (!loaded.ok()) {
    error = loaded.error_text();
    return;
  }
  engine = std::make_shared<const playbook::Engine>(std::move(loaded.playbooks), kube,
                                                    actions::Guardrails{});
  responder::BusOptions bus;
  if (Status st = responder::ensure_streams(*conn, bus); !st.ok()) {
    error = st.error();
    return;
  }
  auto b = responder::open_buckets(*conn, bus);
  if (!b) {
    error = b.error();
    return;
  }
  buckets = std::move(*b);
  ledger = std::make_unique<responder::RunLedger>(buckets.runs.get(), options.replica, lease_ms);
  clock = std::make_unique<responder::ServerClock>(buckets.cooldowns.get(), options.replica);
  cooldowns = std::make_unique<responder::Cooldowns>(buckets.cooldowns.get(),
                                                     [c = clock.get()] { return c->now_ns(); });
  // One fixed minute window (the middle of minute 30,000,000): a test's rate windows cannot
  // depend on when in the wall-clock minute it runs.
  rates = std::make_unique<responder::RateLimiter>(
      buckets.rates.get(), rate_global, rate_namespace,
      [] { return 30'000'000LL * 60'000'000'000LL + 30'000'000'000LL; });
  audit = std::make_unique<responder::AuditLog>(conn);
  responder::ConsumerDeps deps{conn, [this] { return engine; }, ledger.get(), cooldowns.get(),
                               rates.get(), audit.get(), &metrics};
  if (options.fetch_timeout_ms > 100) options.fetch_timeout_ms = 100;
  nats::ConsumerConfig cc{.stream = kAlertStream, .durable = "responder",
                          .filter_subject = kAlertSubjects,
                          .max_deliver = options.max_deliver + 1};
  for (int i = 0; i < workers; ++i) {
    auto pull = conn->pull_consumer(cc);
    if (!pull) {
      error = pull.error();
      return;
    }
    consumers.push_back(std::make_unique<responder::AlertConsumer>(pull->get(), deps, options));
    pulls.push_back(std::move(*pull));
  }
}

InProcessResponder::~InProcessResponder() { stop(); }

void InProcessResponder::start() {
  for (auto& c : consumers) threads.emplace_back([this, c = c.get()] { c->run(&stopping); });
}

void InProcessResponder::stop() {
  stopping = true;
  for (auto& t : threads) t.join();
  threads.clear();
}

double InProcessResponder::counter(const std::string& name, const Labels& labels) {
  return registry.counter(name, "", labels).value();
}

}  // namespace riposte::testing
