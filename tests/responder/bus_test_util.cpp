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
  responder::ResponderConfig rc;
  if (options.fetch_timeout_ms > 100) options.fetch_timeout_ms = 100;
  rc.consumer = options;
  rc.durable = "responder";
  rc.workers = workers;
  rc.lease_ms = lease_ms;
  rc.rate_global = rate_global;
  rc.rate_namespace = rate_namespace;
  // One fixed minute window (the middle of minute 30,000,000): a test's rate windows cannot
  // depend on when in the minute it runs.
  rc.rate_clock = [] { return 30'000'000LL * 60'000'000'000LL + 30'000'000'000LL; };
  auto created = responder::Responder::create(
      conn, [this] { return engine; }, &metrics, rc);
  if (!created) {
    error = created.error();
    return;
  }
  alerts = std::move(*created);
}

InProcessResponder::~InProcessResponder() { stop(); }

void InProcessResponder::start() {
  if (alerts) alerts->start();
}

void InProcessResponder::stop() {
  if (alerts) alerts->stop();
}

double InProcessResponder::counter(const std::string& name, const Labels& labels) {
  return registry.counter(name, "", labels).value();
}

}  // namespace riposte::testing
