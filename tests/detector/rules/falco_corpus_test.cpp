// Loads the upstream Falco rulesets (../shared/falco-rules, beside the repository) and checks
// riposte's engine accepts them. See detector/rules/COMPAT.md for what is not supported.
#include <fcntl.h>
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

std::string corpus_dir() {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  std::filesystem::path base = src != nullptr ? src : ".";
  return (base / ".." / "shared" / "falco-rules").lexically_normal().string();
}

std::string corpus_file(const std::string& name) {
  std::string dir = corpus_dir();
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "Falco rules corpus not found at " << dir
                  << " (expected the shared/ folder beside the repository)";
    return {};
  }
  return dir + "/" + name;
}

std::string errors_of(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kError) s += d.str() + "\n";
  return s;
}

TEST(FalcoCorpus, StableRulesLoadWithoutErrors) {
  std::string f = corpus_file("falco_rules.yaml");
  if (f.empty()) return;
  auto r = load_rules({f});
  EXPECT_EQ(r.errors(), 0u) << errors_of(r);
  ASSERT_NE(r.ruleset, nullptr);
  EXPECT_EQ(r.ruleset->all_rules().size(), 25u);
  EXPECT_NE(r.ruleset->find("Terminal shell in container"), nullptr);
}

TEST(FalcoCorpus, IncubatingRulesLoadWithoutErrors) {
  std::string stable = corpus_file("falco_rules.yaml");
  if (stable.empty()) return;
  auto r = load_rules({stable, corpus_file("falco-incubating_rules.yaml")});
  EXPECT_EQ(r.errors(), 0u) << errors_of(r);
  ASSERT_NE(r.ruleset, nullptr);
  EXPECT_EQ(r.ruleset->all_rules().size(), 25u + 31u);
}

TEST(FalcoCorpus, SandboxRulesLoadWithoutErrors) {
  std::string stable = corpus_file("falco_rules.yaml");
  if (stable.empty()) return;
  auto r = load_rules({stable, corpus_file("falco-sandbox_rules.yaml")});
  EXPECT_EQ(r.errors(), 0u) << errors_of(r);
  ASSERT_NE(r.ruleset, nullptr);
  EXPECT_EQ(r.ruleset->all_rules().size(), 25u + 37u);
}

TEST(FalcoCorpus, AllThreeTogether) {
  std::string stable = corpus_file("falco_rules.yaml");
  if (stable.empty()) return;
  auto r = load_rules({stable, corpus_file("falco-incubating_rules.yaml"),
                       corpus_file("falco-sandbox_rules.yaml")});
  EXPECT_EQ(r.errors(), 0u) << errors_of(r);
  ASSERT_NE(r.ruleset, nullptr);
  EXPECT_EQ(r.ruleset->all_rules().size(), 25u + 31u + 37u);
}

// The stable rules fire on hand-built events the way Falco's do.
class StableRulesBehaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string f = corpus_file("falco_rules.yaml");
    if (f.empty()) FAIL() << "cannot check the stable rules' behaviour without the corpus";
    LoadOptions o;
    o.rule_matching = RuleMatching::kAll;
    res = load_rules({f}, o);
    ASSERT_EQ(res.errors(), 0u) << errors_of(res);
    ctr = testing::make_container();
    runc = w.add(100, 1, "runc:[1:CHILD]", {}, ctr);
    shell = w.add(200, 100, "bash", {}, ctr);
    shell->tty = 34816;
    app = w.add(300, 100, "python3", {"app.py"}, ctr);
    app->start_ns = 1;  // long-running
  }
  std::vector<std::string> fired(const Event& ev) {
    std::vector<const CompiledRule*> out;
    res.ruleset->evaluate(ev, &out);
    std::vector<std::string> names;
    for (const auto* r : out) names.push_back(r->name);
    return names;
  }
  LoadResult res;
  testing::World w;
  std::shared_ptr<ContainerInfo> ctr;
  ProcessInfo *runc, *shell, *app;
};

using ::testing::ElementsAre;

TEST_F(StableRulesBehaviour, TerminalShellInContainer) {
  Event ev = testing::make_event(EventType::kExecve, shell, &w);
  EXPECT_THAT(fired(ev), ElementsAre("Terminal shell in container"));
  shell->tty = 0;
  EXPECT_TRUE(fired(ev).empty());
}

TEST_F(StableRulesBehaviour, ReadSensitiveFileUntrusted) {
  ProcessInfo* cat = w.add(400, 300, "cat", {"/etc/shadow"}, ctr);
  FdInfo fd;
  fd.num = 3;
  fd.type = FdType::kFile;
  fd.name = "/etc/shadow";
  fd.open_flags = O_RDONLY;
  Event ev = testing::make_event(EventType::kOpenat, cat, &w);
  ev.fd = &fd;
  ev.res = 3;
  ev.args.path = fd.name;
  EXPECT_THAT(fired(ev), ElementsAre("Read sensitive file untrusted"));
  cat->name = "sshd";  // a trusted reader
  EXPECT_TRUE(fired(ev).empty());
}

TEST_F(StableRulesBehaviour, NetworkAndSyscallRules) {
  FdInfo sock;
  sock.num = 1;
  sock.type = FdType::kIpv4;
  sock.client_ip.family = sock.server_ip.family = 4;
  sock.client_ip.bytes = {10, 0, 0, 5};
  sock.server_ip.bytes = {203, 0, 113, 7};
  sock.client_port = 51000;
  sock.server_port = 443;
  sock.l4proto = 6;
  sock.name = "10.0.0.5:51000->203.0.113.7:443";

  Event dup = testing::make_event(EventType::kDup2, app, &w);
  dup.fd = &sock;
  dup.res = 1;
  EXPECT_THAT(fired(dup), ElementsAre("Redirect STDOUT/STDIN to Network Connection in Container"));

  ProcessInfo* ssh = w.add(500, 300, "ssh", {"-p", "443", "203.0.113.7"}, nullptr);
  ssh->exe = "/usr/bin/ssh";
  Event conn = testing::make_event(EventType::kConnect, ssh, &w);
  conn.fd = &sock;
  EXPECT_THAT(fired(conn), ElementsAre("Disallowed SSH Connection Non Standard Port"));
  sock.server_ip.bytes = {192, 168, 1, 1};  // RFC 1918: not outbound
  EXPECT_TRUE(fired(conn).empty());

  Event pkt = testing::make_event(EventType::kSocket, app, &w);
  pkt.args.domain = 17;  // AF_PACKET
  EXPECT_THAT(fired(pkt), ElementsAre("Packet socket created in container"));

  Event pt = testing::make_event(EventType::kPtrace, app, &w);
  pt.args.request = 16;  // PTRACE_ATTACH
  EXPECT_THAT(fired(pt), ElementsAre("PTRACE attached to process"));

  app->cap_effective = 1ull << 16;  // CAP_SYS_MODULE
  Event mod = testing::make_event(EventType::kFinitModule, app, &w);
  EXPECT_THAT(fired(mod), ElementsAre("Linux Kernel Module Injection Detected"));
}

TEST_F(StableRulesBehaviour, ExecRules) {
  ProcessInfo* drop = w.add(600, 300, "xmrig", {}, ctr);
  drop->exe_upper_layer = true;
  Event ev = testing::make_event(EventType::kExecve, drop, &w);
  EXPECT_THAT(fired(ev), ElementsAre("Drop and execute new binary in container"));

  ProcessInfo* mem = w.add(700, 300, "x", {}, nullptr);
  mem->exe_from_memfd = true;
  mem->exepath = "memfd:payload";
  Event m = testing::make_event(EventType::kExecve, mem, &w);
  EXPECT_THAT(fired(m), ElementsAre("Fileless execution via memfd_create"));

  ProcessInfo* grep = w.add(800, 300, "grep", {"-r", "aws_secret_access_key", "/"}, nullptr);
  Event g = testing::make_event(EventType::kExecve, grep, &w);
  EXPECT_THAT(fired(g), ElementsAre("Find AWS Credentials"));
}

}  // namespace
}  // namespace riposte::detector::rules
