// The in-kernel decision's compiler (detector/rules/kernel_program.h): which rules the kernel
// may decide on its own, why the others may not (naming the field), and, over Falco's
// rulesets, that the kernel's value is exact: whenever it says true the rule matches, whenever
// it says false the rule does not (a wrong true would kill a process the rule spares).
#include "detector/rules/kernel_program.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

KernelProgram program_of(const std::string& condition) {
  auto r = testing::load("- rule: r\n  desc: d\n  condition: " + condition +
                         "\n  output: o\n  priority: WARNING\n");
  EXPECT_TRUE(r.ok()) << testing::diags(r);
  if (!r.ruleset || r.ruleset->enabled_rules().empty()) return {};
  return r.ruleset->enabled_rules()[0]->filter.kernel_program();
}

KernelFacts facts(std::string comm, std::optional<std::string> parent, uint32_t tty,
                  std::optional<bool> in_container) {
  return {std::move(comm), std::move(parent), tty, in_container};
}

TEST(KernelProgram, DecidesNamesTtyAndContainerExactly) {
  const KernelProgram p = program_of(
      "evt.type in (execve, execveat) and container.id != host and proc.name in (sh, bash) and "
      "proc.tty != 0 and (not proc.pname exists or proc.pname in (runc, crio)) and "
      "not evt.num = 0");
  ASSERT_TRUE(p.decidable()) << p.why_not;
  EXPECT_EQ(evaluate(p, facts("sh", "runc", 34816, true)), KernelTri::kTrue);
  EXPECT_EQ(evaluate(p, facts("sh", "runc", 0, true)), KernelTri::kFalse) << "no tty";
  EXPECT_EQ(evaluate(p, facts("zsh", "runc", 34816, true)), KernelTri::kFalse);
  EXPECT_EQ(evaluate(p, facts("sh", "runc", 34816, false)), KernelTri::kFalse) << "host";
  EXPECT_EQ(evaluate(p, facts("sh", "bash", 34816, true)), KernelTri::kFalse);
  // What the kernel is not sure of leaves the decision to the detector (the hold path).
  EXPECT_EQ(evaluate(p, facts("sh", std::nullopt, 34816, true)), KernelTri::kUnknown)
      << "a parent the kernel did not see exec may be unknown to the detector too";
  EXPECT_EQ(evaluate(p, facts("sh", "runc", 34816, std::nullopt)), KernelTri::kUnknown)
      << "an unclassified cgroup";
  EXPECT_EQ(evaluate(p, facts("zsh", std::nullopt, 34816, std::nullopt)), KernelTri::kFalse)
      << "false whatever the unknowns are";
}

TEST(KernelProgram, NamesAsTheKernelKeepsThem) {
  // A value longer than a comm (15 bytes) never equals one; != of it always holds.
  KernelProgram p = program_of("evt.type = execve and proc.name = a-very-long-process-name");
  ASSERT_TRUE(p.decidable()) << p.why_not;
  EXPECT_EQ(evaluate(p, facts("a-very-long-pro", "x", 0, true)), KernelTri::kFalse);
  p = program_of("evt.type = execve and proc.name != a-very-long-process-name");
  EXPECT_EQ(evaluate(p, facts("a-very-long-pro", "x", 0, true)), KernelTri::kTrue);
}

TEST(KernelProgram, OtherFieldsAndOperatorsTakeTheHoldPathNamingTheField) {
  KernelProgram p = program_of("evt.type = execve and proc.name = sh and proc.cmdline contains x");
  EXPECT_FALSE(p.decidable());
  EXPECT_NE(p.why_not.find("field proc.cmdline"), std::string::npos) << p.why_not;
  p = program_of("evt.type = execve and proc.name startswith s");
  EXPECT_NE(p.why_not.find("field proc.name: only =, != and in"), std::string::npos) << p.why_not;
  p = program_of("evt.type = execve and container.id = abcdef123456");
  EXPECT_NE(p.why_not.find("only compared with host"), std::string::npos) << p.why_not;
  p = program_of("evt.type = execve and toupper(proc.name) = SH");
  EXPECT_NE(p.why_not.find("transformer"), std::string::npos) << p.why_not;
  p = program_of("evt.type = openat and proc.name = sh");
  EXPECT_NE(p.why_not.find("cannot match an exec"), std::string::npos) << p.why_not;
}

constexpr auto corpus = testing::corpus_file;

TEST(KernelProgram, FalcosTerminalShellRuleIsDecidedInTheKernel) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  auto res = load_rules({stable});
  ASSERT_NE(res.ruleset, nullptr);
  const CompiledRule* r = res.ruleset->find("Terminal shell in container");
  ASSERT_NE(r, nullptr);
  const KernelProgram p = r->filter.kernel_program();
  ASSERT_TRUE(p.decidable()) << p.why_not;
  EXPECT_EQ(evaluate(p, facts("bash", "runc", 34816, true)), KernelTri::kTrue);
  // `riposte rules explain` says which path each rule takes, and why not the kernel.
  EXPECT_NE(explain_rule(*r).find("enforcement path: kernel"), std::string::npos)
      << explain_rule(*r);
  const CompiledRule* other = res.ruleset->find("Netcat Remote Code Execution in Container");
  ASSERT_NE(other, nullptr);
  EXPECT_NE(explain_rule(*other).find("enforcement path: hold-and-decide (`proc."),
            std::string::npos)
      << explain_rule(*other);
  EXPECT_NE(explain_rule(*other).find("is not known to the kernel at exec"), std::string::npos)
      << explain_rule(*other);
}

TEST(KernelProgram, ExplainListsEachExecRulesPath) {
  auto r = testing::load(R"(
- rule: by name and tty
  desc: d
  condition: evt.type = execve and proc.name = sh and proc.tty != 0
  output: o
  priority: WARNING
- rule: by command line
  desc: d
  condition: evt.type = execve and proc.name = sh and proc.cmdline contains "-i"
  output: o
  priority: WARNING
- rule: not an exec
  desc: d
  condition: evt.type = openat and proc.name = sh
  output: o
  priority: WARNING
)");
  ASSERT_TRUE(r.ok()) << testing::diags(r);
  const std::string text = explain_enforcement(*r.ruleset);
  EXPECT_NE(text.find("by name and tty: kernel\n"), std::string::npos) << text;
  EXPECT_NE(text.find("by command line: hold-and-decide (`proc.cmdline contains -i`: field "
                      "proc.cmdline is not known to the kernel at exec)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("not an exec"), std::string::npos) << text;
  EXPECT_NE(text.find("1 rules decided in the kernel, 1 hold-and-decide"), std::string::npos)
      << text;
}

// Execs of many names, under many parents, in and out of containers, with and without a tty,
// against every rule of Falco's rulesets the kernel can decide: its true is a match, its false
// a miss, as the detector evaluates the full rule.
TEST(KernelProgram, ExactOverFalcosRulesets) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  auto res = testing::load_every_syscall_ruleset();
  ASSERT_NE(res.ruleset, nullptr);
  std::vector<std::pair<const CompiledRule*, KernelProgram>> decidable;
  for (const CompiledRule* r : res.ruleset->enabled_rules()) {
    KernelProgram p = r->filter.kernel_program();
    if (p.decidable()) decidable.emplace_back(r, std::move(p));
  }
  ASSERT_GE(decidable.size(), 2u) << "Terminal shell in container and riposte's own";
  const std::vector<std::string> names = {"sh",   "bash", "dash", "zsh",   "nc",   "ncat",
                                          "curl", "sudo", "sshd", "nginx", "runc", "su"};
  const std::vector<std::string> parents = {"runc", "containerd-shim", "bash",           "sh",
                                            "sshd", "systemd",         "runc:[1:CHILD]", "nginx"};
  auto ctr = testing::make_container();
  size_t kernel_true = 0, kernel_false = 0;
  int64_t pid = 100;
  for (const std::string& parent : parents) {
    for (const bool in_container : {false, true}) {
      for (const uint32_t tty : {0u, 34816u}) {
        testing::World w;
        ProcessInfo* pp = w.add(pid++, 1, parent, {}, in_container ? ctr : nullptr);
        for (const std::string& name : names) {
          ProcessInfo* p = w.add(pid++, pp->pid, name, {"-c", "x"}, in_container ? ctr : nullptr);
          p->tty = tty;
          Event ev = testing::make_event(EventType::kExecve, p, &w);
          ev.args.path = p->exepath;
          for (const auto& [rule, prog] : decidable) {
            const bool matches = res.ruleset->matches(ev, *rule);
            const KernelTri k = evaluate(prog, facts(p->name, pp->name, tty, in_container));
            if (k == KernelTri::kTrue) {
              ++kernel_true;
              EXPECT_TRUE(matches) << rule->name << ": the kernel would kill " << name << " under "
                                   << parent << " (tty " << tty << ", container " << in_container
                                   << ") but the rule does not match it";
            } else if (k == KernelTri::kFalse) {
              ++kernel_false;
              EXPECT_FALSE(matches) << rule->name << ": the kernel says no for " << name
                                    << " under " << parent << " but the rule matches";
            }
          }
        }
      }
    }
  }
  EXPECT_GT(kernel_true, 0u) << "the sweep should reach the kernel's kills";
  EXPECT_GT(kernel_false, 0u);
}

}  // namespace
}  // namespace riposte::detector::rules
