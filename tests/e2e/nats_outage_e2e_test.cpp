// The bus through NATS outages: a 3-node JetStream cluster with R3 streams loses a node while
// alerts flow; a single nats-server restarts while alerts flow. Publisher and responder
// reconnect by themselves, and every alert gets its one playbook run.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "responder/audit.h"
#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/nats_server.h"

namespace riposte::testing {
namespace {

constexpr int kAlerts = 2000;

std::unique_ptr<nats::Connection> connect(const std::string& urls) {
  auto c = nats::Connection::connect({.url = urls, .name = "outage-test", .reconnect_wait_ms = 100});
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(NatsOutageE2E, ClusterLosesANodeWhileAlertsFlow) {
  NatsCluster cluster(3);
  ASSERT_TRUE(cluster.start());
  auto conn = connect(cluster.urls());
  ASSERT_NE(conn, nullptr);
  // JetStream elects its meta leader once the routes are up.
  Status streams = Error{"not tried"};
  ASSERT_TRUE(eventually(
      [&] { return (streams = responder::ensure_streams(*conn, {.replicas = 3})).ok(); }, 60000))
      << streams.error() << "\nnode 1 log:\n" << cluster.node(0).log();
  AuditWatcher audit(*conn);
  DryRunSetup setup;
  auto r1 = start_responder(setup, cluster.urls(), "r1", {"--stream-replicas", "3"});
  auto r2 = start_responder(setup, cluster.urls(), "r2", {"--stream-replicas", "3"});
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);

  std::thread publisher([&] {
    for (int i = 0; i < kAlerts; ++i) publish_until_stored(*conn, numbered_alert(i));
  });
  ASSERT_TRUE(eventually([&] { return audit.distinct() >= kAlerts / 4; }, 120000));
  cluster.node(0).stop();
  publisher.join();
  ASSERT_TRUE(eventually([&] { return audit.distinct() == kAlerts; }, 240000))
      << audit.distinct() << " of " << kAlerts;
  EXPECT_EQ(audit.ran_twice(), std::vector<std::string>{});
}

TEST(NatsOutageE2E, SingleServerRestartWhileAlertsFlow) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  auto conn = connect(server.url());
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(responder::ensure_streams(*conn, {}).ok());
  DryRunSetup setup;
  auto r1 = start_responder(setup, server.url(), "r1");
  ASSERT_NE(r1, nullptr);

  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; i < kAlerts; ++i) {
      publish_until_stored(*conn, numbered_alert(i));
      ++published;
    }
  });
  ASSERT_TRUE(eventually([&] { return published >= kAlerts / 3; }, 120000));
  ASSERT_TRUE(server.restart());
  publisher.join();
  // Count from the stream (a core subscriber may miss records published during the outage).
  size_t records = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto pull = conn->pull_consumer({.stream = responder::kActionStream,
                                         .durable = "check-" + std::to_string(records++ % 1000000),
                                         .filter_subject = "riposte.actions.run.>"});
        if (!pull.ok()) return false;
        std::set<std::string> ids;
        while (true) {
          auto msgs = (*pull)->fetch(1000, 500);
          if (!msgs.ok() || msgs->empty()) break;
          for (auto& m : *msgs) {
            ids.insert(nlohmann::json::parse(m.data()).value("alert_id", ""));
            (void)m.ack();
          }
        }
        return ids.size() == static_cast<size_t>(kAlerts);
      },
      240000));
  EXPECT_NE(testing::read_file(r1->log_path()).find("responder running"), std::string::npos);
}

}  // namespace
}  // namespace riposte::testing
