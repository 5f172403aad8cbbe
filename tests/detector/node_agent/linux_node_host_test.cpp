// The real NodeHost on real processes this test starts (no root needed: they are its own
// children): kills by pid and start time, forensics of a known tree, cgroup lines parsed as
// the kernel writes them. The cgroup freezer itself needs root and a container: see
// tests/e2e/node_actions_e2e_test.cpp.
#include "detector/node_agent/linux_node_host.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "detector/node_agent/forensics.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::detector {
namespace {

// A child running `sh -c script` in its own process group, killed with everything it started
// (if still there) and reaped at the end.
class Child {
 public:
  explicit Child(const char* script, const char* env = nullptr) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      if (env != nullptr) putenv(const_cast<char*>(env));
      execl("/bin/sh", "sh", "-c", script, nullptr);
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0 || reaped_) return;
    kill(-pid_, SIGKILL);  // the group: its children too
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  // How it ended (waits for it).
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

TEST(LinuxNodeHost, KillsOnlyTheProcessThatStartedThen) {
  Child c("exec sleep 600");
  LinuxNodeHost host;
  std::optional<ProcessFacts> f;
  ASSERT_TRUE(testing::eventually([&] {
    f = host.process(c.pid());
    return f && f->comm == "sleep";
  }));
  // Its pid reused by another process: simulated by another start time. Refused...
  Status wrong = host.kill_process(c.pid(), f->start_ticks + 7);
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("another process"), std::string::npos) << wrong.error();
  // ... and it was alive all along: the right start time is what ends it, by SIGKILL.
  Status right = host.kill_process(c.pid(), f->start_ticks);
  EXPECT_TRUE(right.ok()) << right.error();
  const int status = c.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST(LinuxNodeHost, ForensicsReturnsTheTreeFilesHashAndEnvironment) {
  const std::string dir = testing::make_temp_dir("forensics");
  const std::string marker = dir + "/evidence.txt";
  std::ofstream(marker) << "x";
  // sh (the target) holds the marker open on fd 7 and has a child, sleep.
  const std::string script = "exec 7<" + marker + "; sleep 600 & echo started; wait";
  Child c(script.c_str(), "RIPOSTE_FORENSICS_MARKER=42");
  LinuxNodeHost host;
  nlohmann::json j;
  ASSERT_TRUE(testing::eventually([&] {
    auto f = host.process(c.pid());
    if (!f) return false;
    j = host.capture(*f);
    return j["process"]["comm"] == "sh" && j["descendants"].size() == 1 &&
           j["descendants"][0]["comm"] == "sleep";
  })) << j.dump(2);
  EXPECT_EQ(j["process"]["pid"], c.pid());
  EXPECT_EQ(j["process"]["comm"], "sh");
  EXPECT_EQ(j["process"]["cmdline"], nlohmann::json::array({"sh", "-c", script}));
  EXPECT_EQ(j["ancestors"][0]["pid"], getpid());
  EXPECT_EQ(j["descendants"][0]["ppid"], c.pid());
  bool env = false;
  for (const auto& e : j["environment"]) env |= e == "RIPOSTE_FORENSICS_MARKER=42";
  EXPECT_TRUE(env) << j["environment"].dump();
  bool file = false;
  for (const auto& f : j["files"]) file |= f["fd"] == 7 && f["path"] == marker;
  EXPECT_TRUE(file) << j["files"].dump();
  // The executable's hash, as sha256sum computes it.
  const std::string exe = j["process"]["exe"].get<std::string>();
  std::string expected;
  if (FILE* p = popen(("sha256sum " + exe).c_str(), "r")) {
    char buf[65] = {};
    if (fread(buf, 1, 64, p) == 64) expected = buf;
    pclose(p);
  }
  ASSERT_EQ(expected.size(), 64u) << exe;
  EXPECT_EQ(j["exe_sha256"], expected);
  EXPECT_EQ(j["truncated"], false);
}

TEST(ParseProcCgroup, FindsTheContainerAndItsFreezerOnHybridAndV2Hosts) {
  const std::string cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const std::string pod = "/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/";
  ProcessFacts hybrid;
  parse_proc_cgroup("12:pids:" + pod + cid + "\n7:freezer:" + pod + cid + "\n0::/\n", &hybrid);
  ASSERT_TRUE(hybrid.container);
  EXPECT_EQ(hybrid.container->id, cid);
  EXPECT_EQ(hybrid.freezer_cgroup, pod + cid);
  EXPECT_EQ(hybrid.unified_cgroup, "/");
  ProcessFacts v2;
  parse_proc_cgroup("0::" + pod + cid + "\n", &v2);
  ASSERT_TRUE(v2.container);
  EXPECT_EQ(v2.unified_cgroup, pod + cid);
  ProcessFacts host;
  parse_proc_cgroup("7:freezer:/\n0::/user.slice\n", &host);
  EXPECT_FALSE(host.container);
}

}  // namespace
}  // namespace riposte::detector
