// The bus through NATS outages: a 3-node JetStream cluster with R3 streams loses the node
// leading the alert stream while alerts flow; a single nats-server restarts while alerts flow.
// Publisher and responder reconnect by themselves, and every alert gets its one playbook run
// (counted from the stream, which misses no record; a second run is looked for on a core
// subscription, which sees the publishes the stream drops as duplicates).
#include <gtest/gtest.h>

#include <atomic>
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
  nats::Options o = shipped_auth_options(urls, "riposte-test", "outage-test");
  o.reconnect_wait_ms = 100;
  auto c = nats::Connection::connect(o);
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(NatsOutageE2E, ClusterLosesTheAlertStreamLeaderWhileAlertsFlow) {
  NatsCluster cluster(3, /*monitor=*/true, /*shipped_auth=*/true);
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

  int replicas = 0, leader = -1;
  ASSERT_TRUE(eventually(
      [&] { return (leader = cluster.stream_leader(kAlertStream, &replicas)) >= 0; }, 30000));
  ASSERT_EQ(replicas, 3) << "the alert stream is not R3";

  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; i < kAlerts; ++i) {
      publish_until_stored(*conn, numbered_alert(i));
      ++published;
    }
  });
  ASSERT_TRUE(eventually([&] { return audit.distinct() >= kAlerts / 4; }, 120000));
  cluster.node(leader).stop();
  // Alerts are raised while the leader is gone, not only before.
  const int before = published;
  ASSERT_TRUE(eventually([&] { return published > before + 100; }, 120000));
  EXPECT_NE(cluster.stream_leader(kAlertStream), leader);
  publisher.join();
  ASSERT_TRUE(eventually(
      [&] { return stored_run_records(*conn).size() == static_cast<size_t>(kAlerts); }, 240000))
      << stored_run_records(*conn).size() << " of " << kAlerts;
  EXPECT_EQ(audit.ran_twice(), std::vector<std::string>{});
}

TEST(NatsOutageE2E, SingleServerRestartWhileAlertsFlow) {
  NatsServer server({.shipped_auth = true});
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
  ASSERT_TRUE(eventually(
      [&] { return stored_run_records(*conn).size() == static_cast<size_t>(kAlerts); }, 240000))
      << stored_run_records(*conn).size() << " of " << kAlerts;
  // The same process handled them: it rode the restart out rather than being restarted.
  EXPECT_TRUE(r1->running());
}

}  // namespace
}  // namespace riposte::testing
