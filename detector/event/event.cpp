#include "detector/event/event.h"

#include <array>

namespace riposte::detector {
namespace {

constexpr std::string_view kNames[] = {
    "unknown", "execve", "execveat", "clone", "clone3", "fork", "vfork", "procexit",
    "open", "openat", "openat2", "creat", "close",
    "connect", "accept", "accept4", "socket", "bind", "listen", "sendto", "sendmsg", "recvfrom",
    "recvmsg",
    "dup", "dup2", "dup3", "fcntl",
    "ptrace", "setuid", "setgid", "setresuid", "setresgid", "setreuid", "setregid",
    "init_module", "finit_module", "delete_module", "mount", "umount", "umount2", "setns",
    "unshare",
    "rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir",
    "chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown",
    "symlink", "symlinkat", "link", "linkat",
    "memfd_create", "bpf", "chdir", "fchdir", "chroot", "prctl", "userfaultfd", "kill", "tkill",
    "tgkill",
    "pivot_root", "mmap", "mprotect", "read", "write", "pread", "pwrite", "readv", "writev",
    "sendfile",
    "ioctl", "pipe", "pipe2", "eventfd", "signalfd", "timerfd_create", "inotify_init",
    "epoll_create",
    "capset", "seccomp", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
    "open_by_handle_at",
    "container",
};
static_assert(std::size(kNames) == static_cast<size_t>(EventType::kCount),
              "every EventType needs its Falco name");

}  // namespace

std::string_view event_type_name(EventType t) {
  auto i = static_cast<size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (size_t i = 1; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

}  // namespace riposte::detector
