// The detector rides out a nats-server restart by itself: alerts raised while the server is
// down wait in its bounded queue and are published (with their deterministic Nats-Msg-Id, so
// retries are stored once) when it is back. Real eBPF on real execs, a real nats-server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "common/alert.h"
#include "common/nats.h"
#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_server.h"
#include "tests/support/subprocess.h"

namespace riposte::testing {
namespace {

constexpr int kExecs = 300;
constexpr const char* kMarker = "riposte-outage-marker-";

// Every distinct marker that reached RIPOSTE_ALERTS, read back from the stream itself.
std::set<std::string> markers_in_stream(nats::Connection& conn, int round) {
  std::set<std::string> seen;
  auto pull = conn.pull_consumer(
      {.stream = kAlertStream, .durable = "check-" + std::to_string(round)});
  if (!pull.ok()) return seen;
  while (true) {
    auto msgs = (*pull)->fetch(500, 500);
    if (!msgs.ok() || msgs->empty()) break;
    for (auto& m : *msgs) {
      auto alert = parse_alert(m.data());
      std::string cmdline;
      if (alert.ok() && alert->field_string("proc.cmdline", &cmdline)) seen.insert(cmdline);
      (void)m.ack();
    }
  }
  return seen;
}

TEST(DetectorOutageE2E, AlertsRaisedWhileNatsRestartsAreAllPublished) {
  ASSERT_EQ(geteuid(), 0u) << "loads eBPF programs: run as root";
  NatsServer server({.shipped_auth = true});
  ASSERT_TRUE(server.start());
  const std::string dir = make_temp_dir("detector-outage");
  {  // The responder creates the alert stream (the detector has no rights to): here, the test.
    auto setup = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-test"));
    ASSERT_TRUE(setup.ok()) << setup.error();
    ASSERT_TRUE(responder::ensure_streams(**setup, {}).ok());
  }
  auto detector = start_marker_detector(dir, "Outage marker", kMarker, server.url(), "127.0.0.1:0");
  ASSERT_TRUE(detector);

  for (int i = 0; i < kExecs; ++i) {
    if (i == kExecs / 3) {
      ASSERT_TRUE(server.restart());
    }
    const std::string cmd = "/bin/true " + std::string(kMarker) + std::to_string(i);
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  auto conn = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-test"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  std::set<std::string> seen;
  int round = 0;
  EXPECT_TRUE(eventually(
      [&] {
        seen = markers_in_stream(**conn, round++);
        return seen.size() == static_cast<size_t>(kExecs);
      },
      120000))
      << seen.size() << " of " << kExecs << " alerts stored; detector log:\n"
      << detector->log_tail(8192);
  EXPECT_TRUE(detector->running()) << detector->log_tail();
}

}  // namespace
}  // namespace riposte::testing
