// A cooldown window holds for every replica, whatever their own clocks say. Replica "slow"
// runs an hour behind (libfaketime) and opens the window with the first alert; replica "right"
// then gets a second alert for the same pod inside the cooldown and must suppress it. Judged
// on each replica's wall clock, the slow one's window had ended an hour before it began for
// the right one, and the pod would be deleted twice; on the NATS server's clock
// (responder/server_clock.h) both decide alike.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/alert.h"
#include "responder/bus.h"
#include "responder/dedup.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_server.h"
#include "tests/support/shell_alert.h"

namespace riposte::testing {
namespace {

constexpr const char* kFakeTime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

// The outcome of playbook kill-shell's run for alert a, from the run ledger, which holds
// suppressed runs too (they are not published one by one); "" while the run is not done.
std::string outcome_of(nats::KeyValue& runs, const Alert& a) {
  auto got = runs.get(responder::run_key(alert_dedup_key(a), "kill-shell"));
  if (!got || !got->has_value()) return "";
  auto rec = nlohmann::json::parse((*got)->value, nullptr, false);
  if (!rec.is_object() || rec.value("state", "") != "done") return "";
  return rec.value("audit", nlohmann::json::object()).value("outcome", "?");
}

// The time stamp of a responder's first log line (its own wall clock).
std::string first_log_ts(const std::string& path) {
  std::ifstream in(path);
  std::string ts;
  in >> ts;
  return ts;
}

TEST(CooldownClockE2E, AWindowOpenedByAReplicaWithASlowClockHoldsForTheOthers) {
  if (!std::filesystem::exists(kFakeTime))
    GTEST_SKIP() << kFakeTime << " missing (apt-get install faketime)";
  NatsServer server({.shipped_auth = true});
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect(
      shipped_auth_options(server.url(), "riposte-test", "cooldown-clock-test"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  auto buckets = responder::open_buckets(**conn, {});
  ASSERT_TRUE(buckets.ok()) << buckets.error();
  nats::KeyValue& runs = *buckets->runs;
  DryRunSetup setup;
  std::ofstream(setup.playbooks + "/kill-shell.yaml", std::ios::app) << "cooldown: 10m\n";

  ResponderSetup slow_setup = setup;
  slow_setup.env = {
      {"LD_PRELOAD", kFakeTime}, {"FAKETIME", "-1h"}, {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
  const Alert first = numbered_shell_alert(1, "shop", "web-1");
  const Alert second = numbered_shell_alert(2, "shop", "web-1");

  auto slow = start_responder(slow_setup, server.url(), "slow");
  ASSERT_NE(slow, nullptr);
  publish_until_stored(**conn, first);
  ASSERT_TRUE(eventually([&] { return !outcome_of(runs, first).empty(); }, 60000));
  EXPECT_EQ(outcome_of(runs, first), "dry-run");
  slow->stop();

  auto right = start_responder(setup, server.url(), "right");
  ASSERT_NE(right, nullptr);
  // The premise: the two replicas' clocks really are an hour apart (RFC 3339 in UTC: the
  // hour digits differ, or the date does around midnight).
  const std::string slow_ts = first_log_ts(setup.dir + "/slow.log");
  const std::string right_ts = first_log_ts(setup.dir + "/right.log");
  ASSERT_GE(slow_ts.size(), 13u);
  ASSERT_GE(right_ts.size(), 13u);
  ASSERT_NE(slow_ts.substr(0, 13), right_ts.substr(0, 13)) << slow_ts << " vs " << right_ts;

  publish_until_stored(**conn, second);
  ASSERT_TRUE(eventually([&] { return !outcome_of(runs, second).empty(); }, 60000));
  EXPECT_EQ(outcome_of(runs, second), "suppressed")
      << "the second alert for pod shop/web-1 ran inside the slow replica's cooldown";
  right->stop();
}

}  // namespace
}  // namespace riposte::testing
