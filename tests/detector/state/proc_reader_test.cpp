// ProcReader against a fabricated /proc: every field it takes and how it resolves fds
// (files, pipes, sockets through the tables of the process's network namespace).
#include "detector/state/proc_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "detector/state/environ.h"
#include "tests/support/test_util.h"

namespace riposte::detector {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string p = "4242/";
    dir_.write(p + "status",
               "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\n"
               "PPid:\t4200\nUid:\t1000\t101\t101\t101\nGid:\t1000\t102\t102\t102\n"
               "NSpid:\t4242\t7\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
               "CapEff:\t00000000a80425fb\n");
    dir_.write(p + "stat", "4242 (nginx: worker) S 4200 4242 4200 34816 0 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0\n");
    dir_.write(p + "cmdline", std::string("nginx: worker\0-g\0daemon off;\0", 29));
    dir_.write(p + "loginuid", "4294967295");
    dir_.write(p + "environ",
               std::string("HOME=/var/www\0PAD=", 18) + std::string(5000, 'x') + '\0');
    dir_.write(p + "cgroup",
               "12:cpu,cpuacct:/kubepods/pod1/abc\n0::/kubepods.slice/x.scope\n");
    fs::create_symlink("/usr/sbin/nginx", dir_.path() + "/" + p + "exe");
    fs::create_symlink("/var/www", dir_.path() + "/" + p + "cwd");
    fs::create_directories(dir_.path() + "/" + p + "fd");
    fs::create_directories(dir_.path() + "/" + p + "ns");
    fs::create_symlink("net:[4026531840]", dir_.path() + "/" + p + "ns/net");
    fs::create_symlink("/var/log/nginx/access.log", dir_.path() + "/" + p + "fd/3");
    fs::create_symlink("socket:[777]", dir_.path() + "/" + p + "fd/4");
    fs::create_symlink("pipe:[9]", dir_.path() + "/" + p + "fd/5");
    fs::create_symlink("anon_inode:[eventpoll]", dir_.path() + "/" + p + "fd/6");
    fs::create_symlink("socket:[778]", dir_.path() + "/" + p + "fd/7");
    fs::create_symlink(dir_.write("data/real.txt", "x"), dir_.path() + "/" + p + "fd/8");
    fs::create_symlink("socket:[780]", dir_.path() + "/" + p + "fd/9");
    dir_.write(p + "net/tcp",
               "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
               "   0: 0100007F:0050 0200000A:D431 01 00000000:00000000 00:00000000 00000000  0 0 777 1\n"
               "   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 779 1\n"
               "   2: 0100007F:C350 0300000A:01BB 01 00000000:00000000 00:00000000 00000000  0 0 780 1\n");
    dir_.write(p + "net/unix",
               "Num       RefCount Protocol Flags    Type St Inode Path\n"
               "0000000000000000: 00000002 00000000 00010000 0001 01 778 /run/app.sock\n");
    dir_.write("4243/status", "Name:\tthread\nTgid:\t4242\nPid:\t4243\n");  // a thread, not a process
  }
  testing::TempDir dir_;
};

TEST_F(FakeProc, ReadsProcess) {
  ProcReader r(dir_.path(), 1'000'000'000'000);
  ProcSnapshot s = r.read_process(4242);
  ASSERT_NE(s.info, nullptr);
  const ProcessInfo& p = *s.info;
  EXPECT_EQ(p.name, "nginx");
  EXPECT_EQ(p.ppid, 4200);
  EXPECT_EQ(p.uid, 101u) << "effective uid";
  EXPECT_EQ(p.gid, 102u);
  EXPECT_EQ(p.vpid, 7) << "innermost NSpid";
  EXPECT_EQ(p.sid, 4200);
  EXPECT_EQ(p.pgid, 4242);
  EXPECT_EQ(p.tty, 34816u);
  EXPECT_EQ(p.cap_effective, 0xa80425fbull);
  EXPECT_EQ(p.exe, "nginx: worker");
  ASSERT_EQ(p.args.size(), 2u);
  EXPECT_EQ(p.args[1], "daemon off;");
  EXPECT_EQ(p.exepath, "/usr/sbin/nginx");
  EXPECT_EQ(p.cwd, "/var/www");
  EXPECT_EQ(p.loginuid, UINT32_MAX);
  EXPECT_GT(p.start_ns, 1'000'000'000'000u);
  EXPECT_EQ(s.cgroup_v2, "/kubepods.slice/x.scope");
  EXPECT_EQ(s.cgroup_v1, "/kubepods/pod1/abc");
  EXPECT_EQ(r.read_process(4243).info, nullptr);
  EXPECT_EQ(r.read_process(1).info, nullptr);
  auto pids = r.list_pids();
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<int64_t>{4242, 4243}));
}

// proc.env of a process that predates the detector: only when a rule reads it, and as an
// exec record carries it, the first 4 KiB.
TEST_F(FakeProc, ReadsTheEnvironmentWhenAsked) {
  ProcReader r(dir_.path());
  EXPECT_TRUE(r.read_process(4242).info->env.empty());
  r.set_read_env(true);
  ProcSnapshot s = r.read_process(4242);
  ASSERT_EQ(s.info->env.size(), 2u);
  EXPECT_EQ(s.info->env[0], "HOME=/var/www");
  EXPECT_EQ(s.info->env[1].size(), kEnvBytes - std::string("HOME=/var/www").size() - 1);
}

TEST(Environ, SplitsAsLibsinspDoes) {
  EXPECT_EQ(split_environ(std::string_view("A=1\0B=\0\0C=3\0", 12)),
            (std::vector<std::string>{"A=1", "B=", "", "C=3"}));
  EXPECT_EQ(split_environ(std::string_view("A=1\0B=2", 7)),
            (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_TRUE(split_environ({}).empty());
  EXPECT_TRUE(split_environ(std::string_view("\0", 1)).empty());
}

TEST_F(FakeProc, ReadsFdsWithSockets) {
  ProcReader r(dir_.path());
  FdTable fds;
  r.read_fds(4242, &fds);
  EXPECT_EQ(fds.size(), 7u);
  ASSERT_NE(fds.get(3), nullptr);
  EXPECT_EQ(fds.get(3)->type, FdType::kFile);
  EXPECT_EQ(fds.get(3)->name, "/var/log/nginx/access.log");
  ASSERT_NE(fds.get(4), nullptr);
  EXPECT_EQ(fds.get(4)->type, FdType::kIpv4);
  // port 80 listens in this network namespace: accepted, the peer is the client
  EXPECT_EQ(fds.get(4)->name, "10.0.0.2:54321->127.0.0.1:80");
  EXPECT_TRUE(fds.get(4)->is_server);
  EXPECT_EQ(fds.get(4)->l4proto, 6);
  ASSERT_NE(fds.get(9), nullptr);
  EXPECT_EQ(fds.get(9)->name, "127.0.0.1:50000->10.0.0.3:443") << "nothing listens on 50000: outbound";
  EXPECT_FALSE(fds.get(9)->is_server);
  EXPECT_EQ(fds.get(5)->type, FdType::kPipe);
  EXPECT_EQ(fds.get(6)->type, FdType::kEventpoll);
  EXPECT_EQ(fds.get(7)->type, FdType::kUnix);
  EXPECT_EQ(fds.get(7)->name, "/run/app.sock");
  // the file's identity, to check the entry against the kernel's later
  struct stat st {};
  ASSERT_EQ(stat((dir_.path() + "/data/real.txt").c_str(), &st), 0);
  ASSERT_NE(fds.get(8), nullptr);
  EXPECT_EQ(fds.get(8)->ino, st.st_ino);
  EXPECT_EQ(fds.get(8)->dev, st.st_dev);
  EXPECT_EQ(fds.get(3)->ino, 0u) << "the link's target does not exist here: unknown";
}

}  // namespace
}  // namespace riposte::detector
