// pod.evict, pod.delete's last-replica guard, pod.label / pod.annotate, network.isolate and
// event.create against a scripted API: the exact requests and how answers become results.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

constexpr char kEviction[] = "/api/v1/namespaces/shop/pods/web-1/eviction";
constexpr char kRs[] = "/apis/apps/v1/namespaces/shop/replicasets/web-7d4b9";
constexpr char kDeploy[] = "/apis/apps/v1/namespaces/shop/deployments/web";

// A pod of Deployment web (through ReplicaSet web-7d4b9) with `ready` ready replicas.
void deployment_pod(FakeApi* api, int ready) {
  api->on("GET", kPodPath, 200,
          pod_json({.owner_kind = "ReplicaSet", .owner_name = "web-7d4b9"}));
  api->on("GET", kRs, 200, workload_json("ReplicaSet", "web-7d4b9", 2, ready, "web"));
  api->on("GET", kDeploy, 200, workload_json("Deployment", "web", 2, ready));
}

TEST(PodEvictTest, EvictsThroughTheEvictionApiWithTheUidItChecked) {
  FakeApi api;
  deployment_pod(&api, 2);
  api.on("POST", kEviction, 201);
  ActionResult r = run_action("pod.evict", "{grace_period_seconds: 5}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "evicted pod shop/web-1");
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(json::parse(r.requests[0].body),
            json::parse(R"({"apiVersion":"policy/v1","kind":"Eviction",
              "metadata":{"name":"web-1","namespace":"shop"},
              "deleteOptions":{"gracePeriodSeconds":5,
                "preconditions":{"uid":"0f8e4b4c-7a4b-4c39-9a4e-0123456789ab"}}})"));
}

TEST(PodEvictTest, ADisruptionBudgetRefusalIsReportedAsSuch) {
  FakeApi api;
  deployment_pod(&api, 2);
  json refusal = json::parse(status_body(429, "TooManyRequests",
                                         "Cannot evict pod as it would violate the pod's "
                                         "disruption budget."));
  refusal["details"] = {{"causes",
                         {{{"reason", "DisruptionBudget"},
                           {"message", "The disruption budget web needs 2 healthy pods and has "
                                       "2 currently"}}}}};
  api.on("POST", kEviction, 429, refusal);
  ActionResult r = run_action("pod.evict", "{}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_EQ(r.message,
            "pod shop/web-1 not evicted: refused by a PodDisruptionBudget: The disruption "
            "budget web needs 2 healthy pods and has 2 currently");
  EXPECT_TRUE(r.retryable);
}

TEST(PodEvictTest, TheLastReadyPodOfAWorkloadIsKeptUnlessAllowed) {
  FakeApi api;
  deployment_pod(&api, 1);
  api.on("POST", kEviction, 201);
  ActionResult r = run_action("pod.evict", "{}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(r.message,
            "not evicting pod shop/web-1: guardrails: it is the last ready pod of "
            "deployments/shop/web (set allow_last_replica: true to allow)");
  EXPECT_TRUE(api.writes().empty());

  r = run_action("pod.evict", "{allow_last_replica: true}", api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(api.writes(), ElementsAre(std::string("POST ") + kEviction));
}

TEST(PodEvictTest, GoneOrNotReadyPods) {
  FakeApi gone;
  ActionResult r = run_action("pod.evict", "{}", gone, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_EQ(r.message, "pod shop/web-1 already gone");

  // A pod that is not ready costs no availability: no owner lookup, evicted.
  FakeApi not_ready;
  not_ready.on("GET", kPodPath, 200,
               pod_json({.owner_kind = "ReplicaSet", .owner_name = "web-7d4b9", .ready = false}));
  not_ready.on("POST", kEviction, 201);
  r = run_action("pod.evict", "{}", not_ready, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(not_ready.calls.size(), 2u);
}

TEST(PodDeleteTest, LastReplicaGuardIsOptIn) {
  FakeApi api;
  deployment_pod(&api, 1);
  ActionResult r = run_action("pod.delete", "{allow_last_replica: false}", api,
                              testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("not deleting pod shop/web-1: guardrails: it is the last"));
  // Bare pods have no workload to keep alive.
  FakeApi bare;
  bare.on("GET", kPodPath, 200, pod_json({}));
  bare.on("DELETE", kPodPath, 200);
  r = run_action("pod.delete", "{allow_last_replica: false}", bare, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
}

// Talon's ignore_daemonsets / ignore_statefulsets / ignore_standalone_pods: the pod is read
// and left alone when its controller is of a kind the playbook skips, or when it has none.
TEST(PodDeleteTest, PodsOfSkippedControllersAreLeftAlone) {
  FakeApi ds;
  ds.on("GET", kPodPath, 200, pod_json({.owner_kind = "DaemonSet", .owner_name = "agent"}));
  ds.on("DELETE", kPodPath, 200);
  ActionResult r = run_action("pod.delete", "{skip_owner_kinds: [DaemonSet, StatefulSet]}", ds,
                              testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(r.message,
            "not deleting pod shop/web-1: it is controlled by DaemonSet \"agent\" "
            "(skip_owner_kinds)");
  EXPECT_TRUE(ds.writes().empty());

  FakeApi bare;
  bare.on("GET", kPodPath, 200, pod_json({}));
  bare.on("DELETE", kPodPath, 200);
  r = run_action("pod.delete", "{skip_standalone: true}", bare, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(r.message, "not deleting pod shop/web-1: it has no controller (skip_standalone)");
  EXPECT_TRUE(bare.writes().empty());

  // A kind not in the list (and a pod with a controller under skip_standalone) goes.
  FakeApi rs;
  rs.on("GET", kPodPath, 200, pod_json({.owner_kind = "ReplicaSet", .owner_name = "web-7d4b9"}));
  rs.on("DELETE", kPodPath, 200);
  r = run_action("pod.delete", "{skip_owner_kinds: [DaemonSet], skip_standalone: true}", rs,
                 testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(rs.writes(), ElementsAre(std::string("DELETE ") + kPodPath));
}

TEST(PodLabelTest, MergePatchesThePodOrItsNode) {
  FakeApi api;
  api.on("PATCH", kPodPath, 200, pod_json({}));
  ActionResult r = run_action("pod.label", "{labels: {riposte.dev/compromised: 'true', tier: ''}}",
                              api, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "set 2 labels on pod shop/web-1");
  const kube::KubeRequest* patch = api.last("PATCH", kPodPath);
  ASSERT_NE(patch, nullptr);
  EXPECT_EQ(patch->content_type, "application/merge-patch+json");
  EXPECT_EQ(patch->body, R"({"metadata":{"labels":{"riposte.dev/compromised":"true","tier":""}}})");

  FakeApi node;
  node.on("GET", kPodPath, 200, pod_json({.node = "node-a"}));
  node.on("PATCH", "/api/v1/nodes/node-a", 200);
  r = run_action("pod.annotate", "{annotations: {riposte.dev/alert: 'a shell: bash'}, level: node}",
                 node, testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "set 1 annotations on node node-a");
  EXPECT_EQ(r.targets, (std::vector<std::string>{"pods/shop/web-1", "nodes/node-a"}));
  EXPECT_EQ(node.last("PATCH", "/api/v1/nodes/node-a")->body,
            R"({"metadata":{"annotations":{"riposte.dev/alert":"a shell: bash"}}})");
}

TEST(PodLabelTest, DryRunRecordsThePatchAndSendsNothing) {
  FakeApi api;
  ActionResult r =
      run_action("pod.label", "{labels: {a: b}}", api, testing::shell_alert(), /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun);
  EXPECT_TRUE(api.calls.empty());
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].str(), std::string("PATCH ") + kPodPath);
}

TEST(NetworkIsolateTest, AppliesAPolicyThenLabelsThePod) {
  FakeApi api;
  const std::string uid = "0f8e4b4c-7a4b-4c39-9a4e-0123456789ab";
  const std::string np = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/riposte-isolate-" + uid;
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("PATCH", np, 200);
  api.on("PATCH", kPodPath, 200);
  ActionResult r = run_action("network.isolate",
                              "{allow_cidrs: [10.1.0.0/16], allow_namespaces: [forensics]}", api,
                              testing::shell_alert());
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(api.writes(), ElementsAre("PATCH " + np, std::string("PATCH ") + kPodPath));
  const kube::KubeRequest* apply = api.last("PATCH", np);
  EXPECT_EQ(apply->content_type, "application/apply-patch+yaml");
  EXPECT_EQ(kube::request_target(*apply), np + "?fieldManager=riposte-responder&force=true");
  json spec = json::parse(apply->body)["spec"];
  EXPECT_EQ(spec["podSelector"], json::parse(R"({"matchLabels":{"riposte.dev/isolated":")" + uid + R"("}})"));
  EXPECT_EQ(spec["policyTypes"], json::parse(R"(["Ingress","Egress"])"));
  const json peers = json::parse(R"([{"ipBlock":{"cidr":"10.1.0.0/16"}},
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"forensics"}}}])");
  EXPECT_EQ(spec["ingress"][0]["from"], peers);
  EXPECT_EQ(spec["egress"][0]["to"], peers);
  EXPECT_EQ(json::parse(api.last("PATCH", kPodPath)->body),
            json::parse(R"({"metadata":{"uid":")" + uid +
                        R"(","labels":{"riposte.dev/isolated":")" + uid + R"("}}})"));

  // Nothing allowed: no rules at all, which denies everything.
  FakeApi deny;
  deny.on("GET", kPodPath, 200, pod_json({}));
  r = run_action("network.isolate", "{}", deny, testing::shell_alert(), /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun);
  ASSERT_EQ(r.requests.size(), 2u);
  spec = json::parse(r.requests[0].body)["spec"];
  EXPECT_EQ(spec["ingress"], json::array());
  EXPECT_EQ(spec["egress"], json::array());
  EXPECT_EQ(deny.calls.size(), 1u);  // the GET
}

TEST(EventCreateTest, PostsACoreEventOnThePod) {
  FakeApi api;
  api.on("GET", kPodPath, 200, pod_json({}));
  api.on("POST", "/api/v1/namespaces/shop/events", 201,
         {{"metadata", {{"name", "web-1.riposte-x7k2p"}}}});
  Alert a = testing::shell_alert();
  a.output = "A shell was spawned (user=root)";
  ActionResult r = run_action("event.create", "{reason: ShellInContainer, type: Warning}", api, a);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "recorded event ShellInContainer on pod shop/web-1");
  json ev = json::parse(api.last("POST", "/api/v1/namespaces/shop/events")->body);
  EXPECT_EQ(ev["involvedObject"],
            json::parse(R"({"apiVersion":"v1","kind":"Pod","namespace":"shop","name":"web-1",
                            "uid":"0f8e4b4c-7a4b-4c39-9a4e-0123456789ab"})"));
  EXPECT_EQ(ev["metadata"]["generateName"], "web-1.riposte-");
  EXPECT_EQ(ev["reason"], "ShellInContainer");
  EXPECT_EQ(ev["type"], "Warning");
  EXPECT_EQ(ev["message"],
            "riposte playbook test-playbook: Terminal shell in container: A shell was spawned "
            "(user=root)");
  EXPECT_EQ(r.targets.back(), "events/shop/web-1.riposte-x7k2p");
}

TEST(EventCreateTest, LongMessagesAreCutOnACharacterBoundary) {
  FakeApi api;
  api.on("GET", kPodPath, 200, pod_json({}));
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "é";  // 1200 bytes
  ActionResult r = run_action("event.create", "{reason: X, message: '" + long_text + "'}", api,
                              testing::shell_alert(), /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun);
  std::string msg = json::parse(r.requests[0].body)["message"];
  EXPECT_EQ(msg.size(), 1024u);
}

// pod.logs: bounds checked at load; the containers it reads; dry-run reads no log; the
// guardrails before any request. (Fetching real logs: node_actions_e2e_test, real node.)
TEST(PodLogsTest, ParamsContainersDryRunAndGuardrails) {
  using testing::param_errors;
  EXPECT_EQ(param_errors("pod.logs", "{}"), std::vector<std::string>{});
  EXPECT_EQ(param_errors("pod.logs", "{tail_lines: 0}").size(), 1u);
  EXPECT_EQ(param_errors("pod.logs", "{limit_bytes: 131073}").size(), 1u);
  EXPECT_EQ(param_errors("pod.logs", "{container: ../x}").size(), 1u);
  EXPECT_EQ(param_errors("pod.logs", "{lines: 3}").size(), 1u);

  FakeApi api;
  json pod = pod_json({});
  pod["spec"]["containers"] = {{{"name", "app"}}, {{"name", "sidecar"}}};
  api.on("GET", kPodPath, 200, pod);
  Alert alert = testing::shell_alert();
  ActionResult r = run_action("pod.logs", "{tail_lines: 5, limit_bytes: 1000}", api, alert, true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  ASSERT_EQ(r.requests.size(), 2u);  // every container when the alert names none of them
  EXPECT_EQ(r.requests[0].str(),
            std::string("GET ") + kPodPath + "/log?container=app&tailLines=5&limitBytes=1000");
  EXPECT_EQ(api.calls.size(), 1u) << "only the pod was read";
  alert.output_fields["container.name"] = "sidecar";
  r = run_action("pod.logs", "{}", api, alert, true);
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_THAT(r.requests[0].path, HasSubstr("container=sidecar"));
  r = run_action("pod.logs", "{container: nope}", api, alert, true);
  EXPECT_EQ(r.status, ActionResult::kFailed);

  Guardrails guard;
  guard.protected_namespaces = {"shop"};
  FakeApi none;
  r = run_action("pod.logs", "{}", none, alert, false, guard);
  EXPECT_EQ(r.status, ActionResult::kSkipped) << r.message;
  EXPECT_TRUE(none.calls.empty());
}

}  // namespace
}  // namespace riposte::actions
