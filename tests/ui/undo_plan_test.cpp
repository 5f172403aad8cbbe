// What the UI offers to undo, read from run records.
#include "ui/undo_plan.h"

#include <gtest/gtest.h>

namespace riposte::ui {
namespace {

nlohmann::json step(const std::string& action, const std::string& status, const std::string& target,
                    const std::string& body) {
  return {{"action", action},
          {"status", status},
          {"targets", {"pods/shop/web-1", target}},
          {"requests", {{{"method", "PATCH"}, {"path", "/x"}, {"body", body}}}}};
}

TEST(UndoPlan, ScaleAndCordon) {
  nlohmann::json r = {{"kind", "run"},
                      {"steps",
                       {step("workload.scale", "succeeded", "deployments/shop/web",
                             R"([{"op":"test","path":"/spec/replicas","value":3},{"op":"add"}])"),
                        step("node.cordon", "succeeded", "nodes/n1", "{}"),
                        step("pod.delete", "succeeded", "pods/shop/web-1", ""),
                        step("node.cordon", "failed", "nodes/n2", "{}")}}};
  auto plan = undo_plan(r);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].undo, "workload.restore");
  EXPECT_EQ(plan[0].replicas, 3);
  EXPECT_EQ(plan[0].target, "deployments/shop/web");
  EXPECT_EQ(plan[1].undo, "node.uncordon");
  EXPECT_EQ(plan[1].step, 1u);
}

TEST(UndoPlan, IsolationAndFreeze) {
  const std::string freeze =
      R"({"id":"k","action":"container.freeze","node":"n1","container_id":"0123456789abcdef",)"
      R"("pid":0,"start_time_ns":0,"started_before_ns":0,"allow_host":false,"dry_run":false,)"
      R"("protected_namespaces":[],"allowed_namespaces":[],"playbook":"p"})";
  nlohmann::json frozen = {
      {"action", "container.freeze"},
      {"status", "succeeded"},
      {"targets", {"container 0123456789ab", "pod shop/web-1"}},
      {"requests",
       {{{"method", "REQUEST"}, {"path", "riposte.node.n1.action"}, {"body", freeze}}}}};
  nlohmann::json killed = frozen;
  killed["action"] = "container.kill";
  nlohmann::json r = {
      {"steps",
       {step("network.isolate", "succeeded", "networkpolicies/shop/riposte-isolate-u1", "{}"),
        frozen, killed}}};
  auto plan = undo_plan(r);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].undo, "network.unisolate");
  EXPECT_EQ(plan[0].target, "networkpolicies/shop/riposte-isolate-u1");
  EXPECT_EQ(plan[1].undo, "container.thaw");
  EXPECT_EQ(plan[1].target, "container 0123456789ab on node n1");
  EXPECT_EQ(plan[1].request, freeze);
  // A freeze whose request is not a container.freeze (a forged or odd record) is not undone.
  frozen["requests"][0]["body"] = R"({"action":"process.kill","node":"n1","container_id":"ab"})";
  EXPECT_TRUE(undo_plan({{"steps", {frozen}}}).empty());
}

TEST(UndoPlan, NothingForDryRunsOrOddRecords) {
  nlohmann::json r = {{"dry_run", true},
                      {"steps", {step("node.cordon", "succeeded", "nodes/n1", "{}")}}};
  EXPECT_TRUE(undo_plan(r).empty());
  EXPECT_TRUE(undo_plan(nlohmann::json::array()).empty());
  EXPECT_TRUE(undo_plan({{"steps", "x"}}).empty());
  // A scale whose recorded count cannot be read is not guessed.
  EXPECT_TRUE(undo_plan({{"steps", {step("workload.scale", "succeeded", "deployments/a/b", "[]")}}})
                  .empty());
}

}  // namespace
}  // namespace riposte::ui
