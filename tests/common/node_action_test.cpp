// The node action contract (common/node_action.h): subjects that alert values cannot widen,
// and strict parsing of requests (untrusted on the node) and replies.
#include "common/node_action.h"

#include <gtest/gtest.h>

namespace riposte {
namespace {

TEST(NodeActionSubject, OneTokenPerNodeWhateverItsName) {
  EXPECT_EQ(*node_action_subject("node-a"), "riposte.node.node-a.action");
  // Dots would split the subject's node token: they map to '_', which no node name has.
  EXPECT_EQ(*node_action_subject("ip-10-0-0-1.ec2.internal"),
            "riposte.node.ip-10-0-0-1_ec2_internal.action");
  for (const char* bad : {"", "*", ">", "a.*", "a b", "node.>", "A", "a..b", ".a", "a_b"}) {
    EXPECT_FALSE(node_action_subject(bad).ok()) << bad;
  }
}

TEST(NodeActionRequest, RoundTrips) {
  NodeActionRequest q;
  q.id = "run/0";
  q.action = NodeAction::kContainerFreeze;
  q.node = "node-a";
  q.pid = 4242;
  q.start_time_ns = 1700000000123456789;
  q.container_id = "0123456789ab";
  q.protected_namespaces = {"kube-system"};
  q.allowed_namespaces = {"shop"};
  q.dry_run = true;
  q.playbook = "freeze";
  auto back = parse_node_action_request(to_json(q).dump());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(to_json(*back), to_json(q));
}

TEST(NodeActionRequest, RefusesWhatCannotNameOneTargetSafely) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {R"({"action":"process.kill","node":"n","pid":1,"start_time_ns":1})", "\"id\" is missing"},
      {R"({"id":"x","action":"rm -rf","node":"n"})", "is not a node action"},
      {R"({"id":"x","action":"process.kill","node":"n.*","pid":5,"start_time_ns":1})",
       "is not a node name"},
      // A bare pid could be anybody's by now.
      {R"({"id":"x","action":"process.kill","node":"n","pid":5})", "needs \"start_time_ns\""},
      {R"({"id":"x","action":"process.kill","node":"n"})", "\"pid\" is required"},
      {R"({"id":"x","action":"process.kill","node":"n","pid":"5","start_time_ns":1})",
       "must be an integer"},
      {R"({"id":"x","action":"process.kill","node":"n","pid":-5,"start_time_ns":1})",
       "out of range"},
      {R"({"id":"x","action":"container.kill","node":"n"})", "\"container_id\" or \"pid\""},
      {R"({"id":"x","action":"container.kill","node":"n","container_id":"../../etc"})",
       "hex digits"},
      {R"({"id":"x","action":"container.kill","node":"n","container_id":"0123456789ab","cgroup":"/x"})",
       "\"cgroup\" is not a known key"},
      {R"({"id":"x","action":"process.kill","node":"n","pid":5,"start_time_ns":1,"allow_host":"yes"})",
       "must be true or false"},
  };
  for (const auto& [json, why] : cases) {
    auto q = parse_node_action_request(json);
    ASSERT_FALSE(q.ok()) << json;
    EXPECT_NE(q.error().find(why), std::string::npos) << json << " -> " << q.error();
  }
  EXPECT_FALSE(parse_node_action_request(std::string(kMaxNodeActionRequestBytes + 1, ' ')).ok());
}

TEST(NodeActionReply, RoundTripsAndRefusesUnknownOutcomes) {
  NodeActionReply r;
  r.id = "x";
  r.outcome = NodeActionReply::kDone;
  r.reason = "froze container 0123456789ab";
  r.targets = {"container 0123456789ab"};
  r.detail = {{"k", 1}};
  auto back = parse_node_action_reply(to_json(r).dump());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(to_json(*back), to_json(r));
  EXPECT_FALSE(parse_node_action_reply(R"({"id":"x","outcome":"maybe"})").ok());
  EXPECT_FALSE(parse_node_action_reply(R"({"outcome":"done"})").ok());
}

}  // namespace
}  // namespace riposte
