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

// Anonymous clients mapped to the shipped detector user (no_auth_user) may publish alerts but
// not receive JetStream's answer (their replies would go to the detector's own prefix):
// still an open bus, refused.
TEST(BusGuardTest, AnonymousClientsThatCanPublishButGetNoAnswerAreRefused) {
  NatsServer server({.config = "no_auth_user: riposte-detector", .shipped_auth = true});
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-responder"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  Status st = responder::check_bus_closed_to_anonymous(
      shipped_auth_options(server.url(), "riposte-responder"));
  ASSERT_FALSE(st.ok()) << "an anonymous path to the alert subjects was not noticed";
  EXPECT_THAT(st.error(), HasSubstr("--allow-unauthenticated-bus"));
  EXPECT_TRUE(read_stream(**conn, kAlertStream, kAlertSubjects).empty()) << "the probe stored";
}

// The shipped users without no_auth_user: anonymous clients are refused at connect.
TEST(BusGuardTest, TheShippedUsersAreAccepted) {
  NatsServer server({.shipped_auth = true});
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-responder"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());
  Status st = responder::check_bus_closed_to_anonymous(
      shipped_auth_options(server.url(), "riposte-responder"));
  EXPECT_TRUE(st.ok()) << st.error();
}

}  // namespace
}  // namespace riposte::testing
