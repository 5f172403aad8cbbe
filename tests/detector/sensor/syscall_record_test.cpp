// Fork, exit and syscall records as the BPF programs lay them out (bpf/events.h), decoded
// without the kernel; and the syscall number -> event type table behind the interest map.
#include "detector/sensor/syscall_record.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <vector>

#include "detector/sensor/syscall_table.h"

extern "C" {
#include "bpf/events.h"
}

namespace riposte::detector {
namespace {

// A syscall record cut to its used size, as bpf_ringbuf_output() writes it.
std::vector<char> syscall_bytes(riposte_syscall_record& raw, bool with_str2) {
  const size_t fixed = offsetof(riposte_syscall_record, strings);
  raw.h.kind = RIPOSTE_REC_SYSCALL;
  raw.h.size = static_cast<uint32_t>(with_str2 ? fixed + RIPOSTE_STR_LEN + raw.str2_len + 1
                                               : fixed + raw.str1_len + 1);
  std::vector<char> bytes(raw.h.size);
  std::memcpy(bytes.data(), &raw, raw.h.size);
  return bytes;
}

// Both string slots of a record, as the kernel side fills them.
void set_strings(riposte_syscall_record& raw, const char* str1, const char* str2) {
  std::strcpy(raw.strings, str1);
  raw.str1_len = static_cast<uint16_t>(std::strlen(str1));
  std::strcpy(raw.strings + RIPOSTE_STR_LEN, str2);
  raw.str2_len = static_cast<uint16_t>(std::strlen(str2));
}

TEST(SyscallRecord, DecodesOpenWithResolvedPath) {
  riposte_syscall_record raw{};
  raw.h.pid = 42;
  raw.h.tid = 43;
  raw.nr = SYS_openat;
  raw.res = 3;
  raw.args[2] = 0101;
  raw.flags = RIPOSTE_SC_PATH_RESOLVED;
  raw.fd.type = RIPOSTE_FD_FILE;
  raw.fd.num = 3;
  raw.fd.ino = 1234;
  raw.fd.dev = (259u << 20) | 0x12345;  // the kernel's MKDEV(259, 0x12345)
  set_strings(raw, "/etc/shadow", "../etc/shadow");
  auto bytes = syscall_bytes(raw, true);
  SyscallRecord r;
  ASSERT_TRUE(decode_syscall_record(bytes.data(), bytes.size(), &r));
  EXPECT_EQ(r.pid, 42u);
  EXPECT_EQ(r.tid, 43u);
  EXPECT_EQ(r.nr, static_cast<uint32_t>(SYS_openat));
  EXPECT_EQ(r.res, 3);
  EXPECT_EQ(r.args[2], 0101u);
  EXPECT_TRUE(r.path_resolved);
  EXPECT_EQ(r.str1, "/etc/shadow");
  EXPECT_EQ(r.str2, "../etc/shadow");
  EXPECT_EQ(r.fd.type, KernelFd::Type::kFile);
  EXPECT_EQ(r.fd.ino, 1234u);
  EXPECT_EQ(r.fd.dev, makedev(259, 0x12345)) << "as stat(2) has it";
  EXPECT_EQ(record_kind(bytes.data(), bytes.size()), static_cast<uint32_t>(RIPOSTE_REC_SYSCALL));
}

TEST(SyscallRecord, SecondDirfdIdentityComesOutOfTheSpareArgument) {
  riposte_syscall_record raw{};
  raw.nr = SYS_renameat2;
  raw.args[0] = 7;
  raw.args[2] = 8;
  raw.args[5] = 4242;  // renameat2 has five arguments: the kernel side puts the inode here
  raw.dir2_dev = (8u << 20) | 1;
  raw.flags = RIPOSTE_SC_DIR2_ID;
  raw.fd.num = 7;
  set_strings(raw, "x", "y");
  auto bytes = syscall_bytes(raw, true);
  SyscallRecord r;
  ASSERT_TRUE(decode_syscall_record(bytes.data(), bytes.size(), &r));
  EXPECT_EQ(r.dir2.num, 8);
  EXPECT_EQ(r.dir2.ino, 4242u);
  EXPECT_EQ(r.dir2.dev, makedev(8, 1));
  EXPECT_EQ(r.dir2.type, KernelFd::Type::kDirectory) << "the call succeeded";
  EXPECT_EQ(r.args[5], 0u) << "not an argument of the call";
  // Without the flag, nothing is read from the spare argument.
  raw.flags = 0;
  bytes = syscall_bytes(raw, true);
  ASSERT_TRUE(decode_syscall_record(bytes.data(), bytes.size(), &r));
  EXPECT_EQ(r.dir2.num, -1);
  EXPECT_EQ(r.dir2.ino, 0u);
}

TEST(SyscallRecord, ShortRecordHasOnlyItsFirstString) {
  riposte_syscall_record raw{};
  raw.nr = SYS_connect;
  raw.fd.type = RIPOSTE_FD_IPV4;
  raw.fd.lport = 40000;
  raw.fd.rport = 443;
  std::memcpy(raw.fd.raddr, "\x0a\x00\x00\x01", 4);
  auto bytes = syscall_bytes(raw, false);
  SyscallRecord r;
  ASSERT_TRUE(decode_syscall_record(bytes.data(), bytes.size(), &r));
  EXPECT_EQ(r.str1, "");
  EXPECT_EQ(r.str2, "");
  EXPECT_EQ(r.fd.type, KernelFd::Type::kIpv4);
  EXPECT_EQ(r.fd.rport, 443);
  EXPECT_EQ(r.fd.raddr[0], 10);
}

TEST(SyscallRecord, ShortFormHasNoFdInfoNorStrings) {
  riposte_syscall_record raw{};
  raw.h.kind = RIPOSTE_REC_SYSCALL;
  raw.h.size = offsetof(riposte_syscall_record, fd);
  raw.nr = SYS_close;
  raw.args[0] = 7;
  raw.fd.type = RIPOSTE_FD_IPV4;  // beyond the record: must not be read
  SyscallRecord r;
  ASSERT_TRUE(decode_syscall_record(&raw, raw.h.size, &r));
  EXPECT_EQ(r.args[0], 7u);
  EXPECT_EQ(r.fd.type, KernelFd::Type::kNone);
  EXPECT_EQ(r.str1, "");
  EXPECT_FALSE(decode_syscall_record(&raw, raw.h.size - 1, &r));
  raw.h.size += 8;  // between the short and the full form
  EXPECT_FALSE(decode_syscall_record(&raw, raw.h.size, &r));
}

TEST(SyscallRecord, RejectsLiesAboutSize) {
  riposte_syscall_record raw{};
  std::strcpy(raw.strings, "/x");
  raw.str1_len = 2;
  auto bytes = syscall_bytes(raw, false);
  SyscallRecord r;
  EXPECT_FALSE(decode_syscall_record(bytes.data(), bytes.size() - 10, &r));  // size > buffer
  raw.str1_len = 900;  // longer than the record: bounded by the record
  bytes = syscall_bytes(raw, false);
  bytes.resize(offsetof(riposte_syscall_record, strings) + 3);
  reinterpret_cast<riposte_syscall_record*>(bytes.data())->h.size = static_cast<uint32_t>(bytes.size());
  ASSERT_TRUE(decode_syscall_record(bytes.data(), bytes.size(), &r));
  EXPECT_EQ(r.str1, "/x");
  EXPECT_EQ(record_kind(bytes.data(), 3), 0u);
}

TEST(SyscallRecord, CredentialsComeOutOfTheSpareArguments) {
  riposte_syscall_record raw{};
  raw.h.kind = RIPOSTE_REC_SYSCALL;
  raw.h.size = offsetof(riposte_syscall_record, fd);
  raw.nr = SYS_setresuid;
  raw.args[0] = raw.args[1] = raw.args[2] = 1000;
  raw.args[5] = (uint64_t{100} << 32) | 1000;  // egid 100, euid 1000
  raw.flags = RIPOSTE_SC_CREDS;
  SyscallRecord r;
  ASSERT_TRUE(decode_syscall_record(&raw, raw.h.size, &r));
  ASSERT_TRUE(r.creds.has_value());
  EXPECT_FALSE(r.creds->caps);
  EXPECT_EQ(r.creds->uid, 1000u);
  EXPECT_EQ(r.creds->gid, 100u);
  EXPECT_EQ(r.args[5], 0u) << "not an argument of the call";

  raw.nr = SYS_capset;
  raw.args[2] = 1;        // inheritable
  raw.args[3] = 3;        // permitted
  raw.args[4] = 1 << 21;  // effective
  ASSERT_TRUE(decode_syscall_record(&raw, raw.h.size, &r));
  ASSERT_TRUE(r.creds.has_value());
  EXPECT_TRUE(r.creds->caps);
  EXPECT_EQ(r.creds->cap_inheritable, 1u);
  EXPECT_EQ(r.creds->cap_permitted, 3u);
  EXPECT_EQ(r.creds->cap_effective, 1u << 21);

  raw.flags = 0;  // a failed call, reported for a rule: no credentials
  ASSERT_TRUE(decode_syscall_record(&raw, raw.h.size, &r));
  EXPECT_FALSE(r.creds.has_value());
}

TEST(EnvRecord, DecodesTheUsedBytesOnly) {
  riposte_env_record raw{};
  raw.h.kind = RIPOSTE_REC_ENV;
  raw.h.pid = 42;
  const char env[] = "A=1\0B=2";  // 7 bytes, the NUL between the entries included
  std::memcpy(raw.env, env, sizeof env - 1);
  raw.env_len = sizeof env - 1;
  raw.h.size = static_cast<uint32_t>(offsetof(riposte_env_record, env) + raw.env_len);
  EnvRecord r;
  ASSERT_TRUE(decode_env_record(&raw, raw.h.size, &r));
  EXPECT_EQ(r.pid, 42u);
  EXPECT_EQ(r.env, std::string_view("A=1\0B=2", 7));
  EXPECT_FALSE(r.truncated);
  raw.env_len = 100;  // more than the record holds
  EXPECT_FALSE(decode_env_record(&raw, raw.h.size, &r));
  raw.env_len = 7;
  EXPECT_FALSE(decode_env_record(&raw, raw.h.size - 1, &r)) << "size > buffer";
  raw.h.kind = RIPOSTE_REC_EXIT;
  EXPECT_FALSE(decode_env_record(&raw, raw.h.size, &r));
}

TEST(ForkExitRecord, Decode) {
  riposte_fork_record f{};
  f.h.kind = RIPOSTE_REC_FORK;
  f.h.size = sizeof f;
  f.h.pid = f.h.tid = 100;
  f.ppid = 99;
  f.flags = RIPOSTE_FORK_SHARES_FILES;
  auto fr = decode_fork_record(&f, sizeof f);
  ASSERT_TRUE(fr.has_value());
  EXPECT_EQ(fr->pid, 100u);
  EXPECT_EQ(fr->ppid, 99u);
  EXPECT_TRUE(fr->shares_files);
  EXPECT_FALSE(decode_exit_record(&f, sizeof f).has_value());

  riposte_exit_record e{};
  e.h.kind = RIPOSTE_REC_EXIT;
  e.h.size = sizeof e;
  e.h.pid = 100;
  e.exit_code = 256;
  auto er = decode_exit_record(&e, sizeof e);
  ASSERT_TRUE(er.has_value());
  EXPECT_EQ(er->exit_code, 256);
}

TEST(SyscallTable, MapsNumbersToFalcoEventTypes) {
  EXPECT_EQ(event_type_of_syscall(SYS_openat), EventType::kOpenat);
  EXPECT_EQ(event_type_of_syscall(SYS_eventfd2), EventType::kEventfd);
  EXPECT_EQ(event_type_of_syscall(SYS_getpid), EventType::kUnknown);
  EXPECT_EQ(event_type_of_syscall(100000), EventType::kUnknown);
}

TEST(SyscallTable, InterestFollowsRulesPlusFdTableState) {
  auto map = interest_map({EventType::kOpenat, EventType::kConnect}, false);
  ASSERT_EQ(map.size(), kSyscallSlots);
  EXPECT_EQ(map[SYS_openat], RIPOSTE_WANT_RULES);
  EXPECT_EQ(map[SYS_connect], RIPOSTE_WANT_RULES);
  EXPECT_EQ(map[SYS_open], 0);
  EXPECT_EQ(map[SYS_close], 0) << "entries are checked at use: closes are not needed";
  EXPECT_EQ(map[SYS_dup2], RIPOSTE_WANT_STATE);
  EXPECT_EQ(map[SYS_fcntl], RIPOSTE_WANT_STATE);
  EXPECT_EQ(map[SYS_chdir], RIPOSTE_WANT_STATE);
  EXPECT_EQ(map[SYS_setuid], RIPOSTE_WANT_STATE) << "credentials: user.* of later events";
  EXPECT_EQ(map[SYS_setresgid], RIPOSTE_WANT_STATE);
  EXPECT_EQ(map[SYS_capset], RIPOSTE_WANT_STATE);
  auto all = interest_map({}, true);
  EXPECT_EQ(all[SYS_ptrace], RIPOSTE_WANT_RULES);
  EXPECT_EQ(all[SYS_read], 0) << "the data path needs a rule that names it";
  EXPECT_EQ(all[SYS_close], RIPOSTE_WANT_RULES);
}

}  // namespace
}  // namespace riposte::detector
