// The detector reloads its rules files (detector/rules_reload.h) on real eBPF and real execs:
// the real riposte-detector (root, no cluster) with one rules file; rewriting the file, as
// falcoctl's follower installs a new version, changes which rule fires; a broken file is
// refused whole (logged, counted) and the last good rules keep firing. Its ops port serves
// Falco's /versions keys. Each negative is proven by a later positive: the detector evaluates
// execs in kernel order, so an alert for a later exec shows the earlier one was evaluated.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/alert_file.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

namespace fs = std::filesystem;

TEST(RulesReloadE2E, RewritingTheRulesFileChangesWhatFiresAndABrokenOneIsRefused) {
  ASSERT_EQ(geteuid(), 0u) << "loads eBPF programs: run as root";
  const std::string work = testing::make_temp_dir("rules-reload-e2e");
  // Two programs of our own, so no other exec on the machine matches.
  const std::string tag = std::to_string(getpid() % 100000);
  const std::string a = "rra" + tag, b = "rrb" + tag;
  for (const auto& n : {a, b}) fs::copy_file("/bin/true", work + "/" + n);
  auto rule = [](const std::string& name, const std::string& proc) {
    return "- rule: " + name +
           "\n  desc: t\n  condition: evt.type = execve and proc.name = " + proc +
           "\n  output: ran %proc.name\n  priority: WARNING\n";
  };
  const std::string rules = work + "/rules.yaml";
  auto install = [&](const std::string& text) {  // as falcoctl does: a new file renamed
    std::ofstream(rules + ".tmp") << text;
    fs::rename(rules + ".tmp", rules);
  };
  install(rule("Reload A", a));
  testing::AlertFile alerts(work + "/alerts.jsonl");
  auto det =
      testing::spawn_ready({testing::env_or("RIPOSTE_BINARY_DIR", ".") + "/bin/riposte-detector",
                            "--rules", rules, "--no-kube", "--node-name", "reload-test",
                            "--output-file", alerts.path(), "--ops-addr", "127.0.0.1:0"},
                           {}, work + "/detector.log", "detector running");
  ASSERT_TRUE(det.ok()) << det.error();
  auto run = [&](const std::string& n) {
    pid_t pid = fork();
    if (pid == 0) {
      execl((work + "/" + n).c_str(), n.c_str(), nullptr);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
  };
  auto fired = [&](const std::string& rule_name, size_t after, size_t* index) {
    return alerts.wait([&](const Alert& x) { return x.rule == rule_name; }, index, 30000)
               .has_value() &&
           *index >= after;
  };
  auto log_has = [&](const std::string& what) {
    return testing::eventually(
        [&] { return testing::read_file((*det)->log_path()).find(what) != std::string::npos; });
  };

  size_t first_a = 0;
  run(a);
  ASSERT_TRUE(fired("Reload A", 0, &first_a)) << (*det)->log_tail();

  install(rule("Reload B", b));
  ASSERT_TRUE(log_has("rules reloaded")) << (*det)->log_tail();
  run(a);
  run(b);
  size_t first_b = 0;
  ASSERT_TRUE(fired("Reload B", 0, &first_b)) << (*det)->log_tail();
  // The exec of a before b's was evaluated with the new rules: no second "Reload A".
  const auto& all = alerts.read();
  for (size_t i = first_a + 1; i < first_b; ++i) EXPECT_NE(all[i].rule, "Reload A");

  install(rule("Reload A", a) +
          "- rule: Broken\n  desc: t\n  condition: proc.nmae = x\n"
          "  output: x\n  priority: WARNING\n");
  ASSERT_TRUE(log_has("rules reload refused")) << (*det)->log_tail();
  run(a);
  run(b);
  // The last good rules (B) still fire, and the refused file's A did not.
  ASSERT_TRUE(testing::eventually([&] {
    size_t bs = 0;
    for (const auto& x : alerts.read()) bs += x.rule == "Reload B";
    return bs >= 2;
  }));
  size_t as = 0;
  for (const auto& x : alerts.read()) as += x.rule == "Reload A";
  EXPECT_EQ(as, 1u);

  std::smatch m;
  const std::string log = testing::read_file((*det)->log_path());
  ASSERT_TRUE(std::regex_search(log, m, std::regex("detector running.* ops_port=([0-9]+)")));
  httplib::Client ops("127.0.0.1", std::stoi(m[1]));
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("riposte_detector_rules_reloads_total{outcome=\"refused\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("riposte_detector_rules_reloads_total{outcome=\"loaded\"} 1"),
            std::string::npos);
  auto versions = ops.Get("/versions");
  ASSERT_TRUE(versions);
  auto v = nlohmann::json::parse(versions->body, nullptr, false);
  EXPECT_EQ(v.value("engine_version_semver", ""), "0.57.0") << versions->body;
}

}  // namespace
}  // namespace riposte
