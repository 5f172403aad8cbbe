#include "responder/playbook/playbook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/test_util.h"

namespace riposte::playbook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> diagnostics(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(d.str());
  return out;
}

TEST(PlaybookTest, ParsesACompletePlaybook) {
  auto r = parse_playbooks(R"(
name: kill-shell
description: delete the pod
dry_run: true
match:
  rules: ["Terminal shell in container", "Shell spawned*"]
  priority: ">=Notice"
  namespaces: shop
  source: syscall
steps:
  - action: pod.delete
    params: {grace_period_seconds: 5}
    continue_on_error: yes
  - action: pod.delete
)",
                           "kill.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.playbooks.size(), 1u);
  const Playbook& pb = r.playbooks[0];
  EXPECT_EQ(pb.name, "kill-shell");
  EXPECT_EQ(pb.description, "delete the pod");
  EXPECT_TRUE(pb.dry_run);
  EXPECT_EQ(pb.origin, "kill.yaml:2:1");
  EXPECT_THAT(pb.match.rules, ElementsAre("Terminal shell in container", "Shell spawned*"));
  ASSERT_TRUE(pb.match.priority.has_value());
  EXPECT_EQ(pb.match.priority->priority, Priority::kNotice);
  EXPECT_THAT(pb.match.namespaces, ElementsAre("shop"));
  EXPECT_EQ(pb.match.source, "syscall");
  ASSERT_EQ(pb.steps.size(), 2u);
  EXPECT_EQ(pb.steps[0].action, "pod.delete");
  ASSERT_NE(pb.steps[0].impl, nullptr);
  EXPECT_EQ(pb.steps[0].impl->name(), "pod.delete");
  EXPECT_EQ(pb.steps[0].params["grace_period_seconds"].as<int>(), 5);
  EXPECT_TRUE(pb.steps[0].continue_on_error);
  EXPECT_FALSE(pb.steps[1].continue_on_error);
}

TEST(PlaybookTest, EnforceMarksTheMatchedRulesAsEnforcing) {
  auto r = parse_playbooks(R"(
name: stop-shell
enforce: {mode: kill, host: true}
match: {rules: ["Terminal shell in container"]}
steps: [{action: pod.delete}]
---
name: plain
match: {rules: ["x"]}
steps: [{action: pod.delete}]
)",
                           "enforce.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.playbooks.size(), 2u);
  ASSERT_TRUE(r.playbooks[0].enforce.has_value());
  EXPECT_EQ(r.playbooks[0].enforce->mode, Enforce::Mode::kKill);
  EXPECT_TRUE(r.playbooks[0].enforce->host);
  EXPECT_FALSE(r.playbooks[1].enforce.has_value());
}

TEST(PlaybookTest, EnforceErrorsHaveTheirPosition) {
  auto r = parse_playbooks(R"(- name: a
  enforce: kill
  match: {rules: [x]}
  steps: [{action: pod.delete}]
- name: b
  enforce: {mode: freeze, hosts: true}
  match: {rules: [x]}
  steps: [{action: pod.delete}]
- name: c
  enforce: {host: maybe}
  match: {rules: [x]}
  steps: [{action: pod.delete}]
)",
                           "e.yaml");
  EXPECT_THAT(
      diagnostics(r),
      ElementsAre(
          R"(e.yaml:2:12: error: "enforce" must be a mapping such as {mode: kill})",
          R"(e.yaml:6:27: error: unknown key "hosts" in enforce (expected one of: mode, host))",
          R"(e.yaml:6:19: error: unknown enforce mode "freeze" (expected: kill))",
          R"(e.yaml:10:12: error: "enforce" has no "mode" (expected: kill))"));
  EXPECT_TRUE(r.playbooks.empty());
}

TEST(PlaybookTest, ReportsEveryProblemWithItsPosition) {
  auto r = parse_playbooks(R"(name: first
match:
  rules: []
  priority: ">=Severe"
  colour: red
steps:
  - action: pod.delete
    params:
      grace_period_seconds: -1
      force: true
  - action: pod.nuke
  - params: {}
---
description: no name
match: {rules: "*"}
steps: []
---
- name: first
  match: {rules: x}
  steps: [{action: pod.delete, continue_on_error: maybe}]
- 42
)",
                           "bad.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(
      diagnostics(r),
      ElementsAre(
          "bad.yaml:5:3: error: unknown key \"colour\" in match (expected one of: rules, priority, "
          "namespaces, source, tags, output_fields)",
          "bad.yaml:3:10: error: \"rules\" is empty",
          "bad.yaml:4:13: error: bad priority \">=Severe\": expected an optional >=, >, <=, <, = "
          "and "
          "one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug",
          "bad.yaml:9:29: error: pod.delete: \"grace_period_seconds\" must be an integer from 0 to "
          "86400",
          "bad.yaml:10:7: error: pod.delete: unknown param \"force\" (known: allow_last_replica, "
          "grace_period_seconds, skip_owner_kinds, skip_standalone)",
          "bad.yaml:11:13: error: unknown action \"pod.nuke\" (known: container.freeze, "
          "container.kill, container.thaw, event.create, forensics.capture, network.isolate, "
          "node.cordon, node.drain, node.taint, node.uncordon, notify.webhook, pod.annotate, "
          "pod.delete, pod.evict, pod.label, pod.logs, process.kill, workload.scale)",
          "bad.yaml:12:5: error: step has no \"action\"",
          "bad.yaml:14:1: error: playbook has no \"name\"",
          "bad.yaml:16:8: error: \"steps\" is empty",
          "bad.yaml:18:9: error: duplicate playbook name \"first\" (first defined at bad.yaml:1:1)",
          "bad.yaml:20:51: error: \"continue_on_error\" must be true or false",
          "bad.yaml:21:3: error: a playbook must be a mapping with name, match and steps"));
  EXPECT_TRUE(r.playbooks.empty());
}

TEST(PlaybookTest, MissingSectionsAndTypeErrors) {
  auto r = parse_playbooks("name: [a]\nsteps: {action: pod.delete}\nname: again\n", "t.yaml");
  EXPECT_THAT(diagnostics(r), ElementsAre("t.yaml:3:1: error: duplicate key \"name\" in playbook",
                                          "t.yaml:1:7: error: \"name\" must be a string",
                                          "t.yaml:1:1: error: playbook has no \"match\"",
                                          "t.yaml:2:8: error: \"steps\" must be a list"));
  r = parse_playbooks(
      "name: x\nmatch: {priority: Critical}\nsteps:\n  - action: pod.delete\n    params: 5\n",
      "t.yaml");
  EXPECT_THAT(
      diagnostics(r),
      ElementsAre("t.yaml:2:8: error: \"match\" has no \"rules\" (use \"*\" to match every rule)",
                  "t.yaml:5:13: error: pod.delete: params must be a mapping"));
}

TEST(PlaybookTest, SyntaxErrorHasAPosition) {
  auto r = parse_playbooks("name: x\nmatch: {rules: [a}\n", "syntax.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "syntax.yaml");
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_GT(r.errors[0].column, 0);
}

TEST(PlaybookTest, SequenceAndMultipleDocuments) {
  auto r = parse_playbooks(R"(
- {name: a, match: {rules: x}, steps: [{action: pod.delete}]}
- {name: b, match: {rules: y}, steps: [{action: pod.delete}]}
---
name: c
match: {rules: z}
steps: [{action: pod.delete}]
---
)",
                           "multi.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.playbooks.size(), 3u);
  EXPECT_EQ(r.playbooks[0].name, "a");
  EXPECT_EQ(r.playbooks[1].name, "b");
  EXPECT_EQ(r.playbooks[2].name, "c");
}

TEST(PlaybookTest, LoadsADirectoryAndFindsDuplicatesAcrossFiles) {
  testing::TempDir dir;
  dir.write("10-a.yaml", "name: a\nmatch: {rules: x}\nsteps: [{action: pod.delete}]\n");
  dir.write("20-b.yml", "name: b\nmatch: {rules: x}\nsteps: [{action: pod.delete}]\n");
  dir.write("README.md", "not a playbook");
  auto r = load_playbooks(dir.path());
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.playbooks.size(), 2u);
  EXPECT_EQ(r.playbooks[0].name, "a");
  EXPECT_EQ(r.playbooks[1].name, "b");

  dir.write("30-dup.yaml", "\nname: a\nmatch: {rules: x}\nsteps: [{action: pod.delete}]\n");
  r = load_playbooks(dir.path());
  EXPECT_THAT(diagnostics(r), ElementsAre(dir.path() +
                                          "/30-dup.yaml:2:7: error: duplicate playbook name "
                                          "\"a\" (first defined at " +
                                          dir.path() + "/10-a.yaml:1:1)"));
}

TEST(PlaybookTest, EmptyOrMissingInputIsAnError) {
  testing::TempDir dir;
  auto r = load_playbooks(dir.path());
  EXPECT_THAT(diagnostics(r), ElementsAre(dir.path() + ": error: no playbooks found"));
  r = load_playbooks(dir.path() + "/absent.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].str(), HasSubstr("absent.yaml: error: cannot read: No such file"));
}

TEST(PlaybookTest, ShippedPlaybooksLoad) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run through ctest (sets RIPOSTE_SOURCE_DIR)";
  auto r = load_playbooks(std::string(src) + "/playbooks");
  ASSERT_TRUE(r.ok()) << r.error_text();
  auto it = std::find_if(r.playbooks.begin(), r.playbooks.end(),
                         [](const Playbook& p) { return p.name == "kill-shell-in-container"; });
  ASSERT_NE(it, r.playbooks.end());
  Alert falco = testing::shell_alert();
  EXPECT_TRUE(it->match.matches(falco));
  Alert riposte = testing::shell_alert();
  riposte.rule = "Terminal shell in container (riposte)";  // riposte's default rules
  EXPECT_TRUE(it->match.matches(riposte));
  EXPECT_FALSE(it->dry_run);
}

}  // namespace
}  // namespace riposte::playbook
