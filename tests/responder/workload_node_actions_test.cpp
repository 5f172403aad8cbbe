// workload.scale (+ restore_workload) and the node actions against a scripted API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/actions/workload.h"
#include "tests/responder/action_test_util.h"

namespace riposte::actions {
namespace {

using testing::FakeApi;
using testing::kPodPath;
using testing::pod_json;
using testing::run_action;
using testing::status_body;
using testing::workload_json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kRs[] = "/apis/apps/v1/namespaces/shop/replicasets/web-7d4b9";
constexpr char kDeploy[] = "/apis/apps/v1/namespaces/shop/deployments/web";
constexpr char kNode[] = "/api/v1/nodes/node-a";

void deployment_pod(FakeApi* api, int replicas, int ready) {
  api->on("GET", kPodPath, 200,
          pod_json({.owner_kind = "ReplicaSet", .owner_name = "web-7d4b9"}));
  api->on("GET", kRs, 200, workload_json("ReplicaSet", "web-7d4b9", replicas, ready, "web"));
  api->on("GET", kDeploy, 200, workload_json("Deployment", "web", replicas, ready));
}

TEST(WorkloadScaleTest, FindsTheDeploymentRecordsTheCountAndScales) {
  FakeApi api;
  deployment_pod(&api, 3, 3);
  api.on("PATCH", kDeploy, 200);
  api.on("PATCH", std::string(kDeploy) + "/scale", 200);
  ActionResult r = run_action("workload.scale", "{allow_last_replica: true}", api,
                              testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message,
            "scaled deployments/shop/web from 3 to 0 replicas (previous count in "
            "riposte.dev/previous-replicas)");
  EXPECT_EQ(r.targets, (std::vector<std::string>{"pods/shop/web-1", "deployments/shop/web"}));
  EXPECT_THAT(api.writes(), ElementsAre(std::string("PATCH ") + kDeploy,
                                        std::string("PATCH ") + kDeploy + "/scale"));
  const kube::KubeRequest* record = api.last("PATCH", kDeploy);
  EXPECT_EQ(record->content_type, "application/json-patch+json");
  EXPECT_EQ(json::parse(record->body), json::parse(R"([
      {"op":"test","path":"/spec/replicas","value":3},
      {"op":"add","path":"/metadata/annotations","value":{}},
      {"op":"add","path":"/metadata/annotations/riposte.dev~1previous-replicas","value":"3"},
      {"op":"add","path":"/metadata/annotations/riposte.dev~1scaled-by","value":"test-playbook"}])"));
  EXPECT_EQ(api.last("PATCH", std::string(kDeploy) + "/scale")->body, R"({"spec":{"replicas":0}})");
}

TEST(WorkloadScaleTest, GuardrailsDryRunAndNothingToDo) {
  FakeApi api;
  deployment_pod(&api, 3, 3);
  ActionResult r = run_action("workload.scale", "{}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(r.message,
            "not scaling deployments/shop/web to 0: guardrails: it has 3 ready pod(s) (set "
            "allow_last_replica: true to allow)");
  // Scaling down but not to zero keeps ready pods: allowed.
  r = run_action("workload.scale", "{replicas: 1}", api, testing::shell_alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(r.message, "would scale deployments/shop/web from 3 to 1 replicas");
  EXPECT_EQ(r.requests.size(), 2u);
  EXPECT_TRUE(api.writes().empty());
  r = run_action("workload.scale", "{replicas: 3}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_EQ(r.message, "deployments/shop/web already at 3 replicas");
  EXPECT_TRUE(api.writes().empty());
}

TEST(WorkloadScaleTest, StatefulSetsBareReplicaSetsAndOthers) {
  FakeApi sts;
  sts.on("GET", kPodPath, 200, pod_json({.owner_kind = "StatefulSet", .owner_name = "db"}));
  sts.on("GET", "/apis/apps/v1/namespaces/shop/statefulsets/db", 200,
         workload_json("StatefulSet", "db", 2, 0));
  ActionResult r = run_action("workload.scale", "{}", sts, testing::shell_alert(), true);
  EXPECT_EQ(r.message, "would scale statefulsets/shop/db from 2 to 0 replicas");

  FakeApi rs;
  rs.on("GET", kPodPath, 200, pod_json({.owner_kind = "ReplicaSet", .owner_name = "web-7d4b9"}));
  rs.on("GET", kRs, 200, workload_json("ReplicaSet", "web-7d4b9", 2, 0));
  r = run_action("workload.scale", "{}", rs, testing::shell_alert(), true);
  EXPECT_EQ(r.message, "would scale replicasets/shop/web-7d4b9 from 2 to 0 replicas");

  FakeApi ds;
  ds.on("GET", kPodPath, 200, pod_json({.owner_kind = "DaemonSet", .owner_name = "agent"}));
  r = run_action("workload.scale", "{}", ds, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("is controlled by DaemonSet \"agent\""));

  FakeApi bare;
  bare.on("GET", kPodPath, 200, pod_json({}));
  r = run_action("workload.scale", "{}", bare, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("has no controller"));

  // An owner reference whose name is not a valid name is not followed.
  FakeApi odd;
  odd.on("GET", kPodPath, 200, pod_json({.owner_kind = "ReplicaSet", .owner_name = "../x"}));
  r = run_action("workload.scale", "{}", odd, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(odd.calls.size(), 1u);
}

TEST(RestoreWorkloadTest, ScalesBackAndForgetsTheRecord) {
  FakeApi api;
  json d = workload_json("Deployment", "web", 0, 0);
  d["metadata"]["annotations"] = {{"riposte.dev/previous-replicas", "3"}};
  api.on("GET", kDeploy, 200, d);
  api.on("PATCH", std::string(kDeploy) + "/scale", 200);
  api.on("PATCH", kDeploy, 200);
  auto w = parse_workload("deployments/shop/web");
  ASSERT_TRUE(w.ok()) << w.error();
  ActionResult r = restore_workload(api, {}, *w);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "restored deployments/shop/web to 3 replicas");
  EXPECT_EQ(api.last("PATCH", std::string(kDeploy) + "/scale")->body, R"({"spec":{"replicas":3}})");
  EXPECT_EQ(api.last("PATCH", kDeploy)->body,
            R"({"metadata":{"annotations":{"riposte.dev/previous-replicas":null}}})");

  EXPECT_FALSE(parse_workload("deployments/kube-system").ok());
  EXPECT_FALSE(parse_workload("pods/shop/web").ok());
  EXPECT_FALSE(parse_workload("deployment/shop/../x").ok());
  EXPECT_EQ(restore_workload(api, {}, *parse_workload("deployment/kube-system/dns")).status,
            ActionResult::kSkipped);
  FakeApi none;
  none.on("GET", kDeploy, 200, workload_json("Deployment", "web", 2, 2));
  EXPECT_EQ(restore_workload(none, {}, *w).status, ActionResult::kSkipped);
}

TEST(NodeActionsTest, CordonAndUncordonPatchThePodsNode) {
  for (bool cordon : {true, false}) {
    FakeApi api;
    api.on("GET", kPodPath, 200, pod_json({}));
    api.on("PATCH", kNode, 200);
    ActionResult r = run_action(cordon ? "node.cordon" : "node.uncordon", "{}", api,
                                testing::shell_alert());
    EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
    EXPECT_EQ(r.message, cordon ? "cordoned node node-a" : "uncordoned node node-a");
    EXPECT_EQ(api.last("PATCH", kNode)->body,
              cordon ? R"({"spec":{"unschedulable":true}})" : R"({"spec":{"unschedulable":false}})");
  }
  FakeApi gone;
  ActionResult r = run_action("node.cordon", "{}", gone, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_EQ(r.message, "cannot find the node: pod shop/web-1 already gone");
}

TEST(NodeTaintTest, AddsOnceAndUpdatesInPlace) {
  json node = {{"metadata", {{"name", "node-a"}, {"resourceVersion", "7"}}},
               {"spec", {{"taints", {{{"key", "other"}, {"effect", "NoExecute"}}}}}}};
  FakeApi api;
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("GET", kNode, 200, node);
  api.on("PATCH", kNode, 200);
  ActionResult r = run_action("node.taint", "{key: riposte.dev/compromised, effect: NoSchedule}",
                              api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "tainted node node-a with riposte.dev/compromised:NoSchedule");
  EXPECT_EQ(json::parse(api.last("PATCH", kNode)->body),
            json::parse(R"({"metadata":{"resourceVersion":"7"},"spec":{"taints":[
                {"key":"other","effect":"NoExecute"},
                {"key":"riposte.dev/compromised","effect":"NoSchedule"}]}})"));

  // Already there: nothing sent. Another value: replaced, not added.
  node["spec"]["taints"].push_back({{"key", "riposte.dev/compromised"}, {"effect", "NoSchedule"}});
  FakeApi again;
  again.on("GET", kPodPath, 200, pod_json({}));
  again.on("GET", kNode, 200, node);
  r = run_action("node.taint", "{key: riposte.dev/compromised, effect: NoSchedule}", again,
                 testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_EQ(r.message, "node node-a already has taint riposte.dev/compromised:NoSchedule");
  EXPECT_TRUE(again.writes().empty());
  again.on("PATCH", kNode, 409, json::parse(status_body(409, "Conflict", "the object has been modified")));
  r = run_action("node.taint", "{key: riposte.dev/compromised, value: 'yes', effect: NoSchedule}",
                 again, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_TRUE(r.retryable);
  json taints = json::parse(again.last("PATCH", kNode)->body)["spec"]["taints"];
  ASSERT_EQ(taints.size(), 2u);
  EXPECT_EQ(taints[1], json::parse(R"({"key":"riposte.dev/compromised","effect":"NoSchedule","value":"yes"})"));
}

TEST(NodeDrainTest, CordonsEvictsTheRightPodsAndWaits) {
  FakeApi api;
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("PATCH", kNode, 200);
  json ds_pod = pod_json({.name = "agent-x", .uid = "u1", .owner_kind = "DaemonSet", .owner_name = "agent"});
  json mirror = pod_json({.ns = "shop", .name = "static-node-a", .uid = "u2"});
  mirror["metadata"]["annotations"] = {{"kubernetes.io/config.mirror", "abc"}};
  json system = pod_json({.ns = "kube-system", .name = "dns-1", .uid = "u3"});
  json done = pod_json({.name = "job-1", .uid = "u4"});
  done["status"]["phase"] = "Succeeded";
  json web = pod_json({});
  json list = {{"items", {ds_pod, mirror, system, done, web}}};
  api.on("GET", "/api/v1/pods", 200, list);
  api.on("POST", "/api/v1/namespaces/shop/pods/web-1/eviction", 201);

  ActionResult r = run_action("node.drain", "{timeout_seconds: 5}", api, testing::shell_alert(), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun);
  EXPECT_EQ(r.message,
            "would cordon node node-a and evict 1 pod(s); left on it: shop/agent-x (DaemonSet), "
            "shop/static-node-a (mirror), kube-system/dns-1 (guardrails), shop/job-1 (finished)");
  EXPECT_TRUE(api.writes().empty());
  EXPECT_EQ(kube::request_target(*api.last("GET", "/api/v1/pods")),
            "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a");

  // For real: the pod is still there once, then gone.
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("GET", kPodPath, 404, json::parse(status_body(404, "NotFound", "gone")));
  r = run_action("node.drain", "{timeout_seconds: 5}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(r.message, HasSubstr("node node-a: cordoned, 1 pod(s) evicted and gone"));
  EXPECT_THAT(api.writes(), ElementsAre(std::string("PATCH ") + kNode,
                                        "POST /api/v1/namespaces/shop/pods/web-1/eviction"));
}

TEST(NodeDrainTest, TimesOutOnPodsThatStay) {
  FakeApi api;
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("PATCH", kNode, 200);
  api.on("GET", "/api/v1/pods", 200, {{"items", {pod_json({})}}});
  api.on("POST", "/api/v1/namespaces/shop/pods/web-1/eviction", 201);
  // The pod never goes: only the drain's own timeout ends the action (a drain that ignored it
  // would hang until ctest's timeout, failing the test), which the message names.
  ActionResult r = run_action("node.drain", "{timeout_seconds: 1}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_THAT(r.message, HasSubstr("still terminating after 1s: shop/web-1"));
}

}  // namespace
}  // namespace riposte::actions
