// Node actions against the real API server, run as riposte-responder. Each test makes its own
// kwok node (riposte-node-0 is shared with other tests and must stay schedulable and
// untainted) and puts its pods there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/responder/cluster_fixture.h"
#include "tests/support/test_util.h"

namespace riposte::actions {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;
using json = nlohmann::json;

class NodeActionsClusterTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    node_ = create_node();
    ASSERT_FALSE(create_pod("web-1", node_).empty());
  }
  json node() { return get("/api/v1/nodes/" + node_); }
  bool unschedulable() { return node()["spec"].value("unschedulable", false); }
  Alert alert() { return testing::shell_alert(ns_, "web-1"); }
  // Names of the namespace's pods on our node that are not being deleted.
  std::vector<std::string> pods_on_node() {
    std::vector<std::string> out;
    for (const auto& name : live_pods()) {
      if (get(pod_path(name))["spec"].value("nodeName", "") == node_) out.push_back(name);
    }
    return out;
  }

  std::string node_;
};

TEST_F(NodeActionsClusterTest, CordonUncordonAndTheirDryRunTwins) {
  ActionResult r = run("node.cordon", "{}", alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(r.requests.at(0).str(), "PATCH /api/v1/nodes/" + node_);
  EXPECT_FALSE(unschedulable());

  r = run("node.cordon", "{}", alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "cordoned node " + node_);
  EXPECT_TRUE(unschedulable());

  r = run("node.uncordon", "{}", alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_TRUE(unschedulable());
  r = run("node.uncordon", "{}", alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_FALSE(unschedulable());
  // The shared node was never touched.
  EXPECT_FALSE(get("/api/v1/nodes/" + cluster_.node_name)["spec"].value("unschedulable", false));
}

TEST_F(NodeActionsClusterTest, TaintIsPresentExactlyOnceAfterTwoRuns) {
  const std::string params = "{key: riposte.dev/compromised, value: 'true', effect: NoSchedule}";
  ActionResult r = run("node.taint", params, alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_FALSE(node()["spec"].contains("taints"));

  for (int i = 0; i < 2; ++i) {
    r = run("node.taint", params, alert());
    EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  }
  EXPECT_EQ(r.message, "node " + node_ + " already has taint riposte.dev/compromised=true:NoSchedule");
  int ours = 0;
  for (const auto& t : node()["spec"].value("taints", json::array())) {
    if (t.value("key", "") == "riposte.dev/compromised") {
      ++ours;
      EXPECT_EQ(t.value("effect", ""), "NoSchedule");
      EXPECT_EQ(t.value("value", ""), "true");
    }
  }
  EXPECT_EQ(ours, 1);
}

TEST_F(NodeActionsClusterTest, DrainLeavesOnlyDaemonSetPodsAndTheDryRunTwinNothing) {
  create_deployment("app", 2, node_);
  ASSERT_TRUE(deployment_ready("app", 2));
  json ds = {{"apiVersion", "apps/v1"},
             {"kind", "DaemonSet"},
             {"metadata", {{"name", "agent"}}},
             {"spec",
              {{"selector", {{"matchLabels", {{"app", "agent"}}}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "agent"}}}}},
                 {"spec",
                  {{"nodeSelector", {{"riposte.dev/test-node", node_}}},
                   {"containers",
                    {{{"name", "agent"}, {"image", "registry.k8s.io/pause:3.10"}}}}}}}}}}};
  ASSERT_TRUE(create(apps_path("daemonsets"), ds).ok());
  ASSERT_TRUE(eventually([&] { return live_pods("app=agent").size() == 1; }));
  const std::vector<std::string> before = pods_on_node();
  ASSERT_EQ(before.size(), 4u);  // web-1, two of app, one of agent

  ActionResult r = run("node.drain", "{timeout_seconds: 60}", alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_THAT(r.message, HasSubstr("would cordon node " + node_ + " and evict 3 pod(s)"));
  EXPECT_THAT(r.message, HasSubstr("(DaemonSet)"));
  EXPECT_FALSE(unschedulable());
  EXPECT_THAT(pods_on_node(), UnorderedElementsAreArray(before));

  r = run("node.drain", "{timeout_seconds: 60, grace_period_seconds: 0}", alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(r.message, HasSubstr("3 pod(s) evicted and gone"));
  EXPECT_TRUE(unschedulable());
  EXPECT_EQ(pods_on_node(), live_pods("app=agent"));
  EXPECT_EQ(live_pods("app=agent").size(), 1u);
}

}  // namespace
}  // namespace riposte::actions
