// The k8s_audit source: ka.* / jevt.* fields as the k8saudit and json plugins define them,
// `source: k8s_audit` rules kept apart from syscall ones, and Falco's own k8s_audit ruleset
// (../shared/falco-rules/k8s_audit_rules.yaml, unchanged) loaded and evaluated on audit events
// shaped as kube-apiserver writes them (tests/support/audit_samples.h).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "detector/event/audit_event.h"
#include "tests/detector/rules/rules_test_util.h"
#include "tests/support/audit_samples.h"

namespace riposte::detector::rules {
namespace {

namespace samples = riposte::testing::audit;
using testing::corpus_file;
using testing::diags;
using testing::errors_only;
using testing::load;

struct Audit {
  AuditEvent a;
  Event ev;
  explicit Audit(nlohmann::json doc) {
    a.doc = std::move(doc);
    a.index();
    ev = make_audit_event(a, 7);
  }
};

std::vector<std::string> hits(const Ruleset& rs, const Event& ev) {
  std::vector<const CompiledRule*> out;
  rs.evaluate(ev, &out);
  std::vector<std::string> names;
  for (const auto* r : out) names.push_back(r->name);
  return names;
}

std::string field_value(const std::string& field, const nlohmann::json& doc) {
  auto r = load("- rule: r\n  desc: d\n  condition: jevt.rawtime exists\n  output: \"%" + field +
                "\"\n  priority: INFO\n  source: k8s_audit\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  Audit au(doc);
  Alert a = make_alert(*r.ruleset->find("r"), au.ev, "h");
  return a.output;
}

LoadResult load_k8s_audit_rules() {
  LoadOptions o;
  o.rule_matching = RuleMatching::kAll;
  o.hostname = "node-1";
  return load_rules({corpus_file("k8s_audit_rules.yaml")}, o);
}

TEST(K8sAudit, FalcosRulesetLoadsWithoutErrors) {
  auto r = load_k8s_audit_rules();
  ASSERT_TRUE(r.ok()) << errors_only(r);
  // No "unknown source, rule skipped": every rule is compiled for k8s_audit.
  for (const auto& d : r.diagnostics) EXPECT_NE(d.code, "LOAD_UNKNOWN_SOURCE") << d.str();
  size_t rules = 0;
  for (const auto& cr : r.ruleset->all_rules()) {
    EXPECT_EQ(cr->source, "k8s_audit") << cr->name;
    EXPECT_TRUE(cr->event_types.contains(EventType::kPluginEvent)) << cr->name;
    EXPECT_EQ(cr->event_types.size(), 1u) << cr->name;
    ++rules;
  }
  EXPECT_GE(rules, 40u);
  // A syscall never reaches them.
  EXPECT_FALSE(r.ruleset->event_types().contains(EventType::kExecve));
}

TEST(K8sAudit, SyscallRulesNeverSeeAuditEvents) {
  auto r =
      load("- rule: any\n  desc: d\n  condition: evt.num > 0\n  output: o\n  priority: INFO\n");
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_FALSE(r.ruleset->event_types().contains(EventType::kPluginEvent));
  Audit au(samples::privileged_pod_create("shop", "p"));
  EXPECT_TRUE(hits(*r.ruleset, au.ev).empty());
}

TEST(K8sAudit, FieldsBelongToTheirSource) {
  auto in_syscall = load(
      "- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n"
      "  priority: INFO\n");
  EXPECT_FALSE(in_syscall.ok());
  EXPECT_NE(errors_only(in_syscall).find("ka.verb"), std::string::npos) << diags(in_syscall);
  auto in_audit = load(
      "- rule: r\n  desc: d\n  condition: proc.name = sh\n  output: o\n"
      "  priority: INFO\n  source: k8s_audit\n");
  EXPECT_FALSE(in_audit.ok());
  auto output = load(
      "- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: \"%proc.name\"\n"
      "  priority: INFO\n  source: k8s_audit\n");
  EXPECT_FALSE(output.ok());
  auto generic = load(
      "- rule: r\n  desc: d\n  condition: ka.verb = get and evt.num > 0\n"
      "  output: \"%evt.time %evt.source %ka.user.name\"\n  priority: INFO\n"
      "  source: k8s_audit\n");
  EXPECT_TRUE(generic.ok()) << diags(generic);
  // A source nobody serves is skipped with a warning, as Falco does without the plugin.
  auto unknown = load(
      "- rule: r\n  desc: d\n  condition: ct.name = x\n  output: o\n"
      "  priority: INFO\n  source: aws_cloudtrail\n");
  EXPECT_TRUE(unknown.ok()) << diags(unknown);
  EXPECT_EQ(unknown.ruleset->all_rules().size(), 0u);
}

TEST(K8sAudit, AppendAndOverrideStayWithinTheirSource) {
  auto r = load(
      "- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n"
      "  source: k8s_audit\n"
      "- rule: r\n  condition: and ka.verb = list\n  override:\n    condition: append\n");
  EXPECT_FALSE(r.ok());
  auto same = load(
      "- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n"
      "  source: k8s_audit\n"
      "- rule: r\n  condition: or ka.verb = list\n  override:\n    condition: append\n"
      "  source: k8s_audit\n");
  EXPECT_TRUE(same.ok()) << diags(same);
}

TEST(K8sAudit, FieldValuesAsTheK8sauditPluginGivesThem) {
  const nlohmann::json pod = samples::privileged_pod_create("shop", "p1", "mallory");
  const nlohmann::json exec = samples::pod_exec("shop", "web-1");
  const nlohmann::json role = samples::wildcard_clusterrole_create("all");
  nlohmann::json vol = pod;
  vol["requestObject"]["spec"]["volumes"] = {
      {{"name", "h"}, {"hostPath", {{"path", "/etc"}}}},
      {{"name", "e"}, {"emptyDir", nlohmann::json::object()}}};
  vol["requestObject"]["spec"]["containers"][0]["ports"] = {
      {{"containerPort", 80}}, {{"containerPort", 53}, {"hostPort", 5353}}};
  // field, event, value as an output prints it ("<NA>": no value; lists as "(a,b)"; a
  // number such as the response code as text).
  const struct {
    const char* field;
    const nlohmann::json& doc;
    const char* want;
  } cases[] = {
      {"ka.verb", pod, "create"},
      {"ka.user.name", pod, "mallory"},
      {"ka.target.namespace", pod, "shop"},
      {"ka.target.name", pod, "p1"},
      {"ka.target.resource", pod, "pods"},
      {"ka.target.subresource", pod, "<NA>"},
      {"ka.response.code", pod, "201"},
      {"ka.resp.name", pod, "p1"},
      {"ka.req.pod.containers.privileged", pod, "(true)"},
      {"ka.req.pod.containers.image", pod, "(docker.io/library/busybox:1.36)"},
      {"ka.req.pod.containers.image.repository", pod, "(docker.io/library/busybox)"},
      {"ka.req.container.image", pod, "docker.io/library/busybox:1.36"},
      {"ka.req.container.privileged", pod, "true"},
      {"ka.req.pod.initContainers.image", pod, "<NA>"},
      {"ka.req.pod.containers.eff_run_as_user", pod, "(0)"},
      {"ka.user.groups", pod, "(system:authenticated)"},
      {"ka.auth.decision", pod, "allow"},
      {"jevt.value[/stage]", pod, "ResponseComplete"},
      {"jevt.value[/requestObject/spec/containers/0/name]", pod, "c"},
      {"jevt.value[/nothing/here]", pod, "<NA>"},
      {"jevt.rawtime", pod, "1796315893123456000"},
      {"evt.source", pod, "k8s_audit"},
      {"ka.uri.param[command]", exec, "sh"},
      {"ka.uri.param[container]", exec, "c"},
      {"ka.uri.param[tty]", exec, "<NA>"},
      {"ka.target.subresource", exec, "exec"},
      {"ka.req.role.rules.verbs", role, "(*)"},
      {"ka.req.role.rules.resources", role, "(*)"},
      {"ka.target.namespace", role, "<NA>"},
      {"ka.req.pod.volumes.hostpath", vol, "(/etc)"},
      {"ka.req.volume.hostpath[/et*]", vol, "true"},
      {"ka.req.volume.hostpath[/var]", vol, "false"},
      {"ka.req.pod.volumes.volume_type", vol, "(hostPath,emptyDir)"},
      {"ka.req.pod.containers.host_port", vol, "(80,5353)"},
  };
  for (const auto& c : cases) EXPECT_EQ(field_value(c.field, c.doc), c.want) << c.field;
  EXPECT_EQ(field_value("jevt.value[/objectRef]", pod).substr(0, 1), "{");
}

class FalcoK8sAuditRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    res_ = new LoadResult(load_k8s_audit_rules());
    ASSERT_TRUE(res_->ok()) << errors_only(*res_);
  }
  static void TearDownTestSuite() { delete res_; }
  static std::vector<std::string> on(nlohmann::json doc) {
    Audit au(std::move(doc));
    return hits(*res_->ruleset, au.ev);
  }
  static Alert alert(const std::string& rule, nlohmann::json doc) {
    Audit au(std::move(doc));
    return make_alert(*res_->ruleset->find(rule), au.ev, "node-1");
  }
  static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }
  static LoadResult* res_;
};
LoadResult* FalcoK8sAuditRules::res_ = nullptr;

TEST_F(FalcoK8sAuditRules, CreatePrivilegedPod) {
  auto h = on(samples::privileged_pod_create("shop", "p1", "mallory"));
  EXPECT_TRUE(has(h, "Create Privileged Pod"));
  Alert a = alert("Create Privileged Pod", samples::privileged_pod_create("shop", "p1", "mallory"));
  EXPECT_EQ(a.source, "k8s_audit");
  EXPECT_EQ(a.output_fields["ka.user.name"], "mallory");
  EXPECT_EQ(a.output_fields["ka.target.namespace"], "shop");
  EXPECT_EQ(a.output_fields["ka.resp.name"], "p1");
  EXPECT_EQ(a.output_fields["ka.req.pod.containers.image"], "(docker.io/library/busybox:1.36)");
  EXPECT_EQ(a.time_ns, 1796315893123456000);
  // The same pod without the flag is not privileged; nor is the same request still under way.
  nlohmann::json plain = samples::privileged_pod_create("shop", "p2", "mallory");
  plain["requestObject"]["spec"]["containers"][0]["securityContext"]["privileged"] = false;
  EXPECT_FALSE(has(on(plain), "Create Privileged Pod"));
  nlohmann::json started = samples::privileged_pod_create("shop", "p3", "mallory");
  started["stage"] = "ResponseStarted";
  EXPECT_FALSE(has(on(started), "Create Privileged Pod"));
}

TEST_F(FalcoK8sAuditRules, AttachExecPod) {
  EXPECT_TRUE(has(on(samples::pod_exec("shop", "web-1")), "Attach/Exec Pod"));
  Alert a = alert("Attach/Exec Pod", samples::pod_exec("shop", "web-1", "bob"));
  EXPECT_EQ(a.output_fields["ka.user.name"], "bob");
  EXPECT_EQ(a.output_fields["ka.target.name"], "web-1");
  EXPECT_EQ(a.output_fields["ka.target.subresource"], "exec");
  EXPECT_EQ(a.output_fields["ka.uri.param[command]"], "sh");
  // Exec is audited at ResponseStarted; the rule does not take the ResponseComplete copy.
  nlohmann::json done = samples::pod_exec("shop", "web-1");
  done["stage"] = "ResponseComplete";
  EXPECT_FALSE(has(on(done), "Attach/Exec Pod"));
}

TEST_F(FalcoK8sAuditRules, ClusterRoleWithWildcard) {
  auto h = on(samples::wildcard_clusterrole_create("everything"));
  EXPECT_TRUE(has(h, "ClusterRole With Wildcard Created"));
  nlohmann::json narrow = samples::wildcard_clusterrole_create("narrow");
  narrow["requestObject"]["rules"][0]["resources"] = {"pods"};
  narrow["requestObject"]["rules"][0]["verbs"] = {"get"};
  EXPECT_FALSE(has(on(narrow), "ClusterRole With Wildcard Created"));
}

TEST_F(FalcoK8sAuditRules, SecretReadByAUserNotAllowed) {
  auto h = on(samples::secret_get("shop", "db", "mallory"));
  EXPECT_TRUE(has(h, "Disallowed K8s User"));
  Alert a = alert("Disallowed K8s User", samples::secret_get("shop", "db", "mallory"));
  EXPECT_EQ(a.output_fields["ka.verb"], "get");
  EXPECT_EQ(a.output_fields["ka.target.resource"], "secrets");
  EXPECT_EQ(a.output_fields["ka.target.name"], "db");
  // An allowed user reads it without that alert.
  EXPECT_FALSE(
      has(on(samples::secret_get("shop", "db", "kubernetes-admin")), "Disallowed K8s User"));
}

TEST_F(FalcoK8sAuditRules, RoutineTrafficRaisesNothing) {
  EXPECT_TRUE(on(samples::routine_list("kube-system")).empty());
}

}  // namespace
}  // namespace riposte::detector::rules
