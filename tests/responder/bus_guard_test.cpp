// The responder's start-up check that strangers cannot publish alerts, against real
// nats-servers: open, closed by authentication, and open to anonymous clients without
// publish rights on riposte.alerts.>.
#include "responder/bus_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/bus.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

using ::testing::HasSubstr;

TEST(BusGuardTest, AnOpenBusIsRefusedAndTheProbeStoresNothing) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect({.url = server.url()});
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  Status st = responder::check_bus_closed_to_anonymous({.url = server.url()});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("--allow-unauthenticated-bus"));
  EXPECT_EQ(st.error().find('\n'), std::string::npos) << "one line";
  EXPECT_TRUE(read_stream(**conn, kAlertStream, kAlertSubjects).empty());
}

TEST(BusGuardTest, ABusThatNeedsCredentialsIsAccepted) {
  NatsServer server({.user = "riposte", .password = "pa55word"});
  ASSERT_TRUE(server.start());
  auto conn =
      nats::Connection::connect({.url = server.url(), .user = "riposte", .password = "pa55word"});
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  Status st = responder::check_bus_closed_to_anonymous(
      {.url = server.url(), .user = "riposte", .password = "pa55word"});
  EXPECT_TRUE(st.ok()) << st.error();
}

// Anonymous clients get in (no_auth_user) but may not publish alerts: accepted.
TEST(BusGuardTest, AnonymousClientsWithoutAlertRightsAreAccepted) {
  NatsServer server({.config = R"(
authorization {
  users: [
    {user: riposte, password: pa55word}
    {user: guest, password: guest, permissions: {publish: ["other.>"], subscribe: ["_INBOX.>"]}}
  ]
}
no_auth_user: guest
)"});
  ASSERT_TRUE(server.start());
  auto conn =
      nats::Connection::connect({.url = server.url(), .user = "riposte", .password = "pa55word"});
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  Status st = responder::check_bus_closed_to_anonymous({.url = server.url()});
  EXPECT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(read_stream(**conn, kAlertStream, kAlertSubjects).empty());
}

// A server with the shipped users (plus extra config), the streams made by the responder's
// user, and the guard's verdict on it.
struct ShippedBus {
  explicit ShippedBus(const std::string& extra_config)
      : server({.config = extra_config, .shipped_auth = true}) {}
  Status check() {
    if (!server.start()) return Error{"nats-server did not start"};
    auto c = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-responder"));
    if (!c.ok()) return c.err();
    conn = std::move(*c);
    if (Status st = responder::ensure_streams(*conn, {}); !st.ok()) return st;
    return responder::check_bus_closed_to_anonymous(
        shipped_auth_options(server.url(), "riposte-responder"));
  }
  NatsServer server;
  std::unique_ptr<nats::Connection> conn;
};

// Anonymous clients mapped to the shipped detector user (no_auth_user) may publish alerts but
// not receive JetStream's answer (their replies would go to the detector's own prefix):
// still an open bus, refused.
TEST(BusGuardTest, AnonymousClientsThatCanPublishButGetNoAnswerAreRefused) {
  ShippedBus bus("no_auth_user: riposte-detector");
  Status st = bus.check();
  ASSERT_NE(bus.conn, nullptr) << st.error();
  ASSERT_FALSE(st.ok()) << "an anonymous path to the alert subjects was not noticed";
  EXPECT_THAT(st.error(), HasSubstr("--allow-unauthenticated-bus"));
  EXPECT_TRUE(read_stream(*bus.conn, kAlertStream, kAlertSubjects).empty()) << "the probe stored";
}

// The shipped users without no_auth_user: anonymous clients are refused at connect.
TEST(BusGuardTest, TheShippedUsersAreAccepted) {
  ShippedBus bus("");
  Status st = bus.check();
  EXPECT_TRUE(st.ok()) << st.error();
}

}  // namespace
}  // namespace riposte::testing
