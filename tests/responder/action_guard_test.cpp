// What every Kubernetes action shares: hostile alert values and protected namespaces never
// reach the API server, and bad params are refused when the playbook loads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/actions/registry.h"
#include "tests/responder/action_test_util.h"

namespace riposte::actions {
namespace {

using testing::FakeApi;
using testing::param_errors;
using testing::run_action;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StrictMock;

// Every action that talks to Kubernetes, with params that load.
const std::vector<std::pair<std::string, std::string>>& kube_actions() {
  static const std::vector<std::pair<std::string, std::string>> all = {
      {"pod.delete", "{allow_last_replica: false}"},
      {"pod.evict", "{}"},
      {"pod.label", "{labels: {riposte.dev/compromised: 'true'}}"},
      {"pod.annotate", "{annotations: {riposte.dev/rule: shell}, level: node}"},
      {"workload.scale", "{replicas: 0, allow_last_replica: true}"},
      {"node.cordon", "{}"},
      {"node.uncordon", "{}"},
      {"node.taint", "{key: riposte.dev/compromised, effect: NoSchedule}"},
      {"node.drain", "{timeout_seconds: 5}"},
      {"network.isolate", "{allow_cidrs: [10.0.0.0/8], allow_namespaces: [forensics]}"},
      {"event.create", "{reason: ShellInContainer}"},
      {"pod.logs", "{tail_lines: 5}"},
  };
  return all;
}

TEST(ActionRegistryTest, ShipsEveryAction) {
  EXPECT_THAT(
      ActionRegistry::builtin().names(),
      ElementsAre("container.freeze", "container.kill", "container.thaw", "event.create",
                  "forensics.capture", "network.isolate", "node.cordon", "node.drain", "node.taint",
                  "node.uncordon", "notify.webhook", "pod.annotate", "pod.delete", "pod.evict",
                  "pod.label", "pod.logs", "process.kill", "workload.scale"));
}

TEST(ActionGuardTest, HostileAlertValuesNeverReachTheApi) {
  const std::vector<std::pair<std::string, nlohmann::ordered_json>> hostile = {
      {"k8s.ns.name", "../kube-system"},
      {"k8s.ns.name", "a/b"},
      {"k8s.pod.name", "a/b"},
      {"k8s.pod.name", "%2e%2e"},
      {"k8s.pod.name", ".."},
      {"k8s.pod.name", std::string(300, 'a')},
      {"k8s.ns.name", std::string(64, 'a')},
      {"k8s.pod.name", "wéb-1"},
      {"k8s.pod.name", "web\u2024x"},
      {"k8s.pod.name", ""},
      {"k8s.ns.name", ""},
      {"k8s.pod.name", 12345},
      {"k8s.ns.name", 7.5},
      {"k8s.pod.name", nlohmann::ordered_json::array({"web-1"})},
      {"k8s.pod.name", nullptr},
      {"k8s.pod.uid", "../x"},
  };
  for (const auto& [action, params] : kube_actions()) {
    for (bool dry_run : {false, true}) {
      for (const auto& [field, value] : hostile) {
        StrictMock<testing::MockKubeClient> kube;
        EXPECT_CALL(kube, request(_)).Times(0);
        Alert a = testing::shell_alert();
        a.output_fields[field] = value;
        ActionResult r = run_action(action, params, kube, a, dry_run);
        EXPECT_EQ(r.status, ActionResult::kFailed) << action << " " << value.dump();
        EXPECT_FALSE(r.retryable) << action;
        EXPECT_TRUE(r.requests.empty()) << action;
        EXPECT_THAT(r.message, HasSubstr(field)) << action;
      }
    }
  }
}

TEST(ActionGuardTest, ProtectedNamespacesAreSkippedWithoutARequest) {
  for (const auto& [action, params] : kube_actions()) {
    for (const char* ns : {"kube-system", "riposte"}) {
      StrictMock<testing::MockKubeClient> kube;
      EXPECT_CALL(kube, request(_)).Times(0);
      ActionResult r = run_action(action, params, kube, testing::shell_alert(ns, "web-1"));
      EXPECT_EQ(r.status, ActionResult::kSkipped) << action;
      EXPECT_THAT(r.message, HasSubstr("namespace \"" + std::string(ns) + "\" is protected"))
          << action;
    }
    Guardrails only_shop;
    only_shop.allowed_namespaces = {"shop"};
    StrictMock<testing::MockKubeClient> kube;
    ActionResult r =
        run_action(action, params, kube, testing::shell_alert("billing", "web-1"), false, only_shop);
    EXPECT_EQ(r.status, ActionResult::kSkipped) << action;
  }
}

TEST(ActionGuardTest, AHostileNodeNameFromTheApiIsNotUsed) {
  for (const char* action : {"node.cordon", "node.drain", "node.taint", "pod.label"}) {
    FakeApi api;
    auto pod = testing::pod_json({.node = "../../api/v1/namespaces/kube-system"});
    api.on("GET", testing::kPodPath, 200, pod);
    std::string params = std::string(action) == "node.taint"
                             ? "{key: k, effect: NoSchedule}"
                             : std::string(action) == "pod.label" ? "{labels: {a: b}, level: node}"
                                                                  : "{}";
    ActionResult r = run_action(action, params, api, testing::shell_alert());
    EXPECT_EQ(r.status, ActionResult::kFailed) << action;
    EXPECT_THAT(r.message, HasSubstr("invalid spec.nodeName")) << action;
    EXPECT_EQ(api.calls.size(), 1u) << action;  // the GET of the pod, nothing after it
  }
}

TEST(ActionParamsTest, ProblemsAreFoundAtLoad) {
  EXPECT_THAT(param_errors("pod.label", "{}"), ElementsAre("\"labels\" is required"));
  EXPECT_THAT(param_errors("pod.label", "{labels: {kubernetes.io/hostname: x}}"),
              ElementsAre(HasSubstr("reserved for Kubernetes components")));
  EXPECT_THAT(param_errors("pod.label", "{labels: {a: 'not a value'}}"),
              ElementsAre(HasSubstr("label value must be letters")));
  EXPECT_THAT(param_errors("pod.label", "{labels: {'a/b/c': x}}"), ElementsAre(HasSubstr("key")));
  EXPECT_THAT(param_errors("pod.label", "{labels: {a: " + std::string(64, 'x') + "}}"),
              ElementsAre(HasSubstr("at most 63")));
  EXPECT_THAT(param_errors("pod.label", "{labels: {a: b}, level: cluster}"),
              ElementsAre(HasSubstr("must be one of: pod, node")));
  // A template is checked when it runs, with the values filled in.
  EXPECT_THAT(param_errors("pod.label", "{labels: {riposte.dev/rule: '{{ rule }}'}}"),
              ElementsAre());
  EXPECT_THAT(param_errors("pod.annotate", "{annotations: {note: 'any text: at all'}}"),
              ElementsAre());
  EXPECT_THAT(param_errors("node.taint", "{key: k}"), ElementsAre("\"effect\" is required"));
  EXPECT_THAT(param_errors("node.taint", "{key: k, effect: Evict}"),
              ElementsAre(HasSubstr("NoSchedule, PreferNoSchedule, NoExecute")));
  EXPECT_THAT(param_errors("workload.scale", "{replicas: -1}"),
              ElementsAre(HasSubstr("integer from 0")));
  EXPECT_THAT(param_errors("workload.scale", "{replicas: '3'}"), ElementsAre());
  EXPECT_THAT(param_errors("network.isolate", "{allow_cidrs: [10.0.0.0/33, 'x']}"),
              ElementsAre(HasSubstr("10.0.0.0/33"), HasSubstr("\"x\"")));
  EXPECT_THAT(param_errors("network.isolate", "{allow_namespaces: [Bad_NS]}"),
              ElementsAre(HasSubstr("DNS-1123 label")));
  EXPECT_THAT(param_errors("network.isolate", "{allow_cidrs: ['fd00::/8']}"), ElementsAre());
  EXPECT_THAT(param_errors("event.create", "{reason: shell in container}"),
              ElementsAre(HasSubstr("UpperCamelCase")));
  EXPECT_THAT(param_errors("event.create", "{}"), ElementsAre("\"reason\" is required"));
  EXPECT_THAT(param_errors("node.cordon", "{force: true}"),
              ElementsAre(HasSubstr("this action takes none")));
  EXPECT_THAT(param_errors("node.drain", "{timeout_seconds: 0}"),
              ElementsAre(HasSubstr("from 1 to 3600")));
  EXPECT_THAT(param_errors("notify.webhook", "{}"), ElementsAre("\"url\" is required"));
  EXPECT_THAT(param_errors("notify.webhook", "{url: 'http://hooks.example.com/x'}"),
              ElementsAre(HasSubstr("plain http only to a loopback address")));
  EXPECT_THAT(param_errors("notify.webhook", "{url: 'https://x.example/{{ alert.url }}'}"),
              ElementsAre(HasSubstr("no spaces, braces")));
  EXPECT_THAT(param_errors("notify.webhook", "{url: 'https://user:pw@x.example/'}"),
              ElementsAre(HasSubstr("no user or password")));
  EXPECT_THAT(param_errors("notify.webhook", "{url: 'ftp://x.example/'}"),
              ElementsAre(HasSubstr("https://")));
  EXPECT_THAT(param_errors("notify.webhook", "{url: 'http://127.0.0.1:8080/hook', format: teams}"),
              ElementsAre());
}

TEST(ActionParamsTest, TemplatedValuesAreCheckedWhenRun) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(_)).Times(0);
  Guardrails g;
  // What the engine hands over after filling "{{ ... }}" in with an alert value.
  YAML::Node params = YAML::Load("{labels: {riposte.dev/rule: 'Terminal shell/../x'}}");
  Alert a = testing::shell_alert();
  ActionContext ctx{a, params, kube, g, false, "t"};
  ActionResult r = testing::action("pod.label").execute(ctx);
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_THAT(r.message, HasSubstr("invalid labels: \"riposte.dev/rule\": label value"));
}

}  // namespace
}  // namespace riposte::actions
