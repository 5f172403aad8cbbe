// The server clock against a real nats-server: only refresh() talks to the server (workers
// read now_ns() on their path and must never wait on a probe), a due refresh() probes, and a
// server that is gone leaves the clock carried forward, still monotonic, without blocking.
#include "responder/server_clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "responder/bus.h"
#include "responder/dedup.h"
#include "tests/support/nats_server.h"

namespace riposte::responder {
namespace {

class ServerClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    auto c = nats::Connection::connect({.url = server_.url(), .name = "clock-test"});
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    auto b = open_buckets(*conn_, {});
    ASSERT_TRUE(b.ok()) << b.error();
    buckets_ = std::move(*b);
  }
  // The probe key's revision: it grows by one per probe.
  uint64_t probes(const std::string& replica) {
    auto got = buckets_.cooldowns->get(hash_key({"clock", replica}));
    EXPECT_TRUE(got.ok()) << got.error();
    return got.ok() && got->has_value() ? (*got)->revision : 0;
  }
  static void wait_past(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() <= until) std::this_thread::yield();
  }
  testing::NatsServer server_;
  std::unique_ptr<nats::Connection> conn_;
  Buckets buckets_;
};

TEST_F(ServerClockTest, ReadingTheClockNeverProbesEvenWhenAProbeIsDue) {
  ServerClock clock(buckets_.cooldowns.get(), "reader", std::chrono::milliseconds(1));
  ASSERT_TRUE(clock.sync().ok());
  const uint64_t after_sync = probes("reader");
  ASSERT_GT(after_sync, 0u);
  wait_past(std::chrono::milliseconds(5));  // a probe is now due
  int64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t t = clock.now_ns();
    ASSERT_GE(t, last);
    last = t;
  }
  EXPECT_EQ(probes("reader"), after_sync) << "now_ns() talked to the server";
  ASSERT_TRUE(clock.refresh().ok());
  EXPECT_EQ(probes("reader"), after_sync + 1) << "a due refresh() did not probe";
}

TEST_F(ServerClockTest, ARefreshBeforeItIsDueDoesNothing) {
  ServerClock clock(buckets_.cooldowns.get(), "patient", std::chrono::hours(1));
  ASSERT_TRUE(clock.sync().ok());
  const uint64_t after_sync = probes("patient");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(clock.refresh().ok());
  EXPECT_EQ(probes("patient"), after_sync);
}

TEST_F(ServerClockTest, AServerThatIsGoneLeavesTheClockCarriedForward) {
  ServerClock clock(buckets_.cooldowns.get(), "orphan", std::chrono::milliseconds(1));
  ASSERT_TRUE(clock.sync().ok());
  const int64_t before = clock.now_ns();
  server_.stop();
  wait_past(std::chrono::milliseconds(5));
  EXPECT_FALSE(clock.refresh().ok());
  const int64_t after = clock.now_ns();
  EXPECT_GT(after, before);  // carried forward on the steady clock
}

}  // namespace
}  // namespace riposte::responder
