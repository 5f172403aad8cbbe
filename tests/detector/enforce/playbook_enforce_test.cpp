// Enforcing playbooks, the pure part: which rules a playbook makes enforcing, the kernel's
// candidate names, and each enforcer's guardrails (detector/enforce/playbook_enforce.h,
// exec_hold.h). The real execs are real_node_e2e_test's.
#include "detector/enforce/playbook_enforce.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/playbook/playbook.h"

namespace riposte::detector {
namespace {

using ::testing::ElementsAre;

constexpr const char* kRules = R"(
- rule: Shell in container
  desc: d
  condition: evt.type = execve and evt.dir = < and proc.name in (sh, bash)
  output: shell %proc.name
  priority: NOTICE
- rule: Shell on the host
  desc: d
  condition: evt.type = execve and evt.dir = < and proc.name = zsh
  output: shell %proc.name
  priority: NOTICE
- rule: Open of a secret
  desc: d
  condition: evt.type = openat and fd.name = /secret
  output: open %fd.name
  priority: NOTICE
)";

std::vector<playbook::Playbook> playbooks(const std::string& yaml) {
  auto r = playbook::parse_playbooks(yaml, "p.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return r.playbooks;
}

class PlaybookEnforceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = rules::load_rules_from_string(kRules);
    ASSERT_TRUE(loaded.ok());
    loaded_ = std::move(loaded);
  }
  const rules::Ruleset& ruleset() { return *loaded_.ruleset; }

  static ProcessInfo in_pod(const std::string& ns) {
    ProcessInfo p;
    auto pod = std::make_shared<PodInfo>();
    pod->ns = ns;
    auto c = std::make_shared<ContainerInfo>();
    c->pod = pod;
    p.container = c;
    return p;
  }
  static Alert alert_in(const std::string& ns) {
    Alert a;
    a.rule = "Shell in container";
    a.priority = Priority::kNotice;
    if (ns.empty()) {
      a.output_fields["k8s.ns.name"] = nullptr;
    } else {
      a.output_fields["k8s.ns.name"] = ns;
    }
    return a;
  }

  rules::LoadResult loaded_;
  Registry registry_;
};

TEST_F(PlaybookEnforceTest, AnEnforcingPlaybookEnforcesTheExecRulesItsGlobsMatch) {
  HoldPlan plan;
  std::vector<std::string> unmatched;
  add_playbook_enforcers(ruleset(), playbooks(R"(
- name: stop-shells
  enforce: {mode: kill}
  match: {rules: ["Shell *", "Open of a secret"]}
  steps: [{action: pod.delete}]
- name: not-enforcing
  match: {rules: ["*"]}
  steps: [{action: pod.delete}]
- name: only-opens
  enforce: {mode: kill}
  match: {rules: ["Open *"]}
  steps: [{action: pod.delete}]
)"),
                         &plan, &unmatched);
  ASSERT_EQ(plan.rules.size(), 2u);  // the open rule cannot match an exec
  EXPECT_EQ(plan.rules[0].rule->name, "Shell in container");
  EXPECT_EQ(plan.rules[1].rule->name, "Shell on the host");
  ASSERT_EQ(plan.rules[0].by.size(), 1u);
  EXPECT_EQ(plan.rules[0].by[0].source, "playbook stop-shells (p.yaml:2:3)");
  EXPECT_TRUE(plan.rules[0].by[0].protect);
  EXPECT_THAT(unmatched, ElementsAre("only-opens"));
  EXPECT_TRUE(plan.kernel.enabled);
  EXPECT_FALSE(plan.kernel.names_any);
  EXPECT_THAT(plan.kernel.names, ElementsAre("bash", "sh", "zsh"));
}

TEST_F(PlaybookEnforceTest, PlaybooksAndEnforceFlagsShareARule) {
  auto plan = plan_exec_hold(ruleset(), {"Shell in container"}, {"shop"});
  ASSERT_TRUE(plan.ok()) << plan.error();
  add_playbook_enforcers(ruleset(), playbooks(R"(
name: stop-shells
enforce: {mode: kill}
match: {rules: ["Shell in container"]}
steps: [{action: pod.delete}]
)"),
                         &*plan);
  ASSERT_EQ(plan->rules.size(), 1u);
  ASSERT_EQ(plan->rules[0].by.size(), 2u);
  EXPECT_EQ(plan->rules[0].by[0].source, "--enforce");
  EXPECT_FALSE(plan->rules[0].by[0].protect);
  EXPECT_THAT(plan->kernel.names, ElementsAre("bash", "sh"));
}

TEST_F(PlaybookEnforceTest, TheGuardrailsOfEachPlaybook) {
  HoldPlan plan;
  add_playbook_enforcers(ruleset(), playbooks(R"(
- name: shop
  enforce: {mode: kill}
  match: {rules: ["Shell in container"], namespaces: ["shop", "team-*"]}
  steps: [{action: pod.delete}]
- name: audit-only
  dry_run: true
  enforce: {mode: kill}
  match: {rules: ["Shell in container"], namespaces: ["lab"]}
  steps: [{action: pod.delete}]
- name: everywhere-critical
  enforce: {mode: kill, host: true}
  match: {rules: ["Shell in container"], priority: ">=Critical"}
  steps: [{action: pod.delete}]
)"),
                         &plan);
  HoldOptions options;
  options.protected_namespaces = {"kube-system"};
  ExecHold hold(plan, options, &registry_);
  const EnforcedRule& rule = hold.rules().at(0);
  EXPECT_TRUE(hold.should_kill(rule, in_pod("shop"), alert_in("shop")));
  EXPECT_TRUE(hold.should_kill(rule, in_pod("team-a"), alert_in("team-a")));
  // Out of every playbook's scope: another namespace, the host (a Notice is not Critical).
  EXPECT_FALSE(hold.should_kill(rule, in_pod("web"), alert_in("web")));
  EXPECT_FALSE(hold.should_kill(rule, ProcessInfo{}, alert_in("")));
  // A dry run: resumed.
  EXPECT_FALSE(hold.should_kill(rule, in_pod("lab"), alert_in("lab")));
  // Critical: the third playbook, also on the host, never in a protected namespace.
  Alert critical = alert_in("kube-system");
  critical.priority = Priority::kCritical;
  EXPECT_FALSE(hold.should_kill(rule, in_pod("kube-system"), critical));
  critical = alert_in("");
  critical.priority = Priority::kCritical;
  EXPECT_TRUE(hold.should_kill(rule, ProcessInfo{}, critical));
  const std::string metrics = registry_.render();
  EXPECT_NE(metrics.find(R"(riposte_detector_exec_holds_total{outcome="matched_dry_run"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(riposte_detector_exec_holds_total{outcome="matched_out_of_scope"} 3)"),
            std::string::npos)
      << metrics;
}

TEST_F(PlaybookEnforceTest, APlaybookObjectStaysInItsNamespaceAndOffTheHost) {
  auto pbs = playbooks(R"(
name: Playbook/shop/stop-shells
enforce: {mode: kill, host: true}
match: {rules: ["Shell in container"]}
steps: [{action: pod.delete}]
)");
  pbs[0].namespace_ = "shop";
  HoldPlan plan;
  add_playbook_enforcers(ruleset(), pbs, &plan);
  ExecHold hold(plan, HoldOptions{}, &registry_);
  const EnforcedRule& rule = hold.rules().at(0);
  EXPECT_TRUE(hold.should_kill(rule, in_pod("shop"), alert_in("shop")));
  EXPECT_FALSE(hold.should_kill(rule, in_pod("bank"), alert_in("bank")));
  EXPECT_FALSE(hold.should_kill(rule, ProcessInfo{}, alert_in("")));
}

}  // namespace
}  // namespace riposte::detector
