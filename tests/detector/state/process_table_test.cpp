#include "detector/state/process_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

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

TEST(ProcessTable, ExecReplacesImageAndLinksParents) {
  ProcessTable t(8, "/nonexistent");
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

TEST(ProcessTable, BoundedEvictsOldest) {
  ProcessTable t(3, "/nonexistent");
  for (uint32_t pid = 1; pid <= 5; ++pid) t.on_exec(exec(pid, 0, "x"), pid, nullptr);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find(1), nullptr);
  EXPECT_NE(t.find(5), nullptr);
}

TEST(ProcessTable, FillsFromProcForProcessesStartedEarlier) {
  ProcessTable t;
  const ProcessInfo* self = t.find(getpid());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_FALSE(self->exepath.empty());
  EXPECT_EQ(t.find(-1), nullptr);
}

}  // namespace
}  // namespace riposte::detector
