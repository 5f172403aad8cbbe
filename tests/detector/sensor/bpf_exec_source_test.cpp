// Real eBPF on real syscalls (needs root): the exec program must report a process started in
// a kubelet-style pod cgroup with that cgroup, its argv and its tty, and a host process with
// a host cgroup.
#include "detector/sensor/bpf_exec_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "detector/container/cgroup.h"

namespace riposte::detector {
namespace {

const std::string kId = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
const std::string kUid = "5e1f7c2a-1d3b-4c5d-8e9f-0a1b2c3d4e5f";

class BpfExecSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "this test loads eBPF programs: run it as root";
    Status st = source_.start([this](const ExecRecord& r) { records_.push_back(r); });
    ASSERT_TRUE(st.ok()) << st.error();
  }
  // Polls until a record matching pred shows up (or ~10 s pass).
  const ExecRecord* wait_for(const std::function<bool(const ExecRecord&)>& pred) {
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(source_.poll(100).ok());
      for (const auto& r : records_) {
        if (pred(r)) return &r;
      }
    }
    return nullptr;
  }
  static std::string source_dir() {
    const char* d = std::getenv("RIPOSTE_SOURCE_DIR");
    return d ? d : ".";
  }

  BpfExecSource source_;
  std::vector<ExecRecord> records_;
};

TEST_F(BpfExecSourceTest, ShellInPodCgroupCarriesContainerAndTty) {
  const std::string marker = "riposte-bpf-test-" + std::to_string(getpid());
  const std::string cmd = "RIPOSTE_LOCAL_DIR=" + std::string(::testing::TempDir()) + "riposte-bpf " +
                          source_dir() + "/deploy/local/pod-shell.sh --tty --pod-uid " + kUid +
                          " --container-id " + kId + " -- /bin/sh -c 'echo " + marker +
                          "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const ExecRecord* r = wait_for([&](const ExecRecord& rec) {
    return rec.comm == "sh" && rec.argv.size() == 3 && rec.argv[2] == "echo " + marker;
  });
  ASSERT_NE(r, nullptr) << "no exec record for the shell in the pod cgroup";
  EXPECT_EQ(r->filename, "/bin/sh");
  EXPECT_NE(r->tty, 0u) << "script(1) gave it a controlling terminal";
  EXPECT_EQ(r->vpid, 1u) << "first process of its own pid namespace";
  auto c = parse_container_cgroup(r->cgroup_v2);
  ASSERT_TRUE(c.has_value()) << r->cgroup_v2;
  EXPECT_EQ(c->id, kId);
  EXPECT_EQ(c->pod_uid, kUid);
}

TEST_F(BpfExecSourceTest, HostProcessIsNotInAContainer) {
  const std::string marker = "riposte-host-" + std::to_string(getpid());
  ASSERT_EQ(std::system(("/bin/echo " + marker + " >/dev/null").c_str()), 0);
  const ExecRecord* r = wait_for([&](const ExecRecord& rec) {
    return rec.comm == "echo" && rec.argv.size() == 2 && rec.argv[1] == marker;
  });
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(parse_container_cgroup(r->cgroup_v2).has_value()) << r->cgroup_v2;
  EXPECT_EQ(r->tty, 0u);
  EXPECT_EQ(source_.kernel_drops(), 0u);
}

}  // namespace
}  // namespace riposte::detector
