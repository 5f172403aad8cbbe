// Failover: three responder processes share one durable consumer; one is killed with SIGKILL
// while 5,000 alerts flow. Every alert must end up acknowledged with exactly one playbook run
// in the audit stream: none lost, none run twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "responder/audit.h"
#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_server.h"

namespace riposte::testing {
namespace {

constexpr int kAlerts = 5000;

TEST(BusFailoverE2E, KillNineOneOfThreeRespondersWhileAlertsFlow) {
  NatsServer server({.shipped_auth = true});
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect(
      shipped_auth_options(server.url(), "riposte-test", "failover-test"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  AuditWatcher audit(**conn);
  DryRunSetup setup;
  std::vector<std::unique_ptr<Subprocess>> responders;
  for (int i = 1; i <= 3; ++i) {
    responders.push_back(start_responder(setup, server.url(), "r" + std::to_string(i)));
    ASSERT_NE(responders.back(), nullptr);
  }

  std::thread publisher([&] {
    for (int i = 0; i < kAlerts; ++i) publish_until_stored(**conn, numbered_alert(i));
  });
  // Kill one in the middle of the flow, with alerts of its own in hand.
  ASSERT_TRUE(eventually([&] { return audit.distinct() >= kAlerts / 4; }, 120000));
  ASSERT_EQ(kill(responders[1]->pid(), SIGKILL), 0);
  publisher.join();

  // Its unacknowledged alerts come back after the ack wait (2s) to the two survivors.
  ASSERT_TRUE(eventually([&] { return audit.distinct() == kAlerts; }, 240000))
      << audit.distinct() << " of " << kAlerts << " alerts have a playbook run";
  EXPECT_EQ(audit.ran_twice(), std::vector<std::string>{});
  responders[0]->stop();
  responders[2]->stop();

  // The stream of records holds exactly one per alert, and nothing is left to deliver.
  auto pull = (*conn)->pull_consumer({.stream = responder::kActionStream, .durable = "check",
                                      .filter_subject = "riposte.actions.run.>"});
  ASSERT_TRUE(pull.ok()) << pull.error();
  std::set<std::string> ids;
  size_t records = 0;
  while (true) {
    auto msgs = (*pull)->fetch(1000, 1000);
    ASSERT_TRUE(msgs.ok()) << msgs.error();
    if (msgs->empty()) break;
    for (auto& m : *msgs) {
      ++records;
      ids.insert(nlohmann::json::parse(m.data()).value("alert_id", ""));
      (void)m.ack();
    }
  }
  EXPECT_EQ(records, static_cast<size_t>(kAlerts));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kAlerts));
  EXPECT_EQ(undelivered_or_unacked(**conn, 3000), 0u);
}

}  // namespace
}  // namespace riposte::testing
