#include "detector/sensor/exec_record.h"

#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "bpf/events.h"
}

namespace riposte::detector {
namespace {

void set_name(riposte_cgroup_path* p, int i, const char* s) {
  std::strncpy(p->names[i], s, RIPOSTE_CGROUP_NAME_LEN - 1);
}

TEST(ExecRecord, DecodesArgvAndCgroupLeafFirst) {
  riposte_exec_record raw{};
  raw.h.kind = RIPOSTE_REC_EXEC;
  raw.h.size = sizeof raw;
  raw.h.pid = 10;
  raw.ppid = 1;
  raw.tty = 34816;
  raw.exe_flags = RIPOSTE_EXE_UPPER_LAYER | RIPOSTE_EXE_WRITABLE;
  std::strcpy(raw.comm, "sh");
  std::strcpy(raw.filename, "/bin/sh");
  std::strcpy(raw.exe_path, "/usr/bin/busybox");
  std::strcpy(raw.cwd, "/root");
  const char args[] = "sh\0-c\0echo hi";
  std::memcpy(raw.args, args, sizeof args);
  raw.args_len = sizeof args;  // includes the final NUL
  raw.cgroup_v2.depth = 3;
  set_name(&raw.cgroup_v2, 0, "leaf");
  set_name(&raw.cgroup_v2, 1, "mid");
  set_name(&raw.cgroup_v2, 2, "top");

  auto r = decode_exec_record(&raw, sizeof raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->comm, "sh");
  EXPECT_EQ(r->filename, "/bin/sh");
  ASSERT_EQ(r->argv.size(), 3u);
  EXPECT_EQ(r->argv[2], "echo hi");
  EXPECT_EQ(r->cgroup_v2, "/top/mid/leaf");
  EXPECT_EQ(r->cgroup_v1, "");
  EXPECT_EQ(r->tty, 34816u);
  EXPECT_EQ(r->pid, 10u);
  EXPECT_EQ(r->exe_path, "/usr/bin/busybox");
  EXPECT_EQ(r->cwd, "/root");
  EXPECT_TRUE(r->exe_upper_layer);
  EXPECT_TRUE(r->exe_writable);
  EXPECT_FALSE(r->exe_from_memfd);
}

TEST(ExecRecord, RejectsForeignOrShortRecords) {
  riposte_exec_record raw{};
  raw.h.kind = 99;
  raw.h.size = sizeof raw;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw).has_value());
  raw.h.kind = RIPOSTE_REC_EXEC;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw - 1).has_value());
  raw.h.size = 12;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw).has_value());
}

TEST(ExecRecord, RootCgroupAndUnterminatedStrings) {
  riposte_exec_record raw{};
  raw.h.kind = RIPOSTE_REC_EXEC;
  raw.h.size = sizeof raw;
  std::memset(raw.comm, 'x', sizeof raw.comm);  // no NUL: must stay bounded
  raw.args_len = 100000;                         // lies: must be clamped
  auto r = decode_exec_record(&raw, sizeof raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->comm.size(), sizeof raw.comm);
  EXPECT_EQ(r->cgroup_v2, "/");
}

}  // namespace
}  // namespace riposte::detector
