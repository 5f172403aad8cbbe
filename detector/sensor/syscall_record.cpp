#include "detector/sensor/syscall_record.h"

#include <sys/sysmacros.h>

#include <cstring>

extern "C" {
#include "bpf/events.h"
#include "bpf/syscalls.h"
}

namespace riposte::detector {
namespace {

template <typename T>
bool load(const void* data, size_t size, uint32_t kind, T* out) {
  if (size < sizeof(T)) return false;
  std::memcpy(out, data, sizeof(T));
  return out->h.kind == kind && out->h.size == sizeof(T);
}

std::string_view bounded(const char* s, size_t len, size_t cap) {
  len = std::min(len, cap);
  return std::string_view(s, strnlen(s, len));
}

// The kernel's MKDEV() encoding to user space's.
uint64_t kernel_dev(uint32_t dev) { return makedev(dev >> 20, dev & 0xfffff); }

// Which argument is the dirfd of a call's second path (RIPOSTE_SC_DIR2_ID), -1 none: the dir2
// column of bpf/syscalls.h.
int second_dirfd_arg(uint32_t nr) {
#define DIR2_CASE(name, nr, fn, event, kind, s1, d1, s2, d2, ...) \
  case RIPOSTE_NR_##name:                                         \
    return d2;
  switch (nr) {
    RIPOSTE_SYSCALLS(DIR2_CASE)
    default:
      return -1;
  }
#undef DIR2_CASE
}

}  // namespace

uint32_t record_kind(const void* data, size_t size) {
  if (size < sizeof(riposte_rec_header)) return 0;
  uint32_t kind;
  std::memcpy(&kind, data, sizeof kind);
  return kind;
}

std::optional<ForkRecord> decode_fork_record(const void* data, size_t size) {
  riposte_fork_record raw;
  if (!load(data, size, RIPOSTE_REC_FORK, &raw)) return std::nullopt;
  return ForkRecord{raw.h.boot_ns,
                    raw.h.pid,
                    raw.h.tid,
                    raw.ppid,
                    raw.parent_tid,
                    raw.vpid,
                    (raw.flags & RIPOSTE_FORK_SHARES_FILES) != 0,
                    raw.h.cpu};
}

std::optional<ExitRecord> decode_exit_record(const void* data, size_t size) {
  riposte_exit_record raw;
  if (!load(data, size, RIPOSTE_REC_EXIT, &raw)) return std::nullopt;
  return ExitRecord{raw.h.boot_ns, raw.h.pid, raw.h.tid, raw.exit_code, raw.h.cpu};
}

bool decode_env_record(const void* data, size_t size, EnvRecord* out) {
  constexpr size_t kFixed = offsetof(riposte_env_record, env);
  if (size < kFixed) return false;
  riposte_env_record raw;
  std::memcpy(&raw, data, kFixed);
  if (raw.h.kind != RIPOSTE_REC_ENV || raw.h.size > size || raw.h.size < kFixed ||
      raw.env_len > RIPOSTE_ENV_LEN || raw.env_len > raw.h.size - kFixed) {
    return false;
  }
  out->boot_ns = raw.h.boot_ns;
  out->pid = raw.h.pid;
  out->tid = raw.h.tid;
  out->env = std::string_view(static_cast<const char*>(data) + kFixed, raw.env_len);
  out->truncated = raw.truncated != 0;
  return true;
}

bool decode_syscall_record(const void* data, size_t size, SyscallRecord* out) {
  constexpr size_t kShort = offsetof(riposte_syscall_record, fd);
  constexpr size_t kFixed = offsetof(riposte_syscall_record, strings);
  if (size < kShort) return false;
  // Only the fixed part is copied; the strings are viewed in place.
  riposte_syscall_record raw;
  std::memcpy(&raw, data, kShort);
  if (raw.h.kind != RIPOSTE_REC_SYSCALL || raw.h.size > size) return false;
  if (raw.h.size == kShort) {
    std::memset(&raw.fd, 0, sizeof raw.fd);  // the short form: no fd info, no strings
    raw.str1_len = raw.str2_len = 0;
  } else if (raw.h.size < kFixed) {
    return false;
  } else {
    std::memcpy(&raw.fd, static_cast<const char*>(data) + kShort, kFixed - kShort);
  }
  const char* strings = static_cast<const char*>(data) + kFixed;
  const size_t avail = raw.h.size > kFixed ? raw.h.size - kFixed : 0;
  out->boot_ns = raw.h.boot_ns;
  out->pid = raw.h.pid;
  out->tid = raw.h.tid;
  out->cpu = raw.h.cpu;
  out->nr = raw.nr;
  out->res = raw.res;
  std::memcpy(out->args.data(), raw.args, sizeof raw.args);
  const riposte_fd_info& f = raw.fd;
  KernelFd& k = out->fd;
  k.type = f.type <= RIPOSTE_FD_ANON ? static_cast<KernelFd::Type>(f.type) : KernelFd::Type::kNone;
  k.l4proto = f.l4proto;
  k.lport = f.lport;
  k.rport = f.rport;
  k.num = f.num;
  k.flags = f.flags;
  k.ino = f.ino;
  k.dev = kernel_dev(f.dev);
  std::memcpy(k.laddr.data(), f.laddr, 16);
  std::memcpy(k.raddr.data(), f.raddr, 16);
  // The view must point into the caller's buffer, not into our local copy.
  if (raw.h.size > kShort) {
    const char* hint = static_cast<const char*>(data) + kShort + offsetof(riposte_fd_info, hint);
    k.hint = std::string_view(hint, strnlen(hint, RIPOSTE_HINT_LEN));
  } else {
    k.hint = {};
  }
  out->str1 = avail > 0 ? bounded(strings, raw.str1_len, std::min<size_t>(avail, RIPOSTE_STR_LEN))
                        : std::string_view();
  out->str2 = avail > RIPOSTE_STR_LEN
                  ? bounded(strings + RIPOSTE_STR_LEN, raw.str2_len, avail - RIPOSTE_STR_LEN)
                  : std::string_view();
  out->path_resolved = (raw.flags & RIPOSTE_SC_PATH_RESOLVED) != 0;
  out->dir2 = KernelFd{};
  if (const int arg = second_dirfd_arg(raw.nr); arg >= 0 && (raw.flags & RIPOSTE_SC_DIR2_ID)) {
    out->dir2.num = static_cast<int32_t>(raw.args[arg]);
    out->dir2.ino = raw.args[5];
    out->dir2.dev = kernel_dev(raw.dir2_dev);
    // The call got past path lookup only if it was a directory.
    out->dir2.type = raw.res >= 0 ? KernelFd::Type::kDirectory : KernelFd::Type::kNone;
    out->args[5] = 0;
  }
  out->creds.reset();
  if (raw.flags & RIPOSTE_SC_CREDS) {
    Credentials& c = out->creds.emplace();
    if (raw.nr == RIPOSTE_NR_capset) {
      c.caps = true;
      c.cap_inheritable = raw.args[2];
      c.cap_permitted = raw.args[3];
      c.cap_effective = raw.args[4];
    } else {
      c.uid = static_cast<uint32_t>(raw.args[5]);
      c.gid = static_cast<uint32_t>(raw.args[5] >> 32);
      out->args[5] = 0;  // not an argument of the call
    }
  }
  return true;
}

}  // namespace riposte::detector
