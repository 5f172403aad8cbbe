// The exec-name analysis (detector/rules/exec_names.h), what the kernel-side exec hold is
// built from: the names it derives, and, over Falco's rulesets, that it never leaves out an
// exec some rule matches (a left-out exec would run before an enforcing rule decides).
#include "detector/rules/exec_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

using ::testing::ElementsAre;

TEST(NameSet, KeepsNamesAsTheKernelDoes) {
  NameSet s = NameSet::of({"bash", "sh", "bash", "a-very-long-process-name"});
  EXPECT_THAT(s.names(), ElementsAre("a-very-long-pro", "bash", "sh"))
      << "cut to 15 bytes, as comm";
  EXPECT_TRUE(s.admits("a-very-long-process-name-too"));
  EXPECT_FALSE(s.admits("zsh"));
  s.add(NameSet::of({"zsh"}));
  EXPECT_TRUE(s.admits("zsh"));
  s.add(NameSet::any());
  EXPECT_TRUE(s.is_any());
  EXPECT_FALSE(NameSet::none().admits("sh"));
}

ExecNames names_of(const std::string& condition) {
  auto r = testing::load("- rule: r\n  desc: d\n  condition: " + condition +
                         "\n  output: o\n  priority: WARNING\n");
  EXPECT_TRUE(r.ok()) << testing::diags(r);
  if (!r.ruleset || r.ruleset->enabled_rules().empty()) return {NameSet::none(), NameSet::none()};
  return r.ruleset->enabled_rules()[0]->filter.exec_names();
}

TEST(ExecNames, AndTakesTheNarrowestOrTheUnionNotNothing) {
  ExecNames n = names_of(
      "evt.type = execve and evt.dir = < and proc.name in (sh, bash) and proc.pname = runc");
  EXPECT_THAT(n.name.names(), ElementsAre("bash", "sh"));
  EXPECT_THAT(n.pname.names(), ElementsAre("runc"));
  n = names_of("evt.type = execve and (proc.name = nc or proc.name = ncat)");
  EXPECT_THAT(n.name.names(), ElementsAre("nc", "ncat"));
  EXPECT_TRUE(n.pname.is_any());
  n = names_of("evt.type = execve and (proc.name = nc or proc.args contains x)");
  EXPECT_TRUE(n.name.is_any()) << "one side of the or is not about the name";
  n = names_of("evt.type = execve and not proc.name in (sh)");
  EXPECT_TRUE(n.name.is_any()) << "a negation constrains nothing usable";
  n = names_of("evt.type = openat and proc.name = sh or evt.type = execve and proc.name = bash");
  EXPECT_THAT(n.name.names(), ElementsAre("bash")) << "the openat branch cannot hold at an exec";
}

constexpr auto corpus = testing::corpus_file;

TEST(ExecNames, FalcosTerminalShellRuleHoldsShells) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  auto res = load_rules({stable});
  ASSERT_NE(res.ruleset, nullptr);
  const CompiledRule* r = res.ruleset->find("Terminal shell in container");
  ASSERT_NE(r, nullptr);
  const ExecNames n = r->filter.exec_names();
  EXPECT_THAT(n.name.names(),
              ElementsAre("ash", "bash", "csh", "dash", "ksh", "sh", "tcsh", "zsh"));
  // container_entrypoint says `not proc.pname exists or proc.pname in (runc, ...)`: a shell
  // whose parent riposte does not know is an entrypoint too, and the kernel cannot tell.
  EXPECT_TRUE(n.pname.is_any());
  // `riposte rules explain` says which path the rule takes.
  EXPECT_NE(explain_rule(*r).find(
                "exec hold (--enforce): held in the kernel when proc.name is ash bash csh dash ksh "
                "sh tcsh zsh and proc.pname is any"),
            std::string::npos)
      << explain_rule(*r);
}

// Execs of many names, by many parents, in and out of containers, with and without a tty:
// whenever a rule of the corpus matches, its names must admit the exec's name and parent.
TEST(ExecNames, NeverLeavesOutAnExecTheCorpusMatches) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  auto res = testing::load_every_syscall_ruleset();
  ASSERT_NE(res.ruleset, nullptr);
  const std::vector<std::string> names = {
      "sh",    "bash",    "dash",    "zsh",      "apt-get", "dpkg",  "yum",  "nc",
      "ncat",  "nmap",    "curl",    "wget",     "python3", "perl",  "node", "sudo",
      "su",    "ssh",     "sshd",    "iptables", "mount",   "find",  "grep", "base64",
      "chmod", "tcpdump", "kubectl", "nginx",    "xmrig",   "socat", "ls"};
  const std::vector<std::string> parents = {
      "runc", "containerd-shim", "bash",    "sh",   "sshd", "node",
      "cron", "systemd",         "python3", "nginx"};
  auto ctr = testing::make_container();
  size_t matched = 0;
  std::vector<const CompiledRule*> out;
  int64_t pid = 100;
  for (const std::string& parent : parents) {
    for (const bool in_container : {false, true}) {
      for (const bool tty : {false, true}) {
        testing::World w;
        ProcessInfo* pp = w.add(pid++, 1, parent, {}, in_container ? ctr : nullptr);
        for (const std::string& name : names) {
          ProcessInfo* p = w.add(pid++, pp->pid, name, {"-c", "x"}, in_container ? ctr : nullptr);
          p->tty = tty ? 34816 : 0;
          Event ev = testing::make_event(EventType::kExecve, p, &w);
          ev.args.path = p->exepath;
          res.ruleset->evaluate(ev, &out);
          for (const CompiledRule* r : out) {
            ++matched;
            const ExecNames n = r->filter.exec_names();
            EXPECT_TRUE(n.name.admits(name))
                << r->name << " matches " << name << " but the hold would not stop it";
            EXPECT_TRUE(n.pname.admits(parent)) << r->name << " matches " << name << " under "
                                                << parent << " but the hold would not stop it";
          }
        }
      }
    }
  }
  EXPECT_GT(matched, 20u) << "the sweep should exercise the process rules";
}

}  // namespace
}  // namespace riposte::detector::rules
