// Pod-level actions against the real API server, run as riposte-responder (the ServiceAccount
// bound to exactly deploy/rbac/responder-clusterrole.yaml): each does what it says, read back
// from the cluster, and its dry-run twin changes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>

#include "responder/actions/network_isolate.h"
#include "responder/actions/workload.h"
#include "tests/responder/cluster_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::actions {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

class PodActionsClusterTest : public testing::ClusterFixture {
 protected:
  Alert alert(const std::string& pod) { return testing::shell_alert(ns_, pod); }
  std::string label_of(const std::string& pod, const std::string& key) {
    json p = get(pod_path(pod));
    return p.is_object() ? p["metadata"].value("labels", json::object()).value(key, "") : "";
  }
  // A kubeconfig with riposte-responder's token, for the CLI to run with exactly its rights.
  std::string responder_kubeconfig() {
    const std::string path = riposte::testing::make_temp_dir("kubeconfig") + "/responder";
    const std::string ca = path + ".ca";
    std::ofstream(ca) << responder_config_.ca_pem;
    const std::string yaml =
        "apiVersion: v1\nkind: Config\ncurrent-context: r\nclusters:\n- name: c\n"
        "  cluster: {server: \"" +
        responder_config_.server + "\", certificate-authority: \"" + ca +
        "\"}\nusers:\n- name: u\n  user: {token: \"" + responder_config_.token +
        "\"}\ncontexts:\n- name: r\n  context: {cluster: c, user: u}\n";
    std::ofstream(path) << yaml;
    return path;
  }
};

TEST_F(PodActionsClusterTest, PodDeleteAndItsDryRunTwin) {
  ASSERT_FALSE(create_pod("web-1").empty());
  ActionResult r = run("pod.delete", "{grace_period_seconds: 0}", alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(r.requests.at(0).str(), "DELETE " + pod_path("web-1"));
  EXPECT_EQ(status_of(pod_path("web-1")), 200);

  r = run("pod.delete", "{grace_period_seconds: 0}", alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_TRUE(gone_within(pod_path("web-1"), std::chrono::seconds(30)));
}

// Talon's ignore_standalone_pods / ignore_daemonsets (as import-talon writes them): a bare pod
// is left alone under skip_standalone, a Deployment's pod is not a skipped kind and goes.
TEST_F(PodActionsClusterTest, PodDeleteLeavesPodsOfSkippedControllersAlone) {
  ASSERT_FALSE(create_pod("bare-1").empty());
  ActionResult r =
      run("pod.delete", "{skip_standalone: true, grace_period_seconds: 0}", alert("bare-1"));
  EXPECT_EQ(r.status, ActionResult::kSkipped) << r.message;
  EXPECT_THAT(r.message, HasSubstr("it has no controller (skip_standalone)"));
  EXPECT_EQ(get(pod_path("bare-1"))["metadata"].value("deletionTimestamp", ""), "");

  create_deployment("kept", 2);
  ASSERT_TRUE(deployment_ready("kept", 2));
  const std::string pod = live_pods("app=kept").at(0);
  r = run("pod.delete", "{skip_owner_kinds: [ReplicaSet], grace_period_seconds: 0}", alert(pod));
  EXPECT_EQ(r.status, ActionResult::kSkipped) << r.message;
  EXPECT_THAT(r.message, HasSubstr("it is controlled by ReplicaSet"));
  r = run("pod.delete",
          "{skip_owner_kinds: [DaemonSet, StatefulSet], skip_standalone: true, "
          "grace_period_seconds: 0}",
          alert(pod));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_TRUE(gone_within(pod_path(pod), std::chrono::seconds(30)));
}

TEST_F(PodActionsClusterTest, PodEvictAndItsDryRunTwin) {
  std::string uid = create_pod("web-1");
  ASSERT_FALSE(uid.empty());
  ActionResult r = run("pod.evict", "{}", alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(r.requests.at(0).str(), "POST " + pod_path("web-1") + "/eviction");
  EXPECT_EQ(get(pod_path("web-1"))["metadata"].value("deletionTimestamp", ""), "");

  r = run("pod.evict", "{grace_period_seconds: 0}", alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "evicted pod " + ns_ + "/web-1");
  EXPECT_TRUE(gone_within(pod_path("web-1"), std::chrono::seconds(30)));
}

TEST_F(PodActionsClusterTest, APodDisruptionBudgetBlocksTheEvictionWithAClearMessage) {
  create_deployment("web", 2);
  ASSERT_TRUE(deployment_ready("web", 2));
  json pdb = {{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"minAvailable", 2}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}}};
  ASSERT_TRUE(create("/apis/policy/v1/namespaces/" + ns_ + "/poddisruptionbudgets", pdb).ok());
  // The disruption controller must have counted the healthy pods before it can refuse.
  ASSERT_TRUE(eventually([&] {
    json p = get("/apis/policy/v1/namespaces/" + ns_ + "/poddisruptionbudgets/web");
    return p.is_object() && p["status"].value("currentHealthy", 0) == 2 &&
           p["status"].value("observedGeneration", 0) >= 1;
  }));
  const std::string pod = live_pods("app=web").at(0);
  ActionResult r = run("pod.evict", "{}", alert(pod));
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.message, "pod " + ns_ + "/" + pod +
                           " not evicted: refused by a PodDisruptionBudget: The disruption "
                           "budget web needs 2 healthy pods and has 2 currently");
  EXPECT_EQ(get(pod_path(pod))["metadata"].value("deletionTimestamp", ""), "");
}

TEST_F(PodActionsClusterTest, TheLastReadyReplicaIsKeptUnlessThePlaybookSaysSo) {
  create_deployment("solo", 1);
  ASSERT_TRUE(deployment_ready("solo", 1));
  const std::string pod = live_pods("app=solo").at(0);
  for (const char* action : {"pod.evict", "workload.scale"}) {
    ActionResult r = run(action, "{}", alert(pod));
    EXPECT_EQ(r.status, ActionResult::kSkipped) << action << ": " << r.message;
    EXPECT_THAT(r.message, HasSubstr("guardrails")) << action;
    EXPECT_THAT(r.message, HasSubstr("deployments/" + ns_ + "/solo")) << action;
  }
  ActionResult r = run("pod.delete", "{allow_last_replica: false}", alert(pod));
  EXPECT_EQ(r.status, ActionResult::kSkipped) << r.message;
  EXPECT_EQ(get(pod_path(pod))["metadata"].value("deletionTimestamp", ""), "");

  r = run("pod.evict", "{allow_last_replica: true, grace_period_seconds: 0}", alert(pod));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_TRUE(gone_within(pod_path(pod), std::chrono::seconds(30)));
}

TEST_F(PodActionsClusterTest, LabelAndAnnotateThePodAndItsNodeAndTheirDryRunTwins) {
  const std::string node = create_node();
  ASSERT_FALSE(create_pod("web-1", node).empty());
  const std::string params = "{labels: {riposte.dev/compromised: 'true'}}";
  ActionResult r = run("pod.label", params, alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(label_of("web-1", "riposte.dev/compromised"), "");
  r = run("pod.label", params, alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(label_of("web-1", "riposte.dev/compromised"), "true");

  r = run("pod.annotate", "{annotations: {riposte.dev/alert: 'Terminal shell: bash'}}", alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(get(pod_path("web-1"))["metadata"]["annotations"]["riposte.dev/alert"],
            "Terminal shell: bash");

  const std::string node_params = "{annotations: {riposte.dev/suspect: 'yes'}, level: node}";
  r = run("pod.annotate", node_params, alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_FALSE(get("/api/v1/nodes/" + node)["metadata"]["annotations"].contains("riposte.dev/suspect"));
  r = run("pod.annotate", node_params, alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "set 1 annotations on node " + node);
  EXPECT_EQ(get("/api/v1/nodes/" + node)["metadata"]["annotations"]["riposte.dev/suspect"], "yes");
}

TEST_F(PodActionsClusterTest, WorkloadScaleToZeroAndRestoreAndTheDryRunTwin) {
  create_deployment("web", 2);
  ASSERT_TRUE(deployment_ready("web", 2));
  const std::string pod = live_pods("app=web").at(0);
  const std::string params = "{replicas: 0, allow_last_replica: true}";
  ActionResult r = run("workload.scale", params, alert(pod), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(r.requests.size(), 2u);
  json d = get(apps_path("deployments", "web"));
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_FALSE(d["metadata"].value("annotations", json::object()).contains("riposte.dev/previous-replicas"));

  r = run("workload.scale", params, alert(pod));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  d = get(apps_path("deployments", "web"));
  EXPECT_EQ(d["spec"]["replicas"], 0);
  EXPECT_EQ(d["metadata"]["annotations"]["riposte.dev/previous-replicas"], "2");
  EXPECT_TRUE(eventually([&] { return live_pods("app=web").empty(); })) << "pods still there";

  // Back to where it was, as an operator would with `riposte` (restore_workload).
  auto w = parse_workload("deployments/" + ns_ + "/web");
  ASSERT_TRUE(w.ok()) << w.error();
  r = restore_workload(*responder_, {}, *w, /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(get(apps_path("deployments", "web"))["spec"]["replicas"], 0);
  // The real restore through the operator's command, as the README tells operators to.
  const char* bin = std::getenv("RIPOSTE_BINARY_DIR");
  ASSERT_NE(bin, nullptr);
  const std::string log = riposte::testing::make_temp_dir("restore") + "/riposte.log";
  auto cli = riposte::testing::Subprocess::spawn({std::string(bin) + "/bin/riposte", "workload", "restore",
                                "deployments/" + ns_ + "/web", "--kubeconfig", cluster_.kubeconfig},
                               {}, log);
  ASSERT_TRUE(cli.ok()) << cli.error();
  int status = -1;
  ASSERT_TRUE((*cli)->wait_exit(60000, &status)) << (*cli)->log_tail();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << (*cli)->log_tail();
  EXPECT_THAT(riposte::testing::read_file(log),
              HasSubstr("succeeded: restored deployments/" + ns_ + "/web to 2 replicas"));
  d = get(apps_path("deployments", "web"));
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_FALSE(d["metadata"]["annotations"].contains("riposte.dev/previous-replicas"));
  EXPECT_TRUE(deployment_ready("web", 2));
}

TEST_F(PodActionsClusterTest, NetworkIsolateSelectsExactlyThatPodAndIsIdempotent) {
  std::string uid = create_pod("web-1");
  ASSERT_FALSE(create_pod("web-2").empty());  // same labels: must not be selected
  const std::string nps = "/apis/networking.k8s.io/v1/namespaces/" + ns_ + "/networkpolicies";
  const std::string params = "{allow_namespaces: [forensics], allow_cidrs: [10.9.0.0/16]}";
  ActionResult r = run("network.isolate", params, alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(get(nps)["items"].size(), 0u);
  EXPECT_EQ(label_of("web-1", "riposte.dev/isolated"), "");

  for (int i = 0; i < 2; ++i) {
    r = run("network.isolate", params, alert("web-1"));
    EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  }
  json list = get(nps);
  ASSERT_EQ(list["items"].size(), 1u);
  const json& np = list["items"][0];
  EXPECT_EQ(np["metadata"]["name"], "riposte-isolate-" + uid);
  EXPECT_EQ(np["spec"]["policyTypes"], json::parse(R"(["Ingress","Egress"])"));
  // What the policy selects, asked of the API server with its own selector.
  std::string selector;
  for (const auto& [k, v] : np["spec"]["podSelector"]["matchLabels"].items()) {
    selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  }
  EXPECT_EQ(live_pods(selector), std::vector<std::string>{"web-1"});
  EXPECT_EQ(np["spec"]["ingress"][0]["from"].size(), 2u);
}

// The undo of network.isolate (the UI's undo, `riposte network unisolate`): exactly the
// policy the step named goes, with the pod's label; a policy that is not riposte's isolation
// of that pod is refused, and protected namespaces are skipped.
TEST_F(PodActionsClusterTest, UnisolateRemovesExactlyTheRecordedPolicyAndTheLabel) {
  const std::string uid = create_pod("web-1");
  const std::string uid2 = create_pod("web-2");
  ASSERT_FALSE(uid.empty() || uid2.empty());
  const std::string nps = "/apis/networking.k8s.io/v1/namespaces/" + ns_ + "/networkpolicies/";
  ActionResult r = run("network.isolate", "{}", alert("web-1"));
  ASSERT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  ASSERT_EQ(run("network.isolate", "{}", alert("web-2")).status, ActionResult::kSucceeded);
  // The policy as the run's audit record names it (the step's targets).
  const std::string target = r.targets.back();
  ASSERT_EQ(target, "networkpolicies/" + ns_ + "/riposte-isolate-" + uid);

  Guardrails guard;
  guard.protected_namespaces = {ns_};
  r = unisolate(*responder_, guard, target);
  EXPECT_EQ(r.status, ActionResult::kSkipped) << r.message;
  EXPECT_THAT(r.message, HasSubstr("protected"));
  r = unisolate(*responder_, {}, target, /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[0].str(), "DELETE " + nps + "riposte-isolate-" + uid);
  EXPECT_THAT(r.requests[0].body, HasSubstr("\"preconditions\""));
  EXPECT_TRUE(get(nps + "riposte-isolate-" + uid).is_object());

  // The real undo through the operator's command (the UI runs the same function).
  const char* bin = std::getenv("RIPOSTE_BINARY_DIR");
  ASSERT_NE(bin, nullptr);
  const std::string log = riposte::testing::make_temp_dir("unisolate") + "/riposte.log";
  auto cli = riposte::testing::Subprocess::spawn(
      {std::string(bin) + "/bin/riposte", "network", "unisolate", target, "--kubeconfig",
       responder_kubeconfig()},
      {}, log);
  ASSERT_TRUE(cli.ok()) << cli.error();
  int status = -1;
  ASSERT_TRUE((*cli)->wait_exit(60000, &status)) << (*cli)->log_tail();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << (*cli)->log_tail();
  EXPECT_THAT(
      riposte::testing::read_file(log),
      HasSubstr("succeeded: removed " + target + " and its label on pod " + ns_ + "/web-1"));
  EXPECT_EQ(status_of(nps + "riposte-isolate-" + uid), 404);
  EXPECT_EQ(label_of("web-1", "riposte.dev/isolated"), "");
  // The other pod's isolation is untouched.
  EXPECT_EQ(status_of(nps + "riposte-isolate-" + uid2), 200);
  EXPECT_EQ(label_of("web-2", "riposte.dev/isolated"), uid2);
  // Again: nothing left to remove.
  EXPECT_EQ(unisolate(*responder_, {}, target).status, ActionResult::kSkipped);

  // A policy of that name that selects something else is not riposte's to remove.
  json np = get(nps + "riposte-isolate-" + uid2);
  np["spec"]["podSelector"]["matchLabels"] = {{"app", "web"}};
  np["metadata"].erase("managedFields");
  auto put =
      kube_->request({.method = "PUT", .path = nps + "riposte-isolate-" + uid2, .body = np.dump()});
  ASSERT_TRUE(put.ok() && put->status == 200) << (put.ok() ? put->body : put.error());
  r = unisolate(*responder_, {}, "networkpolicies/" + ns_ + "/riposte-isolate-" + uid2);
  EXPECT_EQ(r.status, ActionResult::kFailed) << r.message;
  EXPECT_THAT(r.message, HasSubstr("podSelector"));
  EXPECT_EQ(status_of(nps + "riposte-isolate-" + uid2), 200);
}

TEST_F(PodActionsClusterTest, EventCreateIsListedForThePodAndTheDryRunTwinCreatesNone) {
  ASSERT_FALSE(create_pod("web-1").empty());
  auto events = [&] {
    kube::KubeRequest req{.method = "GET", .path = "/api/v1/namespaces/" + ns_ + "/events"};
    req.query = {{"fieldSelector", "involvedObject.kind=Pod,involvedObject.name=web-1,reason=ShellInContainer"}};
    auto res = kube_->request(req);
    return res.ok() ? json::parse(res->body)["items"] : json::array();
  };
  const std::string params = "{reason: ShellInContainer, message: 'a shell in web-1'}";
  ActionResult r = run("event.create", params, alert("web-1"), true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  EXPECT_EQ(events().size(), 0u);
  r = run("event.create", params, alert("web-1"));
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  json list = events();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["message"], "a shell in web-1");
  EXPECT_EQ(list[0]["type"], "Warning");
  EXPECT_EQ(list[0]["involvedObject"]["uid"], get(pod_path("web-1"))["metadata"]["uid"]);
}

}  // namespace
}  // namespace riposte::actions
