#include "detector/state/process_table.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/test_util.h"

namespace riposte::detector {
namespace {

ExecRecord exec(uint32_t pid, uint32_t ppid, const char* comm) {
  ExecRecord r;
  r.pid = r.tid = r.vpid = pid;
  r.ppid = ppid;
  r.comm = comm;
  r.filename = std::string("/bin/") + comm;
  r.argv = {comm, "-c", "true"};
  return r;
}

ForkRecord fork_of(uint32_t child, uint32_t parent, bool shares_files = false) {
  ForkRecord f;
  f.pid = f.tid = f.vpid = child;
  f.ppid = f.parent_tid = parent;
  f.shares_files = shares_files;
  return f;
}

TEST(ProcessTable, ExecReplacesImageAndLinksParents) {
  ProcessTable t(8);
  t.on_exec(exec(100, 1, "bash"), 1, nullptr);
  const ProcessInfo* p = t.on_exec(exec(101, 100, "sh"), 2, nullptr);
  EXPECT_EQ(p->exe, "sh");
  EXPECT_EQ(p->exepath, "/bin/sh");
  ASSERT_EQ(p->args.size(), 2u);
  const ProcessInfo* parent = t.find(p->ppid);
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->name, "bash");
  // exec in place: same pid, new image
  p = t.on_exec(exec(101, 100, "cat"), 3, nullptr);
  EXPECT_EQ(t.find(101)->name, "cat");
  EXPECT_EQ(t.size(), 2u);
  t.on_exit(101);
  EXPECT_EQ(t.find(101), nullptr);
}

TEST(ProcessTable, ForkCopiesParentAndItsFds) {
  ProcessTable t(8);
  t.on_exec(exec(100, 1, "bash"), 1, nullptr);
  t.fds(100)->put(3)->name = "/var/log/x";
  ProcessInfo* child = t.on_fork(fork_of(200, 100), 5);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->name, "bash");
  EXPECT_EQ(child->pid, 200);
  EXPECT_EQ(child->ppid, 100);
  EXPECT_EQ(child->start_ns, 5u);
  ASSERT_NE(t.fds(200)->get(3), nullptr);
  EXPECT_EQ(t.fds(200)->get(3)->name, "/var/log/x");
  // a copy: the child's close does not close the parent's fd
  t.fds(200)->erase(3);
  EXPECT_NE(t.fds(100)->get(3), nullptr);
  // CLONE_FILES: one table
  t.on_fork(fork_of(201, 100, true), 6);
  t.fds(201)->erase(3);
  EXPECT_EQ(t.fds(100)->get(3), nullptr);
}

TEST(ProcessTable, ExecKeepsFdsButClosesCloexecAndKeepsStartTime) {
  ProcessTable t(8);
  t.on_exec(exec(100, 1, "bash"), 10, nullptr);
  t.fds(100)->put(1)->name = "/dev/pts/0";
  t.fds(100)->put(4)->open_flags = O_CLOEXEC;
  const ProcessInfo* p = t.on_exec(exec(100, 1, "cat"), 20, nullptr);
  EXPECT_EQ(p->start_ns, 10u) << "proc.duration counts from the clone";
  EXPECT_NE(t.fds(100)->get(1), nullptr);
  EXPECT_EQ(t.fds(100)->get(4), nullptr);
}

TEST(ProcessTable, ExitReapsSoMemoryStaysFlat) {
  ProcessTable t(1000);
  t.on_exec(exec(100, 1, "sh"), 1, nullptr);
  for (uint32_t pid = 1000; pid < 6000; ++pid) {
    t.on_fork(fork_of(pid, 100), pid);
    t.on_exec(exec(pid, 100, "true"), pid, nullptr);
    t.on_exit(pid);
  }
  EXPECT_EQ(t.size(), 1u);
}

TEST(ProcessTable, BoundedEvictsOldest) {
  ProcessTable t(3);
  for (uint32_t pid = 1; pid <= 5; ++pid) t.on_exec(exec(pid, 0, "x"), pid, nullptr);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find(1), nullptr);
  EXPECT_NE(t.find(5), nullptr);
}

TEST(ProcessTable, FillsFromProcForProcessesStartedEarlier) {
  ProcReader reader;
  int enriched = 0;
  ProcessTable t(65536, &reader, [&](ProcessInfo* p, const ProcSnapshot& s) {
    ++enriched;
    EXPECT_FALSE(s.cgroup_v2.empty() && s.cgroup_v1.empty());
    p->user_name = "someone";
  });
  const ProcessInfo* self = t.find(getpid());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_FALSE(self->exepath.empty());
  EXPECT_EQ(self->user_name, "someone");
  EXPECT_EQ(enriched, 1);
  EXPECT_EQ(t.find(-1), nullptr);
  // get() also reads the fds: stdin..stderr are open in a test.
  ASSERT_NE(t.get(getpid()), nullptr);
  EXPECT_GE(t.fds(getpid())->size(), 3u);
  EXPECT_GT(t.scan(), 0u);
}

// What the rules look up during an evaluation is only looked up: /proc is read (and entries
// evicted) before it, by prepare().
TEST(ProcessTable, LookupsDuringEvaluationNeitherReadProcNorEvict) {
  ProcReader reader;
  ProcessTable t(65536, &reader);
  EXPECT_EQ(t.lookups().find(getpid()), nullptr) << "not known yet, and not read from /proc";
  EXPECT_EQ(t.size(), 0u);
  ASSERT_NE(t.get(getpid()), nullptr);
  EXPECT_EQ(t.lookups().find(getppid()), nullptr);
  t.prepare(getpid());
  const ProcessInfo* parent = t.lookups().find(getppid());
  ASSERT_NE(parent, nullptr) << "prepare() loads the ancestors the rules may walk";
  EXPECT_EQ(parent->pid, getppid());
  const size_t n = t.size();
  t.prepare(getpid());
  EXPECT_EQ(t.size(), n) << "nothing more to load";
}

}  // namespace
}  // namespace riposte::detector
