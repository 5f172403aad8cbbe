// The open-path analysis (detector/rules/open_paths.h): the paths it derives per access class,
// and, over the whole upstream corpus, that it never leaves out an open some rule matches.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detector/rules/open_paths.h"
#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

using ::testing::ElementsAre;

TEST(PathSet, KeepsTheShortestPrefixesSorted) {
  PathSet s = PathSet::of({"/etc/shadow", "/etc/", "/bin/", "/etc/pam.d/", "/bin/"});
  EXPECT_THAT(s.prefixes(), ElementsAre("/bin/", "/etc/"));
  EXPECT_TRUE(s.admits("/etc/shadow"));
  EXPECT_FALSE(s.admits("/etc"));
  EXPECT_FALSE(s.admits("/dev/null"));
  s.add(PathSet::of({"/dev/null"}));
  EXPECT_TRUE(s.admits("/dev/null"));
  s.add(PathSet::any());
  EXPECT_TRUE(s.is_any());
  EXPECT_TRUE(PathSet::of({""}).is_any()) << "an empty prefix is every path";
  EXPECT_FALSE(PathSet::none().admits("/"));
}

TEST(PathSet, IrregularPathsAreTheOnesNormalisationChanges) {
  for (const char* p : {"data.txt", "./x", "/etc/../tmp", "/etc//shadow", "/etc/./shadow", "/a..b", ""})
    EXPECT_TRUE(is_irregular_path(p)) << p;
  for (const char* p : {"/etc/shadow", "/", "/usr/lib/x.so.1", "/etc/shadow/"})
    EXPECT_FALSE(is_irregular_path(p)) << p;
}

OpenPaths paths_of(const std::string& condition) {
  auto r = testing::load("- rule: r\n  desc: d\n  condition: " + condition +
                         "\n  output: o\n  priority: WARNING\n");
  EXPECT_TRUE(r.ok()) << testing::diags(r);
  if (!r.ruleset) return {};
  return r.ruleset->open_paths();
}

TEST(OpenPaths, ReadAndWriteConditionsGiveTheirClassItsPaths) {
  OpenPaths p = paths_of("evt.type in (open, openat) and evt.is_open_read=true and fd.name startswith /etc");
  EXPECT_THAT(p.read.prefixes(), ElementsAre("/etc"));
  EXPECT_THAT(p.write.prefixes(), ElementsAre("/etc")) << "O_RDWR reads too";

  p = paths_of("evt.type=openat and evt.is_open_write=true and fd.directory in (/bin, /usr/bin/)");
  EXPECT_FALSE(p.read.is_any());
  EXPECT_TRUE(p.read.prefixes().empty()) << "a read-only open cannot match";
  EXPECT_THAT(p.write.prefixes(), ElementsAre("/bin/", "/usr/bin/"));
}

TEST(OpenPaths, OperatorsAndFieldsThatBoundThePath) {
  EXPECT_THAT(paths_of("evt.type=openat and fd.name in (/etc/shadow, /etc/gshadow)").read.prefixes(),
              ElementsAre("/etc/gshadow", "/etc/shadow"));
  EXPECT_THAT(paths_of("evt.type=openat and fd.name glob '/proc/*/environ'").read.prefixes(),
              ElementsAre("/proc/"));
  EXPECT_THAT(paths_of("evt.type=openat and fd.name pmatch (/usr/bin/)").read.prefixes(),
              ElementsAre("/usr/bin"));
  EXPECT_THAT(paths_of("evt.type=openat and fd.directory pmatch (/etc)").read.prefixes(),
              ElementsAre("/etc/"));
  EXPECT_TRUE(paths_of("evt.type=openat and fd.directory = /").read.is_any());
  EXPECT_TRUE(paths_of("evt.type=openat and fd.nameraw contains '../'").read.prefixes().empty());
  EXPECT_TRUE(paths_of("evt.type=openat and fd.name endswith .log").read.is_any());
  EXPECT_TRUE(paths_of("evt.type=openat and fd.name contains shadow").read.is_any());
  EXPECT_TRUE(paths_of("evt.type=openat and tolower(fd.name) startswith /etc").read.is_any());
}

TEST(OpenPaths, AndTakesTheNarrowestOrTheUnionNotNothing) {
  EXPECT_THAT(paths_of("evt.type=openat and fd.name startswith /etc and fd.name in (/etc/a, /etc/b)")
                  .read.prefixes(),
              ElementsAre("/etc"));
  EXPECT_THAT(paths_of("evt.type=openat and (fd.name startswith /etc or fd.name startswith /root)")
                  .read.prefixes(),
              ElementsAre("/etc", "/root"));
  EXPECT_TRUE(paths_of("evt.type=openat and (fd.name startswith /etc or proc.name=sh)").read.is_any());
  EXPECT_TRUE(paths_of("evt.type=openat and not fd.name startswith /tmp").read.is_any());
  // branches for other event types do not widen the set
  EXPECT_THAT(paths_of("(evt.type=execve and proc.name=sh) or (evt.type=openat and fd.name=/etc/shadow)")
                  .read.prefixes(),
              ElementsAre("/etc/shadow"));
  // rules that cannot match an open add nothing
  EXPECT_TRUE(paths_of("evt.type=execve and proc.name=sh").read.prefixes().empty());
  EXPECT_TRUE(paths_of("evt.type=openat").read.is_any());
}

// ---- soundness over the upstream corpus ----------------------------------------------------

constexpr auto corpus = testing::corpus_file;

// Every path some list, macro or rule of the corpus names, each with a few neighbours, opened
// read-only, write-only and read-write by a host process and by a containerised one with a
// terminal: whenever a rule matches, the analysis must admit the path for that class.
TEST(OpenPaths, NeverLeavesOutAnOpenTheCorpusMatches) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  LoadOptions o;
  o.rule_matching = RuleMatching::kAll;
  auto res = load_rules({stable, corpus("falco-incubating_rules.yaml"), corpus("falco-sandbox_rules.yaml"),
                         std::string(std::getenv("RIPOSTE_SOURCE_DIR") ? std::getenv("RIPOSTE_SOURCE_DIR") : ".") +
                             "/detector/default_rules/riposte_rules.yaml"},
                        o);
  ASSERT_NE(res.ruleset, nullptr);
  const OpenPaths paths = res.ruleset->open_paths();

  std::vector<std::string> candidates = {
      "/etc/shadow", "/etc/sudoers", "/etc/sudoers.d/x", "/etc/pam.d/sshd", "/etc/passwd",
      "/etc/nginx/tls/tls.key", "/etc/ld.so.preload", "/etc/apt/sources.list", "/etc/x",
      "/root/.ssh/id_rsa", "/root/.bashrc", "/root/x", "/home/u/.ssh/authorized_keys",
      "/home/u/.bashrc", "/bin/ls", "/usr/bin/x", "/usr/local/bin/x", "/sbin/x", "/lib/x.so",
      "/usr/lib/x", "/boot/vmlinuz", "/dev/null", "/dev/shm/x", "/dev/x", "/proc/1/environ",
      "/proc/self/mem", "/sys/fs/cgroup/release_agent", "/var/log/syslog", "/var/log/x.log",
      "/var/lib/rpm/x", "/var/lib/dpkg/x", "/tmp/x", "/x", "/opt/app/id_rsa", "/var/run/docker.sock",
      "/run/containerd/containerd.sock", "/etc/kubernetes/admin.conf", "/var/lib/kubelet/x",
      "/etc/crontab", "/etc/cron.d/x", "/var/spool/cron/x", "/etc/profile", "/etc/bash.bashrc",
      "/usr/share/x", "/var/www/html/x.php"};
  testing::World w;
  auto ctr = testing::make_container();
  ProcessInfo* host = w.add(10, 1, "python3", {"x.py"});
  ProcessInfo* shell = w.add(20, 1, "bash", {}, ctr);
  shell->tty = 34816;
  ProcessInfo* app = w.add(30, 1, "node", {"app.js"}, ctr);
  app->start_ns = 1;

  size_t matched = 0;
  std::vector<const CompiledRule*> out;
  for (const std::string& path : candidates) {
    for (int acc : {O_RDONLY, O_WRONLY, O_RDWR}) {
      for (uint32_t extra : {0u, static_cast<uint32_t>(O_CREAT | O_TRUNC), static_cast<uint32_t>(O_APPEND)}) {
        for (ProcessInfo* p : {host, shell, app}) {
          for (EventType t : {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2}) {
            FdInfo fd;
            fd.num = 3;
            fd.type = FdType::kFile;
            fd.name = path;
            fd.open_flags = static_cast<uint32_t>(acc) | extra;
            Event ev = testing::make_event(t, p, &w);
            ev.fd = &fd;
            ev.res = 3;
            ev.args.path = path;
            ev.args.flags = fd.open_flags;
            ev.args.mode = 0755;
            res.ruleset->evaluate(ev, &out);
            if (out.empty()) continue;
            ++matched;
            const PathSet& set = acc == O_RDONLY ? paths.read : paths.write;
            EXPECT_TRUE(set.admits(path)) << out[0]->name << " matches " << path << " (flags " << fd.open_flags
                                          << ") but the open filter would drop it";
          }
        }
      }
    }
  }
  EXPECT_GT(matched, 50u) << "the sweep should exercise the file rules";
}

// What the detector loads by default: the read-only filter is on, and drops /dev/null.
TEST(OpenPaths, StableRulesFilterReadOnlyOpens) {
  const std::string stable = corpus("falco_rules.yaml");
  ASSERT_TRUE(std::filesystem::exists(stable)) << "Falco rules corpus not found at " << stable;
  auto res = load_rules({stable});
  ASSERT_NE(res.ruleset, nullptr);
  const PathSet& read = res.ruleset->open_paths().read;
  EXPECT_FALSE(read.is_any());
  EXPECT_TRUE(read.admits("/etc/shadow"));
  EXPECT_FALSE(read.admits("/dev/null"));
  EXPECT_FALSE(read.admits("/usr/lib/x86_64-linux-gnu/libc.so.6"));
}

}  // namespace
}  // namespace riposte::detector::rules
