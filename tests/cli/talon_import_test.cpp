// `riposte playbook import-talon` on rules written here in Falco Talon's format (not copied from
// falco-talon), covering each construct of Talon's own examples (its rules.yaml, its override
// file and the actionners' examples): action definitions referenced and extended by rules, an
// override file merging into both, every match key, each actionner riposte has a counterpart
// for and several it has not, continue / ignore_errors / dry_run, outputs, contexts, notifiers.
// The playbooks must load with riposte's own loader, and they must answer alerts as Talon
// would; what cannot be translated is reported with its position.
#include "cli/talon_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "responder/playbook/playbook.h"
#include "tests/support/shell_alert.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::cli {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Line numbers matter: the test checks the positions of what is reported.
constexpr const char* kRules = R"(- action: Kill the pod
  actionner: kubernetes:terminate
  parameters:
    grace_period_seconds: 10
- action: Mark suspicious
  description: label it
  actionner: kubernetes:label
  parameters:
    labels:
      riposte.dev/suspicious: "true"
- action: Block egress
  actionner: kubernetes:networkpolicy
  parameters:
    allow_cidr: ["10.0.0.0/8"]
- rule: Shell in a container
  description: shells outside the system namespaces
  match:
    rules:
      - Terminal shell in container
      - Run shell untrusted
    priority: ">=Notice"
    source: syscall
    tags:
      - "container, shell"
      - mitre_execution
    output_fields:
      - k8s.ns.name!=kube-system, k8s.ns.name!=falco
  actions:
    - action: Mark suspicious
      parameters:
        labels:
          riposte.dev/rule: shell
    - action: Block egress
      parameters:
        allow_cidr: ["192.168.0.0/16"]
        allow_namespaces: [forensics]
    - action: Kill the pod
- rule: Exactly critical
  continue: false
  match:
    priority: Critical
    output_fields:
      - k8s.ns.name=shop, proc.name=nc
  actions:
    - action: Annotate
      actionner: kubernetes:annotation
      ignore_errors: true
      parameters:
        annotations:
          riposte.dev/why: reverse shell
        level: pod
    - action: Cordon
      actionner: kubernetes:cordon
      continue: false
    - action: Never reached
      actionner: kubernetes:drain
- rule: Drain the node
  dry_run: true
  match:
    rules: [Kernel module loaded]
    priority: "<Error"
  actions:
    - action: Kill first
      actionner: kubernetes:terminate
      continue: true
      parameters:
        ignore_daemonsets: false
        min_healthy_replicas: 1
    - action: Drain
      actionner: kubernetes:drain
      parameters:
        max_wait_period: 300
        ignore_daemonsets: true
        ignore_errors: true
- rule: Untranslatable bits
  notifiers: [slack]
  match:
    rules: [Netcat remote code execution]
    output_fields:
      - k8s.ns.name=a
      - k8s.ns.name=b
  actions:
    - action: Logs
      actionner: kubernetes:log
      parameters:
        tail_lines: 10
      output:
        target: aws:s3
        parameters: {bucket: b}
    - action: Exec
      actionner: kubernetes:exec
      additional_contexts: [k8snode]
      parameters:
        command: uname -a
    - action: Label node
      actionner: kubernetes:label
      parameters:
        level: node
        labels:
          quarantined: ""
          reviewed: "no"
    - action: Terminate carefully
      actionner: kubernetes:terminate
      parameters:
        ignore_standalone_pods: true
        min_healthy_replicas: 50%
)";

// An override file, as Talon's rules_override.yaml: later items with the same name merge.
constexpr const char* kOverride = R"(- action: Kill the pod
  parameters:
    grace_period_seconds: 3
    ignore_daemonsets: true
    ignore_statefulsets: true
- rule: Shell in a container
  match:
    rules: [Shell spawned by a web server]
    priority: ">=Warning"
  actions:
    - action: Cordon it
      actionner: kubernetes:cordon
)";

std::vector<playbook::Playbook> load(const TalonImport& imp) {
  auto r = playbook::parse_playbooks(imp.yaml, "imported.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text() << "\n" << imp.yaml;
  return r.playbooks;
}

const playbook::Playbook* find(const std::vector<playbook::Playbook>& pbs, const std::string& n) {
  for (const auto& p : pbs) {
    if (p.name == n) return &p;
  }
  ADD_FAILURE() << "no playbook " << n;
  return nullptr;
}

std::vector<std::string> notes(const TalonImport& imp) {
  std::vector<std::string> out;
  for (const auto& n : imp.notes) out.push_back(n.str());
  return out;
}

TalonImport import_both() {
  auto r = import_talon({{"rules.yaml", kRules}, {"override.yaml", kOverride}});
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : TalonImport{};
}

Alert shell(const std::string& ns, Priority p = Priority::kNotice) {
  Alert a = testing::shell_alert();
  a.rule = "Terminal shell in container";
  a.priority = p;
  a.source = "syscall";
  a.tags = {"container", "shell"};
  a.output_fields["k8s.ns.name"] = ns;
  return a;
}

TEST(TalonImportTest, PlaybooksLoadAndMatchAsTalonRulesDo) {
  const TalonImport imp = import_both();
  const auto pbs = load(imp);
  ASSERT_EQ(pbs.size(), 4u) << imp.yaml;

  // Merged with the override: its rule name added, its priority replacing the first.
  const auto* shell_pb = find(pbs, "shell-in-a-container");
  ASSERT_NE(shell_pb, nullptr);
  EXPECT_FALSE(shell_pb->dry_run) << "everything of this rule translates";
  EXPECT_TRUE(shell_pb->match.matches(shell("shop", Priority::kWarning)));
  EXPECT_FALSE(shell_pb->match.matches(shell("shop", Priority::kNotice))) << "priority >=Warning";
  EXPECT_FALSE(shell_pb->match.matches(shell("kube-system", Priority::kError)));
  EXPECT_FALSE(shell_pb->match.matches(shell("falco", Priority::kError)));
  Alert no_ns = shell("x", Priority::kError);
  no_ns.output_fields.erase("k8s.ns.name");
  EXPECT_TRUE(shell_pb->match.matches(no_ns)) << "Talon's != holds for an absent field";
  Alert other_tags = shell("shop", Priority::kError);
  other_tags.tags = {"mitre_execution"};
  EXPECT_TRUE(shell_pb->match.matches(other_tags)) << "tag items are alternatives";
  other_tags.tags = {"container"};
  EXPECT_FALSE(shell_pb->match.matches(other_tags)) << "\"container, shell\" needs both";
  Alert web = shell("shop", Priority::kError);
  web.rule = "Shell spawned by a web server";
  EXPECT_TRUE(shell_pb->match.matches(web));
  // Talon's override replaces match.source, here by nothing: any source, and it is said.
  Alert k8s_audit = shell("shop", Priority::kError);
  k8s_audit.source = "k8s_audit";
  EXPECT_TRUE(shell_pb->match.matches(k8s_audit));
  EXPECT_THAT(notes(imp), Contains(HasSubstr("override.yaml:6:3: note: as in Talon, the override "
                                             "of rule \"Shell in a container\" has no "
                                             "match.source, which clears rules.yaml:22:13's")));

  // Steps in order; the definitions' parameters completed and merged. kubernetes:terminate
  // does not continue by default: the override's cordon after it is left out.
  ASSERT_EQ(shell_pb->steps.size(), 3u);
  EXPECT_EQ(shell_pb->steps[0].action, "pod.label");
  EXPECT_EQ(shell_pb->steps[0].params["labels"].size(), 2u) << "definition's and rule's labels";
  EXPECT_EQ(shell_pb->steps[1].action, "network.isolate");
  ASSERT_EQ(shell_pb->steps[1].params["allow_cidrs"].size(), 2u);
  EXPECT_EQ(shell_pb->steps[1].params["allow_cidrs"][0].as<std::string>(), "10.0.0.0/8");
  EXPECT_EQ(shell_pb->steps[1].params["allow_namespaces"][0].as<std::string>(), "forensics");
  EXPECT_EQ(shell_pb->steps[2].action, "pod.delete");
  EXPECT_EQ(shell_pb->steps[2].params["grace_period_seconds"].as<int>(), 3) << "the override's";
  EXPECT_EQ(shell_pb->steps[2].params["skip_owner_kinds"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"DaemonSet", "StatefulSet"}));
  EXPECT_THAT(notes(imp), Contains("override.yaml:11:7: note: Talon never runs the actions after "
                                   "\"Kill the pod\" (continue: false, the default of "
                                   "kubernetes:terminate): left out"));

  // A bare Talon priority is that priority exactly; continue: false stops later rules.
  const auto* critical = find(pbs, "exactly-critical");
  ASSERT_NE(critical, nullptr);
  EXPECT_TRUE(critical->stop);
  EXPECT_FALSE(critical->dry_run);
  Alert nc = shell("shop", Priority::kCritical);
  nc.rule = "Anything at all";  // no rules: every rule
  nc.output_fields["proc.name"] = "nc";
  EXPECT_TRUE(critical->match.matches(nc));
  nc.priority = Priority::kEmergency;
  EXPECT_FALSE(critical->match.matches(nc)) << "Talon's \"Critical\" is not \">=Critical\"";
  nc.priority = Priority::kCritical;
  nc.output_fields["proc.name"] = "ncat";
  EXPECT_FALSE(critical->match.matches(nc));
  // ignore_errors -> continue_on_error; the action with continue: false is the last.
  ASSERT_EQ(critical->steps.size(), 2u);
  EXPECT_EQ(critical->steps[0].action, "pod.annotate");
  EXPECT_TRUE(critical->steps[0].continue_on_error);
  EXPECT_EQ(critical->steps[1].action, "node.cordon");
  EXPECT_FALSE(critical->steps[1].continue_on_error);

  // dry_run kept; continue: true lets a terminate go on; drain's settings mapped.
  const auto* drain = find(pbs, "drain-the-node");
  ASSERT_NE(drain, nullptr);
  EXPECT_TRUE(drain->dry_run);
  Alert kmod = shell("shop", Priority::kWarning);
  kmod.rule = "Kernel module loaded";
  EXPECT_TRUE(drain->match.matches(kmod));
  kmod.priority = Priority::kError;
  EXPECT_FALSE(drain->match.matches(kmod)) << "<Error";
  ASSERT_EQ(drain->steps.size(), 2u);
  EXPECT_EQ(drain->steps[0].action, "pod.delete");
  EXPECT_FALSE(drain->steps[0].params["allow_last_replica"].as<bool>());
  EXPECT_EQ(drain->steps[1].action, "node.drain");
  EXPECT_EQ(drain->steps[1].params["timeout_seconds"].as<int>(), 300);
  EXPECT_TRUE(drain->steps[1].continue_on_error);
}

// Each construct riposte cannot say is reported with its position and reason, and the rule
// becomes a dry-run playbook of what could be translated.
TEST(TalonImportTest, UntranslatableConstructsAreReportedWithPositionAndTheRuleIsDryRun) {
  const TalonImport imp = import_both();
  const auto pbs = load(imp);
  const auto* bits = find(pbs, "untranslatable-bits");
  ASSERT_NE(bits, nullptr);
  EXPECT_TRUE(bits->dry_run);
  // The logs, the node label (set part) and the terminate.
  ASSERT_EQ(bits->steps.size(), 3u);
  EXPECT_EQ(bits->steps[0].action, "pod.logs");
  EXPECT_EQ(bits->steps[0].params["tail_lines"].as<int>(), 10);
  EXPECT_EQ(bits->steps[1].action, "pod.label");
  EXPECT_EQ(bits->steps[1].params["level"].as<std::string>(), "node");
  EXPECT_EQ(bits->steps[1].params["labels"].size(), 1u) << "the label it can set";
  EXPECT_EQ(bits->steps[2].action, "pod.delete");
  EXPECT_TRUE(bits->steps[2].params["skip_standalone"].as<bool>());
  const auto n = notes(imp);
  for (const char* want : {
           "rules.yaml:76:15: warning: not translated: notifier \"slack\"",
           "rules.yaml:80:9: warning: not translated: output_fields item \"k8s.ns.name=a\": "
           "Talon's items are alternatives",
           "rules.yaml:81:9: warning: not translated: output_fields item \"k8s.ns.name=b\"",
           "rules.yaml:84:18: note: riposte's pod.logs keeps the lines in the run's audit record",
           "rules.yaml:91:18: warning: not translated: actionner kubernetes:exec",
           "rules.yaml:99:9: warning: not translated: parameter \"labels\" of "
           "kubernetes:label: \"quarantined\" has an empty value",
           "rules.yaml:106:9: warning: not translated: parameter \"min_healthy_replicas\"",
           "rules.yaml:75:3: note: rule \"Untranslatable bits\" imported with dry_run: true",
       }) {
    EXPECT_THAT(n, Contains(HasSubstr(want))) << want;
  }
  // Talon's networkpolicy only denies egress: said, not hidden.
  EXPECT_THAT(n, Contains(HasSubstr("rules.yaml:12:14: note: Talon's policy denies the pod's "
                                    "egress only")));
  // Every construct is either translated or reported.
  int reported = 0;
  for (const auto& note : imp.notes) reported += note.translated ? 0 : 1;
  EXPECT_EQ(imp.constructs - imp.translated, reported);
  EXPECT_EQ(imp.constructs, 50);
  EXPECT_EQ(imp.translated, 43);
}

// Talon drops a test whose value holds = or ! (it splits on them): so does the import, which
// says so and keeps the rest of the item.
TEST(TalonImportTest, ATestTalonIgnoresIsLeftOutAndSaid) {
  auto r = import_talon({{"t.yaml", R"(- rule: r
  match:
    output_fields:
      - "k8s.ns.name=shop, proc.cmdline=sh -c a=b"
  actions:
    - action: c
      actionner: kubernetes:cordon
)"}});
  ASSERT_TRUE(r.ok()) << r.error();
  const auto pbs = load(*r);
  ASSERT_EQ(pbs.size(), 1u);
  EXPECT_TRUE(pbs[0].dry_run);
  ASSERT_EQ(pbs[0].match.output_fields.size(), 1u);
  EXPECT_EQ(pbs[0].match.output_fields[0].field, "k8s.ns.name");
  EXPECT_THAT(notes(*r), Contains(HasSubstr("t.yaml:4:9: warning: not translated: output_fields "
                                            "test \"proc.cmdline=sh -c a=b\": Talon ignores")));
}

TEST(TalonImportTest, AnItemOfOnlyIgnoredTestsLeavesNoOutputFields) {
  auto r = import_talon({{"t.yaml", R"(- rule: r
  match:
    output_fields: ["a=b=c"]
  actions: [{action: c, actionner: kubernetes:cordon}]
)"}});
  ASSERT_TRUE(r.ok()) << r.error();
  const auto pbs = load(*r);
  ASSERT_EQ(pbs.size(), 1u);
  EXPECT_TRUE(pbs[0].match.output_fields.empty());
  EXPECT_TRUE(pbs[0].dry_run);
}

TEST(TalonImportTest, NotTalonsFormatIsAnErrorWithItsPosition) {
  auto r = import_talon({{"bad.yaml", "rule: not a list\n"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("bad.yaml:1:1: a Talon rules file is a list"));
  r = import_talon({{"bad.yaml", "- rule: x\n  match: {rules: [a\n"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("bad.yaml:"));
  r = import_talon({{"bad.yaml", "- name: x\n"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("bad.yaml:1:3: neither a rule nor an action"));
}

// The command: its file loads with the loader the responder uses (and `playbook validate`).
TEST(TalonImportTest, CommandWritesPlaybooksTheResponderLoads) {
  const std::string dir = testing::make_temp_dir("talon-import");
  std::ofstream(dir + "/rules.yaml") << kRules;
  std::ofstream(dir + "/override.yaml") << kOverride;
  const std::string bin = std::string(std::getenv("RIPOSTE_BINARY_DIR")) + "/bin/riposte";
  auto run = [&](const std::vector<std::string>& argv, const std::string& log) {
    auto p = testing::Subprocess::spawn(argv, {}, log);
    int status = -1;
    if (!p.ok() || !(*p)->wait_exit(60000, &status)) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  ASSERT_EQ(run({bin, "playbook", "import-talon", dir + "/rules.yaml", dir + "/override.yaml",
                 "--output", dir + "/playbooks/talon.yaml"},
                dir + "/import.log"),
            1)
      << "the output directory does not exist: cannot write";
  std::filesystem::create_directories(dir + "/playbooks");
  ASSERT_EQ(run({bin, "playbook", "import-talon", dir + "/rules.yaml", dir + "/override.yaml",
                 "--output", dir + "/playbooks/talon.yaml"},
                dir + "/import.log"),
            0)
      << testing::read_file(dir + "/import.log");
  const std::string log = testing::read_file(dir + "/import.log");
  EXPECT_THAT(log, HasSubstr("warning: not translated: actionner kubernetes:exec"));
  EXPECT_THAT(log, HasSubstr("4 playbooks; translated "));
  auto loaded = playbook::load_playbooks(dir + "/playbooks");
  EXPECT_TRUE(loaded.ok()) << loaded.error_text();
  EXPECT_EQ(loaded.playbooks.size(), 4u);
  EXPECT_EQ(run({bin, "playbook", "validate", dir + "/playbooks"}, dir + "/validate.log"), 0)
      << testing::read_file(dir + "/validate.log");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace riposte::cli
