// Alert fields are attacker-controlled: hostile names must be refused with a clear error and
// must never reach the API server.
#include "responder/actions/target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/actions/guardrails.h"
#include "responder/actions/registry.h"
#include "tests/support/test_util.h"

namespace riposte::actions {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StrictMock;

struct Hostile {
  const char* label;
  const char* field;  // which field carries it
  nlohmann::ordered_json value;
  const char* reason;  // expected in the error
};

const std::vector<Hostile>& hostile_values() {
  static const std::vector<Hostile> cases = {
      {"traversal in namespace", "k8s.ns.name", "../kube-system", "DNS-1123 label"},
      {"traversal in pod", "k8s.pod.name", "../../namespaces/kube-system/pods/x",
       "DNS-1123 subdomain"},
      {"slash", "k8s.pod.name", "a/b", "DNS-1123 subdomain"},
      {"encoded dots", "k8s.pod.name", "%2e%2e", "DNS-1123 subdomain"},
      {"dot", "k8s.pod.name", ".", "DNS-1123 subdomain"},
      {"dotdot", "k8s.pod.name", "..", "DNS-1123 subdomain"},
      {"query", "k8s.pod.name", "web?dryRun=All", "DNS-1123 subdomain"},
      {"uppercase", "k8s.pod.name", "Web-1", "DNS-1123 subdomain"},
      {"trailing dash", "k8s.ns.name", "shop-", "DNS-1123 label"},
      {"dot in namespace", "k8s.ns.name", "shop.prod", "DNS-1123 label"},
      {"unicode", "k8s.pod.name", "wéb-1", "DNS-1123 subdomain"},
      {"newline", "k8s.pod.name", "web-1\nx", "DNS-1123 subdomain"},
      {"300 chars", "k8s.pod.name", std::string(300, 'a'), "at most 253 characters, is 300"},
      {"64-char namespace", "k8s.ns.name", std::string(64, 'a'), "at most 63 characters, is 64"},
      {"empty", "k8s.pod.name", "", "must not be empty"},
      {"number", "k8s.pod.name", 12345, "must be a JSON string, got number 12345"},
      {"boolean", "k8s.ns.name", true, "must be a JSON string, got boolean true"},
      {"null", "k8s.pod.name", nullptr, "must be a JSON string, got null"},
      {"NA placeholder", "k8s.ns.name", "<NA>", "DNS-1123 label"},
      {"bad uid", "k8s.pod.uid", "../x", "must be a lowercase UUID"},
      {"numeric uid", "k8s.pod.uid", 7, "must be a lowercase UUID"},
  };
  return cases;
}

Alert alert_with(const Hostile& h) {
  Alert a = testing::shell_alert();
  a.output_fields[h.field] = h.value;
  return a;
}

TEST(TargetTest, ValidPodTarget) {
  Alert a = testing::shell_alert("shop", "web-1.canary");
  a.output_fields["k8s.pod.uid"] = "0f8e4b4c-7a4b-4c39-9a4e-0123456789ab";
  auto t = pod_target(a);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->namespace_, "shop");
  EXPECT_EQ(t->name, "web-1.canary");
  EXPECT_EQ(t->uid, "0f8e4b4c-7a4b-4c39-9a4e-0123456789ab");
  EXPECT_EQ(t->str(), "pods/shop/web-1.canary");
}

// A k8s_audit alert names its pod by the request it saw (ka.*), never by the k8s.* fields.
TEST(TargetTest, K8sAuditAlertsNameThePodOfTheRequest) {
  Alert a = testing::shell_alert("shop", "not-this-one");
  a.source = "k8s_audit";
  a.output_fields["ka.target.resource"] = "pods";
  a.output_fields["ka.target.namespace"] = "prod";
  a.output_fields["ka.target.name"] = "web-1";
  auto t = pod_target(a);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->str(), "pods/prod/web-1");
  // Create Privileged Pod prints ka.resp.name (the name the server gave the pod).
  a.output_fields.erase("ka.target.name");
  a.output_fields["ka.resp.name"] = "priv-x7k2p";
  t = pod_target(a);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->str(), "pods/prod/priv-x7k2p");
  // Hostile values are refused as for any alert.
  a.output_fields["ka.resp.name"] = "../../secrets/x";
  EXPECT_THAT(pod_target(a).error(), HasSubstr("\"ka.resp.name\""));
  // An alert about another resource (a ClusterRole) is not about a pod.
  a.output_fields["ka.resp.name"] = "admin";
  a.output_fields["ka.target.resource"] = "clusterroles";
  EXPECT_THAT(pod_target(a).error(), HasSubstr("ka.target.resource"));
}

TEST(TargetTest, BoundaryLengthsAreAccepted) {
  EXPECT_TRUE(validate_name(std::string(63, 'a'), NameKind::kLabel).ok());
  EXPECT_TRUE(validate_name(std::string(253, 'a'), NameKind::kSubdomain).ok());
  EXPECT_TRUE(validate_name("0", NameKind::kLabel).ok());
}

TEST(TargetTest, MissingFieldsAreNamed) {
  Alert a = testing::shell_alert();
  a.output_fields.erase("k8s.pod.name");
  auto t = pod_target(a);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), "alert field \"k8s.pod.name\" is missing");
}

TEST(TargetTest, HostileValuesAreRejectedWithFieldAndReason) {
  for (const auto& h : hostile_values()) {
    auto t = pod_target(alert_with(h));
    ASSERT_FALSE(t.ok()) << h.label;
    EXPECT_THAT(t.error(),
                AllOf(HasSubstr(std::string("\"") + h.field + "\""), HasSubstr(h.reason)))
        << h.label;
  }
}

TEST(TargetTest, ErrorsQuoteValuesSafely) {
  auto t = pod_target(alert_with({"", "k8s.pod.name", "wéb\n" + std::string(100, 'x'), ""}));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.error(), HasSubstr(R"("w\u00e9b\n)"));
  EXPECT_THAT(t.error(), HasSubstr("...:"));
  EXPECT_EQ(t.error().find('\n'), std::string::npos);
}

TEST(TargetTest, HostileValuesMakePodDeleteFailWithoutARequest) {
  const Action* del = ActionRegistry::builtin().find("pod.delete");
  ASSERT_NE(del, nullptr);
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(_)).Times(0);
  Guardrails guardrails;
  YAML::Node params;
  for (bool dry_run : {false, true}) {
    for (const auto& h : hostile_values()) {
      Alert a = alert_with(h);
      ActionContext ctx{a, params, kube, guardrails, dry_run, "test"};
      ActionResult r = del->execute(ctx);
      EXPECT_EQ(r.status, ActionResult::kFailed) << h.label;
      EXPECT_FALSE(r.retryable) << h.label;
      EXPECT_TRUE(r.requests.empty()) << h.label;
      EXPECT_THAT(r.message, HasSubstr(h.field)) << h.label;
    }
  }
}

TEST(GuardrailsTest, ProtectedNamespacesByDefault) {
  Guardrails g;
  for (const char* ns : {"kube-system", "kube-public", "kube-node-lease", "riposte"}) {
    auto st = g.check_namespace(ns);
    ASSERT_FALSE(st.ok()) << ns;
    EXPECT_EQ(st.error(), "guardrails: namespace \"" + std::string(ns) + "\" is protected");
  }
  EXPECT_TRUE(g.check_namespace("shop").ok());
  EXPECT_FALSE(g.check_namespace("").ok());
}

TEST(GuardrailsTest, OwnNamespaceAndAllowListAreConfigurable) {
  Guardrails g;
  g.protected_namespaces = default_protected_namespaces("security");
  EXPECT_TRUE(g.check_namespace("riposte").ok());
  EXPECT_FALSE(g.check_namespace("security").ok());
  EXPECT_FALSE(g.check_namespace("kube-system").ok());

  g.allowed_namespaces = {"shop", "kube-system"};
  EXPECT_TRUE(g.check_namespace("shop").ok());
  EXPECT_THAT(g.check_namespace("billing").error(), HasSubstr("not in the allowed list"));
  EXPECT_THAT(g.check_namespace("kube-system").error(), HasSubstr("protected"));
}

TEST(GuardrailsTest, PodDeleteInProtectedNamespaceIsSkippedAndSendsNothing) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(_)).Times(0);
  Guardrails g;
  YAML::Node params;
  Alert a = testing::shell_alert("kube-system", "kube-apiserver-node1");
  ActionContext ctx{a, params, kube, g, false, "test"};
  ActionResult r = ActionRegistry::builtin().find("pod.delete")->execute(ctx);
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_TRUE(r.requests.empty());
  EXPECT_EQ(r.message,
            "not deleting pod kube-system/kube-apiserver-node1: guardrails: namespace "
            "\"kube-system\" is protected");
  EXPECT_EQ(r.targets, std::vector<std::string>{"pods/kube-system/kube-apiserver-node1"});
}

}  // namespace
}  // namespace riposte::actions
