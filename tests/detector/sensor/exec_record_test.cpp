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
  raw.kind = RIPOSTE_REC_EXEC;
  raw.size = sizeof raw;
  raw.pid = 10;
  raw.ppid = 1;
  raw.tty = 34816;
  std::strcpy(raw.comm, "sh");
  std::strcpy(raw.filename, "/bin/sh");
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
}

TEST(ExecRecord, RejectsForeignOrShortRecords) {
  riposte_exec_record raw{};
  raw.kind = 99;
  raw.size = sizeof raw;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw).has_value());
  raw.kind = RIPOSTE_REC_EXEC;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw - 1).has_value());
  raw.size = 12;
  EXPECT_FALSE(decode_exec_record(&raw, sizeof raw).has_value());
}

TEST(ExecRecord, RootCgroupAndUnterminatedStrings) {
  riposte_exec_record raw{};
  raw.kind = RIPOSTE_REC_EXEC;
  raw.size = sizeof raw;
  std::memset(raw.comm, 'x', sizeof raw.comm);  // no NUL: must stay bounded
  raw.args_len = 100000;                         // lies: must be clamped
  auto r = decode_exec_record(&raw, sizeof raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->comm.size(), sizeof raw.comm);
  EXPECT_EQ(r->cgroup_v2, "/");
}

}  // namespace
}  // namespace riposte::detector
