// Decoded fork, exit and syscall records (bpf/events.h). A SyscallRecord is a view: its
// strings point into the ring buffer and are valid only while the handler runs, which is
// what lets the hot path decode without allocating.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace riposte::detector {

struct ForkRecord {
  uint64_t boot_ns = 0;
  uint32_t pid = 0, tid = 0;  // the child
  uint32_t ppid = 0, parent_tid = 0;
  uint32_t vpid = 0;
  bool shares_files = false;  // CLONE_FILES: one fd table for parent and child
  uint32_t cpu = 0;           // the CPU the kernel made the record on
};

struct ExitRecord {
  uint64_t boot_ns = 0;
  uint32_t pid = 0, tid = 0;
  int32_t exit_code = 0;
  uint32_t cpu = 0;
};

// What the kernel said about the fd a syscall produced or used.
struct KernelFd {
  enum class Type : uint8_t { kNone, kFile, kDirectory, kIpv4, kIpv6, kUnix, kNetlink, kSocket, kPipe, kAnon };
  Type type = Type::kNone;
  uint8_t l4proto = 0;
  uint16_t lport = 0, rport = 0;
  int32_t num = -1;
  uint32_t flags = 0;  // file->f_flags
  uint64_t ino = 0;    // with dev, which file the fd is; 0 = not read
  uint64_t dev = 0;    // as stat(2)'s st_dev
  std::array<uint8_t, 16> laddr{}, raddr{};
  std::string_view hint;  // anon inode name ("[eventfd]"), mount's fstype
};

// What a successful credential call (setuid family, capset) left the task with, read by the
// kernel after the call (RIPOSTE_SC_CREDS).
struct Credentials {
  bool caps = false;  // capset: the capabilities below; otherwise the effective ids
  uint32_t uid = 0, gid = 0;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
};

struct SyscallRecord {
  uint64_t boot_ns = 0;
  uint32_t pid = 0, tid = 0;
  uint32_t cpu = 0;  // the CPU the call completed on (evt.cpu)
  uint32_t nr = 0;  // x86_64 syscall number
  int64_t res = 0;
  std::array<uint64_t, 6> args{};
  KernelFd fd;
  // renameat/linkat/symlinkat: the dirfd of the second path when it is not fd (identity only).
  KernelFd dir2;
  std::string_view str1, str2;
  bool path_resolved = false;  // str1 is the kernel's absolute path, str2 the caller's
  std::optional<Credentials> creds;  // the call changed the process's credentials
};

// The environment of the exec whose record follows (RIPOSTE_REC_ENV): a view into the ring
// buffer, valid only while the handler runs.
struct EnvRecord {
  uint64_t boot_ns = 0;
  uint32_t pid = 0, tid = 0;
  std::string_view env;  // NUL-separated NAME=value entries, at most RIPOSTE_ENV_LEN bytes
  bool truncated = false;
};

// nullopt when the buffer is not a well-formed record of that kind.
std::optional<ForkRecord> decode_fork_record(const void* data, size_t size);
std::optional<ExitRecord> decode_exit_record(const void* data, size_t size);
bool decode_syscall_record(const void* data, size_t size, SyscallRecord* out);
bool decode_env_record(const void* data, size_t size, EnvRecord* out);

// The record's kind (bpf/events.h riposte_record_kind), 0 when too short to tell.
uint32_t record_kind(const void* data, size_t size);

}  // namespace riposte::detector
